//! The column names a derived type flattens into, as constants, and the check that
//! no two of them are the same name, run by the compiler.
//!
//! A derive sees only its own struct: a field `a_b` next to a nested `a: A` whose `A`
//! has a field `b` collides only once `A` is known. So each derive lists its columns
//! in [`Bridge::COLUMNS`](super::Bridge::COLUMNS), naming nested types' lists by
//! reference, and asks the compiler to evaluate [`check`] on the whole tree: a
//! collision fails the build with a message naming the column and both fields, at the
//! nested field. The names follow the model builder's rule (`<prefix>_<column>`, a
//! rename replacing the whole name) and compare without regard to ASCII case, as
//! SQLite compares them.

/// One field's column, or the columns of a nested struct it flattens.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The Rust field it comes from.
    pub field: &'static str,
    /// The column name, or the prefix of a nested struct's columns.
    pub name: &'static str,
    /// A rename: `name` is the whole name, not appended to the enclosing prefix.
    pub absolute: bool,
    /// A nested struct's columns, named under `name`.
    pub nested: Option<&'static [Column]>,
}

impl Column {
    /// A field's own column (or a child list's composition name).
    pub const fn one(field: &'static str, name: &'static str, absolute: bool) -> Self {
        Column {
            field,
            name,
            absolute,
            nested: None,
        }
    }

    /// A nested struct's columns, flattened under `name`.
    pub const fn nested(
        field: &'static str,
        name: &'static str,
        absolute: bool,
        columns: &'static [Column],
    ) -> Self {
        Column {
            field,
            name,
            absolute,
            nested: Some(columns),
        }
    }
}

/// Longest name (and field path) compared; longer ones are compared on this prefix.
const MAX: usize = 200;

/// Bytes in a fixed buffer, since a `const fn` cannot allocate.
#[derive(Clone, Copy)]
struct Buf {
    bytes: [u8; MAX],
    len: usize,
}

impl Buf {
    const EMPTY: Buf = Buf {
        bytes: [0; MAX],
        len: 0,
    };

