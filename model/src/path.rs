//! Data paths, as every message, rename and bridge.toml key spells them:
//! `results.conversations[].messages[].input_message_content(json).type`, where
//! `.key` is an object member, `[]` an array item, `{}` an entry's value in a map
//! (an object whose keys are data: `messages[].entities{}[]`) and `(json)` the JSON
//! a string holds.

use crate::Step;

/// The segment for an array's items.
pub const ITEM: &str = "[]";

/// The segment for the values of a map's entries.
pub const ENTRY: &str = "{}";

/// The segment for the JSON a string holds.
pub const JSON: &str = "(json)";

/// `path.key`; just `key` at the root (an empty path).
pub fn member(path: &str, key: &str) -> String {
    let mut member = path.to_owned();
    push_member(&mut member, key);
    member
}

/// Turns `path` into `path.key` in place (`key` at the root), so a reader that
/// descends and comes back up can reuse one buffer instead of allocating per field.
pub fn push_member(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// `path[]`.
pub fn item(path: &str) -> String {
    format!("{path}{ITEM}")
}

/// `path{}`.
pub fn entry(path: &str) -> String {
    format!("{path}{ENTRY}")
}

/// `path(json)`.
pub fn json(path: &str) -> String {
    format!("{path}{JSON}")
}

/// Object keys from the root, as a dotted path (`results.conversations`); empty for
/// none.
pub fn of_keys(keys: &[String]) -> String {
    keys.iter()
        .fold(String::new(), |path, key| member(&path, key))
}

/// `base` followed by a field's source steps.
pub fn of_steps(base: &str, steps: &[Step]) -> String {
    let mut out = base.to_owned();
    for step in steps {
        out = match step {
            Step::Key(key) => member(&out, key),
            Step::Json => json(&out),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_spell_a_data_path() {
        let steps = [
            Step::Key("input_message_content".into()),
            Step::Json,
            Step::Key("type".into()),
        ];
        assert_eq!(
            of_steps("results.conversations[].messages[]", &steps),
            "results.conversations[].messages[].input_message_content(json).type"
        );
        assert_eq!(of_steps("", &steps), "input_message_content(json).type");
        assert_eq!(
            item(&member("results", "conversations")),
            "results.conversations[]"
        );
        let keys = ["results".to_owned(), "conversations".to_owned()];
        assert_eq!(of_keys(&keys), "results.conversations");
        assert_eq!(of_keys(&[]), "");
    }
}
