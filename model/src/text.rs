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

/// `text` for a rustdoc comment: [`for_source`], and its brackets escaped unless
/// they make an inline link. Descriptions cite their sources as `[6]` and show JSON
/// arrays (`[{"type": ...}]`); rustdoc would take each as an intra-doc link to
/// resolve and warn that it cannot. Escaped, they render as written; `[text](url)`
/// stays a link. [`from_doc`] reads it back.
pub fn for_doc(text: &str) -> String {
    let text = for_source(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['[', ']']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(len) = inline_link_text(tail) {
            out.push_str(&tail[..len]);
            rest = &tail[len..];
        } else {
            out.push('\\');
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A doc comment's text as rustdoc shows it: `\[` and `\]` (how a doc writes a
/// bracket that is not a link, and how [`for_doc`] writes the spec's) are brackets.
pub fn from_doc(doc: &str) -> String {
    doc.replace("\\[", "[").replace("\\]", "]")
}

/// The length of `[text]` when `tail` opens an inline link: a `[`, text without
/// brackets, `]` and then `(`.
fn inline_link_text(tail: &str) -> Option<usize> {
    let inner = tail.strip_prefix('[')?;
    let close = inner.find(['[', ']'])?;
    let after = inner[close..].strip_prefix(']')?;
    after.starts_with('(').then_some(close + 2)
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

    #[test]
    fn brackets_are_escaped_unless_they_make_an_inline_link() {
        assert_eq!(for_doc("type [6]: text"), "type \\[6\\]: text");
        assert_eq!(
            for_doc(r#"e.g. [{"type":"text"}] [3][6]"#),
            r#"e.g. \[{"type":"text"}\] \[3\]\[6\]"#
        );
        assert_eq!(
            for_doc("see [the docs](https://example.com/a) [1]"),
            "see [the docs](https://example.com/a) \\[1\\]"
        );
        assert_eq!(for_doc("[a [b](c)"), "\\[a [b](c)");
        assert_eq!(for_doc("a ] b [\u{202E}"), "a \\] b \\[ ");
    }

    #[test]
    fn a_doc_reads_back_as_its_text() {
        for text in [
            "type [6]: [{\"a\": 1}]",
            "see [the docs](https://x.y) [1]",
            "a ] b [",
        ] {
            assert_eq!(from_doc(&for_doc(text)), text);
        }
    }
}
