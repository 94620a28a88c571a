//! Names per target, decided once.
//!
//! Wire names are kept wherever a target allows them. CDS elements, SQL columns and
//! EDM properties share one name (CAP maps them one to one), so that name must be a
//! valid EDM `SimpleIdentifier` and is only *quoted* per target where it is a
//! keyword (`![order]` in CDS; in SQL see [`crate::dialect`]), exactly as CAP does. Rust names
//! are snake_case/CamelCase with raw identifiers for keywords. Collisions (after
//! sanitizing, after case folding, after flattening, or with generated columns)
//! are resolved with deterministic `_2`, `_3` suffixes, and every rename is reported.

use std::collections::BTreeSet;

/// CDL keywords that must be written `![name]` (cds-compiler's reserved list, plus
/// the functions it reserves).
const CDL_KEYWORDS: &[&str] = &[
    "ALL",
    "ANY",
    "AS",
    "BY",
    "CASE",
    "CAST",
    "DISTINCT",
    "EXISTS",
    "FALSE",
    "FROM",
    "IN",
    "KEY",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "SELECT",
    "SOME",
    "TRUE",
    "WHEN",
    "WHERE",
    "WITH",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "SESSION_USER",
    "SYSTEM_USER",
];

/// Rust keywords (strict and reserved, all editions) that need `r#` or a rename.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Rust keywords that cannot be raw identifiers.
const RUST_NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Turns a wire name into an identifier valid in CDS, SQL and EDM alike:
/// ASCII letters, digits and `_`, not starting with a digit, at most 127 characters.
///
/// Non-ASCII letters are transliterated (`ünïcödé` → `unicode`) so the name stays
/// readable; everything else becomes `_`.
#[cfg(feature = "build")]
pub fn identifier(wire: &str) -> String {
    let ascii = deunicode::deunicode(wire);
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut name = if trimmed.is_empty() {
        "field".to_owned()
    } else {
        trimmed.to_owned()
    };
    // Keep a leading underscore the wire name really had (`_id`), drop invented ones.
    if wire.starts_with('_') && !name.starts_with('_') {
        name.insert(0, '_');
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name.truncate(127);
    name
}

/// `CamelCase` from any wire name: `dash-name` → `DashName`, `messages` → `Messages`.
#[cfg(feature = "build")]
pub fn camel(wire: &str) -> String {
    let id = identifier(wire);
    let mut out = String::with_capacity(id.len());
    let mut upper = true;
    for c in id.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, 'T');
    }
    out
}

