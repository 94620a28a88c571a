//! A generated `schema.sql` as statements, to compare with CAP's one by one: the
//! writer puts one blank line between statements and comments only in its header.

/// The statements of a `schema.sql`, indexes apart.
#[derive(Debug)]
pub struct Ddl {
    /// Every statement but the indexes, in order, each ending with `;`.
    pub statements: Vec<String>,
    /// The `CREATE INDEX` statements, in order.
    pub indexes: Vec<String>,
}

impl Ddl {
    /// Splits `text` (header comment, then statements a blank line apart).
    pub fn parse(text: &str) -> Ddl {
        let mut statements = Vec::new();
        let mut indexes = Vec::new();
        for chunk in text.split("\n\n") {
            let statement = chunk
                .lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            if statement.is_empty() {
                continue;
            }
            if statement.starts_with("CREATE INDEX ") {
                indexes.push(statement);
            } else {
                statements.push(statement);
            }
        }
        Ddl {
            statements,
            indexes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_blank_lines_and_drops_the_header() {
        let ddl = Ddl::parse(
            "-- header\n-- more\n\nCREATE TABLE a (\n  x INTEGER\n);\n\nCREATE VIEW v AS SELECT\n  a_0.x\nFROM a AS a_0;\n\nCREATE INDEX a_x ON a(x);\n",
        );
        assert_eq!(
            ddl.statements,
            [
                "CREATE TABLE a (\n  x INTEGER\n);",
                "CREATE VIEW v AS SELECT\n  a_0.x\nFROM a AS a_0;"
            ]
        );
        assert_eq!(ddl.indexes, ["CREATE INDEX a_x ON a(x);"]);
    }
}
