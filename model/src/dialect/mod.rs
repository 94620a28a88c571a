//! The SQL databases CAP deploys a model to, and all that differs between them in
//! the DDL: column type names, reserved words and how a quoted name is spelt. Each
//! dialect is one row of `TRAITS`; the DDL writer ([`crate::emit::sql`]) is the
//! same for all of them, so names and types are decided once.
//!
//! The rules are cds-compiler's (`lib/sql-identifier.js` for names,
//! `lib/render/utils/common.js` for types): what `cds compile --to sql --dialect
//! sqlite|postgres|hana` writes for the generated CDS.

mod keywords;

use serde::Serialize;

use crate::LogicalType;

/// An SQL dialect of CAP's (`--dialect NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// SQLite, what a bridge runs on by default (`@cap-js/sqlite`).
    Sqlite,
    /// PostgreSQL (`@cap-js/postgres`).
    Postgres,
    /// SAP HANA (Cloud): `@cap-js/hana`.
    Hana,
}

/// One dialect's row of the table.
struct Traits {
    name: &'static str,
    title: &'static str,
    /// Whitespace-separated, upper case.
    keywords: &'static str,
    /// Characters a name may hold unquoted besides ASCII letters, digits and `_`.
    regular_extra: &'static [char],
    /// The name the database stores for an unquoted one: what a quoted name must
    /// spell to mean the same.
    effective: fn(&str) -> String,
    string: &'static str,
    default_string_length: u32,
    large_string: &'static str,
    double: &'static str,
    timestamp: &'static str,
    date: &'static str,
    /// The longest name the database keeps whole (PostgreSQL cuts longer ones).
    max_name_bytes: Option<usize>,
}

const TRAITS: [Traits; 3] = [
    Traits {
        name: "sqlite",
        title: "SQLite",
        keywords: keywords::SQLITE,
        regular_extra: &['$'],
        effective: str::to_owned,
        string: "NVARCHAR",
        default_string_length: 255,
        large_string: "NCLOB",
        double: "DOUBLE",
        // The `_TEXT` suffixes give SQLite's text affinity: CAP stores these as text.
        timestamp: "TIMESTAMP_TEXT",
        date: "DATE_TEXT",
        max_name_bytes: None,
    },
    Traits {
        name: "postgres",
        title: "PostgreSQL",
        keywords: keywords::POSTGRES,
        regular_extra: &['$'],
        effective: str::to_lowercase,
        string: "VARCHAR",
        default_string_length: 255,
        large_string: "TEXT",
        double: "FLOAT8",
        timestamp: "TIMESTAMP",
        date: "DATE",
        max_name_bytes: Some(63),
    },
    Traits {
        name: "hana",
        title: "SAP HANA",
        keywords: keywords::HANA,
        regular_extra: &['$', '#'],
        effective: str::to_uppercase,
        string: "NVARCHAR",
        default_string_length: 5000,
        large_string: "NCLOB",
        double: "DOUBLE",
        timestamp: "TIMESTAMP",
        date: "DATE",
        max_name_bytes: Some(127),
    },
];