/// `snake_case` from any wire name: `Name` → `name`, `dot.name` → `dot_name`,
/// `startAt` → `start_at`.
#[cfg(feature = "build")]
pub fn snake(wire: &str) -> String {
    let id = identifier(wire);
    let mut out = String::with_capacity(id.len() + 4);
    let mut prev_lower = false;
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// The singular of an English plural, for struct and association names:
/// `Conversations` → `Conversation`, `Replies` → `Reply`, `Entities` → `Entity`.
pub fn singular(plural: &str) -> String {
    let lower = plural.to_ascii_lowercase();
    if let Some(stem) = plural.strip_suffix("ies").filter(|s| !s.is_empty()) {
        format!("{stem}{}", if plural.ends_with("IES") { "Y" } else { "y" })
    } else if ["sses", "shes", "ches", "xes", "zzes"]
        .iter()
        .any(|end| lower.ends_with(end))
    {
        plural[..plural.len() - 2].to_owned()
    } else if lower.ends_with('s')
        && !["ss", "us", "is"].iter().any(|end| lower.ends_with(end))
        && plural.len() > 1
    {
        plural[..plural.len() - 1].to_owned()
    } else {
        plural.to_owned()
    }
}

/// Words that are plural (or uncountable) as they stand: `{"data": [...]}` is the
/// commonest record wrapper of real APIs (OpenAI, Stripe), and `Datas` no name.
const ALREADY_PLURAL: &[&str] = &["data", "media", "info", "feedback", "information"];

/// The plural, for entity names made from singular wire names (`line` → `Lines`).
pub fn plural(singular: &str) -> String {
    let lower = singular.to_ascii_lowercase();
    if lower.ends_with('s') || ALREADY_PLURAL.iter().any(|word| lower.ends_with(word)) {
        singular.to_owned()
    } else if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
    {
        format!("{}ies", &singular[..singular.len() - 1])
    } else if ["x", "z", "ch", "sh"]
        .iter()
        .any(|end| lower.ends_with(end))
    {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    }
}

/// The identifier as CDS writes it: `![name]` where it is a CDL keyword.
pub fn cds(name: &str) -> String {
    if is_keyword(CDL_KEYWORDS, name) {
        format!("![{name}]")
    } else {
        name.to_owned()
    }
}

/// A Rust identifier token text: `type` → `r#type`; `self` → `self_` (cannot be raw).
pub fn rust_ident(snake_name: &str) -> String {
    if RUST_NOT_RAW.contains(&snake_name) {
        format!("{snake_name}_")
    } else if RUST_KEYWORDS.contains(&snake_name) {
        format!("r#{snake_name}")
    } else {
        snake_name.to_owned()
    }
}

fn is_keyword(list: &[&str], name: &str) -> bool {
    list.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Hands out names unique within one scope, compared case-insensitively (SQLite,
/// SAC and many OData clients fold case), suffixing `_2`, `_3`… on collision.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// Claims `wanted`, or the first free suffixed form of it. Returns the name given.
    pub fn claim(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        let mut n = 2;
        while !self.taken.insert(name.to_ascii_lowercase()) {
            name = format!("{wanted}_{n}");
            n += 1;
        }
        name
    }

    /// Whether `name` is taken (case-insensitively).
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(&name.to_ascii_lowercase())
    }
}

#[cfg(all(test, feature = "build"))]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_valid_everywhere() {
        assert_eq!(identifier("with space"), "with_space");
        assert_eq!(identifier("dot.name"), "dot_name");
        assert_eq!(identifier("dash-name"), "dash_name");
        assert_eq!(identifier("ünïcödé"), "unicode");
        assert_eq!(identifier("1st"), "_1st");
        assert_eq!(identifier("_id"), "_id");
        assert_eq!(identifier("💬"), "speech_balloon");
        assert_eq!(identifier("---"), "field");
        assert_eq!(identifier("order"), "order");
    }

    #[test]
    fn case_styles() {
        assert_eq!(camel("dash-name"), "DashName");
        assert_eq!(camel("1st"), "T1st");
        assert_eq!(snake("startAt"), "start_at");
        assert_eq!(snake("Name"), "name");
        assert_eq!(snake("HTTPCode"), "httpcode");
    }

    #[test]
    fn singular_and_plural() {
        for (p, s) in [
            ("Conversations", "Conversation"),
            ("Messages", "Message"),
            ("Replies", "Reply"),
            ("Entities", "Entity"),
            ("Boxes", "Box"),
            ("Status", "Status"),
            ("Address", "Address"),
        ] {
            assert_eq!(singular(p), s, "{p}");
        }
        assert_eq!(plural("Line"), "Lines");
        assert_eq!(plural("Entity"), "Entities");
        assert_eq!(plural("Key"), "Keys");
        assert_eq!(plural("Tags"), "Tags");
        assert_eq!(plural("Data"), "Data");
        assert_eq!(plural("UserMetadata"), "UserMetadata");
    }

    #[test]
    fn keywords_are_quoted_per_target() {
        assert_eq!(cds("key"), "![key]");
        assert_eq!(cds("select"), "![select]");
        assert_eq!(cds("order"), "order");
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("self"), "self_");
        assert_eq!(rust_ident("name"), "name");
    }

    #[test]
    fn scope_suffixes_case_insensitively() {
        let mut scope = Scope::default();
        assert_eq!(scope.claim("Name"), "Name");
        assert_eq!(scope.claim("name"), "name_2");
        assert_eq!(scope.claim("NAME"), "NAME_3");
        assert!(scope.contains("nAmE_2"));
    }
}
