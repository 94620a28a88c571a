//! Natural keys: which field identifies a record when no key is declared. The
//! builder and the derive's compile-time check ask the same question here.

use crate::naming;

/// The wire names that make a natural key of the records named `records` (the last
/// step of their path, e.g. `conversations` or `messages`), in order of preference:
/// `id`, `<singular>_id` (`conversation_id`), `<singular>Id` (`conversationId`), then
/// `sid` (Twilio) and `uuid`.
pub fn candidates(records: &str) -> [String; 5] {
    let singular = naming::singular(records);
    let snake = naming::snake(&singular);
    let mut camel = naming::camel(&singular);
    if let Some(first) = camel.get(..1).map(str::to_ascii_lowercase) {
        camel.replace_range(..1, &first);
    }
    [
        "id".to_owned(),
        format!("{snake}_id"),
        format!("{camel}Id"),
        "sid".to_owned(),
        "uuid".to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_then_the_singular_id() {
        assert_eq!(
            candidates("messages"),
            ["id", "message_id", "messageId", "sid", "uuid"]
        );
        assert_eq!(candidates("Entries")[1], "entry_id");
        assert_eq!(candidates("Entries")[2], "entryId");
        assert_eq!(candidates("")[1], "field_id");
    }
}