    const fn push(mut self, text: &str) -> Buf {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < MAX {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn eq_ignore_ascii_case(&self, other: &Buf) -> bool {
        if self.len != other.len {
            return false;
        }
        let mut i = 0;
        while i < self.len {
            if !self.bytes[i].eq_ignore_ascii_case(&other.bytes[i]) {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// One flattened column: its full name, the field path it comes from, and which
/// top-level field that path starts at.
#[derive(Clone, Copy)]
struct Flat {
    name: Buf,
    path: Buf,
    top: usize,
}

/// How many columns `columns` flattens into: the `N` that [`check`] takes.
pub const fn count(columns: &[Column]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < columns.len() {
        n += match columns[i].nested {
            Some(nested) => count(nested),
            None => 1,
        };
        i += 1;
    }
    n
}

/// Fails compilation when a column flattened from the nested field at `field` (an
/// index into `columns`) has the same name as another column of the struct. Each
/// collision involving a nested field is reported once: at the later field when it is
/// nested, else at the nested one. Collisions between two plain fields the derive
/// reports itself, with better spans.
pub const fn check<const N: usize>(columns: &[Column], field: usize) {
    let mut flat = [Flat {
        name: Buf::EMPTY,
        path: Buf::EMPTY,
        top: 0,
    }; N];
    let mut n = 0;
    let mut top = 0;
    while top < columns.len() {
        flatten(columns[top], Buf::EMPTY, Buf::EMPTY, top, &mut flat, &mut n);
        top += 1;
    }
    // Only pairs with a column of `field` can be reported here: comparing just those
    // keeps the work linear in the struct's width (a struct of 2,500 fields would
    // otherwise take millions of steps and trip the compiler's const-eval limit).
    // `field`'s columns are one run of `flat`, [start, end).
    let mut start = 0;
    while start < n && flat[start].top != field {
        start += 1;
    }
    let mut end = start;
    while end < n && flat[end].top == field {
        end += 1;
    }
    let mut j = 0;
    while j < n {
        let (mut i, stop) = if flat[j].top == field {
            (0, j)
        } else {
            (start, if end < j { end } else { j })
        };
        while i < stop {
            let (a, b) = (&flat[i], &flat[j]);
            if a.name.eq_ignore_ascii_case(&b.name) && reported_at(columns, a.top, b.top) == field {
                collision(a, b);
            }
            i += 1;
        }
        j += 1;
    }
}

/// The field where the collision of a column of field `a` with one of field `b`
/// (`a <= b`) is reported (see [`check`]).
const fn reported_at(columns: &[Column], a: usize, b: usize) -> usize {
    if columns[b].nested.is_some() || a == b {
        b
    } else {
        a
    }
}

const fn flatten<const N: usize>(
    column: Column,
    prefix: Buf,
    path: Buf,
    top: usize,
    out: &mut [Flat; N],
    n: &mut usize,
) {
    let name = if column.absolute || prefix.len == 0 {
        Buf::EMPTY.push(column.name)
    } else {
        prefix.push("_").push(column.name)
    };
    let path = if path.len == 0 {
        Buf::EMPTY.push(column.field)
    } else {
        path.push(".").push(column.field)
    };
    match column.nested {
        Some(nested) => {
            let mut i = 0;
            while i < nested.len() {
                flatten(nested[i], name, path, top, out, n);
                i += 1;
            }
        }
        None => {
            out[*n] = Flat { name, path, top };
            *n += 1;
        }
    }
}

/// Stops compilation with a message that names the column and both fields.
const fn collision(a: &Flat, b: &Flat) -> ! {
    let message = Message::EMPTY
        .push("the fields `")
        .push_buf(&a.path)
        .push("` and `")
        .push_buf(&b.path)
        .push("` both map to the column `")
        .push_buf(&b.name)
        .push("` (nested fields flatten into `<field>_<nested field>`; SQLite ignores case); rename one with #[bridge(rename = \"...\")]");
    match core::str::from_utf8(message.bytes.split_at(message.len).0) {
        Ok(text) => panic!("{}", text),
        Err(_) => {
            panic!("two fields map to the same column; rename one with #[bridge(rename = \"...\")]")
        }
    }
}

/// The error message, built in a buffer for the same reason as [`Buf`].
struct Message {
    bytes: [u8; 4 * MAX],
    len: usize,
}

impl Message {
    const EMPTY: Message = Message {
        bytes: [0; 4 * MAX],
        len: 0,
    };

    const fn push(self, text: &str) -> Message {
        self.push_bytes(text.as_bytes())
    }

    const fn push_buf(self, buf: &Buf) -> Message {
        self.push_bytes(buf.bytes.split_at(buf.len).0)
    }

    const fn push_bytes(mut self, bytes: &[u8]) -> Message {
        let mut i = 0;
        while i < bytes.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INNER: &[Column] = &[Column::one("b", "b", false), Column::one("c", "c_x", true)];

    #[test]
    fn counts_flattened_columns() {
        const COLUMNS: &[Column] = &[
            Column::one("x", "x", false),
            Column::nested("a", "a", false, INNER),
        ];
        assert_eq!(count(COLUMNS), 3);
    }

    #[test]
    fn distinct_names_pass() {
        const COLUMNS: &[Column] = &[
            Column::one("a_c", "a_c", false),
            Column::nested("a", "a", false, INNER),
        ];
        const N: usize = count(COLUMNS);
        check::<N>(COLUMNS, 1);
    }

    #[test]
    #[should_panic(expected = "the fields `a_b` and `a.b` both map to the column `a_b`")]
    fn a_flattened_name_collides_with_a_plain_field() {
        const COLUMNS: &[Column] = &[
            Column::one("a_b", "A_B", false),
            Column::nested("a", "a", false, INNER),
        ];
        check::<3>(COLUMNS, 1);
    }

    #[test]
    #[should_panic(expected = "the fields `a.c` and `z` both map to the column `z`")]
    fn a_rename_inside_a_nested_struct_is_the_whole_name() {
        const INNER: &[Column] = &[Column::one("c", "z", true)];
        const COLUMNS: &[Column] = &[
            Column::nested("a", "a", false, INNER),
            Column::one("z", "z", false),
        ];
        check::<2>(COLUMNS, 0);
    }

    #[test]
    fn a_collision_is_reported_at_one_field_only() {
        const COLUMNS: &[Column] = &[
            Column::nested("a", "a", false, INNER),
            Column::one("a_b", "a_b", false),
        ];
        // Reported at `a` (the nested one), not at the plain field after it.
        check::<3>(COLUMNS, 1);
        assert!(std::panic::catch_unwind(|| check::<3>(COLUMNS, 0)).is_err());
    }
}