impl Dialect {
    /// Every dialect, SQLite first.
    pub const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Hana];

    fn traits(self) -> &'static Traits {
        &TRAITS[self as usize]
    }

    /// CAP's name of the dialect: `sqlite`, `postgres`, `hana`.
    pub fn name(self) -> &'static str {
        self.traits().name
    }

    /// The database's name for people: `SQLite`, `PostgreSQL`, `SAP HANA`.
    pub fn title(self) -> &'static str {
        self.traits().title
    }

    /// The words CAP quotes as names in this dialect, upper case.
    pub fn reserved_words(self) -> impl Iterator<Item = &'static str> {
        self.traits().keywords.split_whitespace()
    }

    /// A name as this dialect's DDL writes it: as it is where it can stand unquoted,
    /// else quoted and spelt as the database stores unquoted names (`"order"` in
    /// PostgreSQL, `"ORDER"` in SAP HANA), so that it means the same either way.
    pub fn ident(self, name: &str) -> String {
        let traits = self.traits();
        let regular = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '_' || traits.regular_extra.contains(&c)
            });
        let upper = name.to_ascii_uppercase();
        if regular && !self.reserved_words().any(|k| k == upper) {
            name.to_owned()
        } else {
            format!("\"{}\"", (traits.effective)(name).replace('"', "\"\""))
        }
    }

    /// A name as the database's catalog holds it (`information_schema`, `pg_class`):
    /// how it stores `name` written as [`ident`](Self::ident) writes it, folded, and cut
    /// where the database cuts names (PostgreSQL keeps 63 bytes, on a character's
    /// boundary, in DDL and queries alike).
    pub fn catalog_name(self, name: &str) -> String {
        let mut stored = (self.traits().effective)(name);
        // SAP HANA refuses a longer name instead; only PostgreSQL cuts it.
        if let (Dialect::Postgres, Some(max)) = (self, self.traits().max_name_bytes) {
            let mut end = stored.len().min(max);
            while !stored.is_char_boundary(end) {
                end -= 1;
            }
            stored.truncate(end);
        }
        stored
    }

    /// The mark of the `n`th (1-based) bound parameter in a statement: `?1` in
    /// SQLite, `$1` in PostgreSQL, `?` in SAP HANA (positional only).
    pub fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
            Dialect::Hana => "?".to_owned(),
        }
    }

    /// A name of our own making (an index's) that fits the database whole: where
    /// `name` is longer than it keeps, its head and a hash of all of it, so that two
    /// long names that share a head stay apart (PostgreSQL would cut both alike).
    pub fn fitted(self, name: &str) -> String {
        let Some(max) = self.traits().max_name_bytes.filter(|&max| name.len() > max) else {
            return name.to_owned();
        };
        // FNV-1a: stable across builds and platforms, unlike the std hasher.
        let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let mut head = max - 9;
        while !name.is_char_boundary(head) {
            head -= 1;
        }
        format!("{}_{hash:08x}", &name[..head])
    }

    /// The column type CAP gives `ty` in this dialect.
    pub fn column_type(self, ty: &LogicalType) -> String {
        let traits = self.traits();
        match ty {
            LogicalType::String(Some(n)) => format!("{}({n})", traits.string),
            LogicalType::String(None) => {
                format!("{}({})", traits.string, traits.default_string_length)
            }
            // CAP makes a UUID a String(36) before it renders the type.
            LogicalType::Uuid => format!("{}(36)", traits.string),
            LogicalType::LargeString | LogicalType::Json => traits.large_string.into(),
            LogicalType::Integer => "INTEGER".into(),
            LogicalType::Integer64 => "BIGINT".into(),
            LogicalType::Double => traits.double.into(),
            LogicalType::Boolean => "BOOLEAN".into(),
            LogicalType::Timestamp => traits.timestamp.into(),
            LogicalType::Date => traits.date.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_order_of_the_enum() {
        for dialect in Dialect::ALL {
            let json = serde_json::to_value(dialect).unwrap();
            assert_eq!(json, dialect.name());
        }
    }

    #[test]
    fn catalog_names_are_folded_and_cut_as_the_database_stores_them() {
        assert_eq!(
            Dialect::Postgres.catalog_name("cai_logs_Messages"),
            "cai_logs_messages"
        );
        let long = format!("{}ä", "x".repeat(62));
        assert_eq!(Dialect::Postgres.catalog_name(&long), "x".repeat(62));
        assert_eq!(Dialect::Sqlite.catalog_name(&long), long);
    }

    #[test]
    fn reserved_words_are_quoted_as_each_database_folds_names() {
        assert_eq!(Dialect::Sqlite.ident("order"), "\"order\"");
        assert_eq!(Dialect::Postgres.ident("Order"), "\"order\"");
        assert_eq!(Dialect::Hana.ident("order"), "\"ORDER\"");
        assert_eq!(Dialect::Hana.ident("raw"), "\"RAW\"");
        assert_eq!(Dialect::Postgres.ident("raw"), "raw");
        assert_eq!(Dialect::Sqlite.ident("key"), "\"key\"");
        assert_eq!(Dialect::Postgres.ident("key"), "key");
        assert_eq!(Dialect::Sqlite.ident("type"), "type");
        assert_eq!(Dialect::Hana.ident("a#b"), "a#b");
        assert_eq!(Dialect::Postgres.ident("a#b"), "\"a#b\"");
        assert_eq!(Dialect::Sqlite.ident("1st"), "\"1st\"");
        assert_eq!(Dialect::Sqlite.ident("say\"hi"), "\"say\"\"hi\"");
    }

    #[test]
    fn long_names_are_cut_apart() {
        let a = format!("{}_created_at", "x".repeat(60));
        let b = format!("{}_updated_at", "x".repeat(60));
        let (fa, fb) = (Dialect::Postgres.fitted(&a), Dialect::Postgres.fitted(&b));
        assert_eq!((fa.len(), fb.len()), (63, 63));
        assert_ne!(fa, fb);
        assert_eq!(fa, Dialect::Postgres.fitted(&a));
        assert_eq!(Dialect::Hana.fitted(&a), a);
        assert_eq!(Dialect::Sqlite.fitted(&a.repeat(3)), a.repeat(3));
        assert_eq!(Dialect::Postgres.fitted("short_at"), "short_at");
    }

    #[test]
    fn types_follow_cap() {
        let all = |ty: LogicalType| Dialect::ALL.map(|d| d.column_type(&ty));
        assert_eq!(
            all(LogicalType::String(None)),
            ["NVARCHAR(255)", "VARCHAR(255)", "NVARCHAR(5000)"]
        );
        assert_eq!(
            all(LogicalType::Uuid),
            ["NVARCHAR(36)", "VARCHAR(36)", "NVARCHAR(36)"]
        );
        assert_eq!(all(LogicalType::Json), ["NCLOB", "TEXT", "NCLOB"]);
        assert_eq!(all(LogicalType::Double), ["DOUBLE", "FLOAT8", "DOUBLE"]);
        assert_eq!(
            all(LogicalType::Timestamp),
            ["TIMESTAMP_TEXT", "TIMESTAMP", "TIMESTAMP"]
        );
        assert_eq!(all(LogicalType::Date), ["DATE_TEXT", "DATE", "DATE"]);
    }
}
