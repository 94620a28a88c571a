//! Text that goes into generated sources (doc comments, CDS comments): what a spec
//! or a wire name says, without the characters that change how source reads.
//!
//! Bidirectional controls (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F,
//! U+061C) let a comment display differently from what the compiler reads (the
//! "Trojan Source" attack), and rustc refuses them; other control characters have no
//! place in a comment either. Each becomes a space.

/// `text` with every bidirectional and control character (tabs and newlines aside)
/// replaced by a space.
pub fn for_source(text: &str) -> String {
    text.chars()
        .map(|c| if is_hazard(c) { ' ' } else { c })
        .collect()
}

fn is_hazard(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || (c.is_control() && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_control_characters_become_spaces() {
        assert_eq!(for_source("a\u{202E}b\u{2066}c\u{0007}d"), "a b c d");
        assert_eq!(
            for_source("Grüße, 世界 🌍\nnext\tline"),
            "Grüße, 世界 🌍\nnext\tline"
        );
    }
}
