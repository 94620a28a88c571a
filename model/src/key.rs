//! Natural keys: which field identifies a record when no key is declared. The
//! builder and the derive's compile-time check ask the same question here.

use crate::naming;

/// The wire names that make a natural key of the records named `records` (the last
/// step of their path, e.g. `conversations` or `messages`), in order of preference:
/// `id`, then `<singular>_id` (`conversation_id`, `message_id`).
pub fn candidates(records: &str) -> [String; 2] {
    [
        "id".to_owned(),
        format!("{}_id", naming::snake(&naming::singular(records))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_then_the_singular_id() {
        assert_eq!(candidates("messages"), ["id", "message_id"]);
        assert_eq!(candidates("Entries"), ["id", "entry_id"]);
        assert_eq!(candidates(""), ["id", "field_id"]);
    }
}
