//! Rows as PostgreSQL's `COPY … FROM STDIN` text format: one line per row, columns
//! split by tabs, `\N` for NULL, and backslash, tab, newline and carriage return
//! escaped. A value goes in as the same text the SQLite path stores, which
//! PostgreSQL's input functions read into the column's type (a timestamp's
//! `2021-02-05T17:45:17.000Z`, a boolean's `1`).

use std::io::Write;

use cai_bridge_model::{Field, LogicalType};
use rusqlite::types::ValueRef;

/// Appends one row to `out`; `Err` names the field PostgreSQL could not take and why.
pub fn row<'v, 'f>(
    out: &mut Vec<u8>,
    fields: &'f [Field],
    values: impl IntoIterator<Item = ValueRef<'v>>,
) -> Result<(), (&'f Field, String)> {
    for (i, (field, value)) in fields.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match value {
            ValueRef::Null => out.extend_from_slice(b"\\N"),
            // Writing into a Vec cannot fail.
            ValueRef::Integer(n) => {
                let _ = write!(out, "{n}");
            }
            // Rust prints the shortest text that reads back as the same double.
            ValueRef::Real(x) => {
                let _ = write!(out, "{x}");
            }
            ValueRef::Text(text) | ValueRef::Blob(text) => {
                check_text(field, text).map_err(|message| (field, message))?;
                escape(out, text);
            }
        }
    }
    out.push(b'\n');
    Ok(())
}

/// What PostgreSQL refuses that SQLite takes: a NUL character, and text longer
/// than a `VARCHAR(n)` column's `n` characters.
fn check_text(field: &Field, text: &[u8]) -> Result<(), String> {
    if text.contains(&0) {
        return Err("holds a NUL character, which PostgreSQL cannot store in text".into());
    }
    if let LogicalType::String(Some(n)) = &field.ty {
        let n = *n as usize;
        // Bytes bound characters from above: count only when they could exceed.
        if text.len() > n {
            let chars = String::from_utf8_lossy(text).chars().count();
            if chars > n {
                return Err(format!(
                    "text of {chars} characters is longer than the column's {n} (String({n}) in the CDS): raise its length in bridge.toml"
                ));
            }
        }
    }
    Ok(())
}

fn escape(out: &mut Vec<u8>, text: &[u8]) {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&text[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(ty: LogicalType) -> Field {
        Field {
            name: "c".into(),
            rust_name: "c".into(),
            source: Vec::new(),
            ty,
            key: false,
            not_null: false,
            role: cai_bridge_model::Role::Data,
            enum_values: None,
            doc: None,
        }
    }

    #[test]
    fn values_are_written_as_copy_text() {
        let fields = [
            field(LogicalType::LargeString),
            field(LogicalType::Integer64),
            field(LogicalType::Double),
            field(LogicalType::LargeString),
        ];
        let values = [
            ValueRef::Text(b"a\tb\\c\nd\re"),
            ValueRef::Integer(-7),
            ValueRef::Real(0.1),
            ValueRef::Null,
        ];
        let mut out = Vec::new();
        row(&mut out, &fields, values).expect("writes");
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re\t-7\t0.1\t\\N\n");
    }

    #[test]
    fn what_postgresql_refuses_is_named() {
        let fields = [field(LogicalType::String(Some(3)))];
        let mut out = Vec::new();
        assert!(row(&mut out, &fields, [ValueRef::Text("äöü".as_bytes())]).is_ok());
        let (_, message) = row(&mut out, &fields, [ValueRef::Text(b"abcd")]).expect_err("too long");
        assert!(message.contains("longer than the column's 3"), "{message}");
        let (_, message) = row(&mut out, &fields, [ValueRef::Text(b"a\0")]).expect_err("NUL");
        assert!(message.contains("NUL"), "{message}");
    }
}
