//! YAML into serde_yaml_ng's `Value`, as its own `Deserialize` builds it, with two
//! differences real specs need:
//!
//! - integers beyond `i64`/`u64` are numbers (OpenAI's spec writes `minimum:
//!   -9223372036854776000`), where serde_yaml_ng's `Value` refuses the whole file;
//! - flow collections nested deeper than [`MAX_DEPTH`] are refused at once, with
//!   their position: the parser takes time quadratic in that depth (100,000 levels in
//!   200 kB took over a minute), and no spec nests that deep.

use std::fmt;

use serde::de::{
    self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_yaml_ng::value::{Tag, TaggedValue};
use serde_yaml_ng::{Mapping, Number, Sequence, Value};

/// The deepest flow nesting (`[` and `{`) accepted: below serde_yaml_ng's own limit
/// of 128 levels in all, which it only reports after the slow parse.
pub const MAX_DEPTH: usize = 100;

/// Why a YAML text was not read.
#[derive(Debug)]
pub enum YamlError {
    /// The parser refused it.
    Syntax(serde_yaml_ng::Error),
    /// Flow collections nest deeper than [`MAX_DEPTH`], first at this 1-based line and
    /// column.
    TooDeep {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

/// Reads `text` into a `Value` (merge keys not yet applied).
pub fn from_str(text: &str) -> Result<Value, YamlError> {
    if let Some((line, column)) = too_deep(text) {
        return Err(YamlError::TooDeep { line, column });
    }
    serde_yaml_ng::from_str::<Node>(text)
        .map(|node| node.0)
        .map_err(YamlError::Syntax)
}

/// Where flow nesting first passes [`MAX_DEPTH`], if it does. A bracket opens a flow
/// collection where a value may start (first on its line, after `:`, `-`, `,`, `?`,
/// or after a bracket that opened one) or inside a flow collection; quoted scalars
/// and comments (`#` after white space) are skipped.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    // Whether a value may start at the next character that is not white space.
    let mut value_may_start = true;
    let mut after_space = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        let value_starts = depth > 0 || value_may_start;
        match c {
            '\n' => {
                line += 1;
                column = 0;
                value_may_start = true;
                after_space = true;
                continue;
            }
            ' ' | '\t' | '\r' => {
                after_space = true;
                continue;
            }
            '#' if after_space => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        column = 0;
                        break;
                    }
                }
                value_may_start = true;
                after_space = true;
                continue;
            }
            '\'' | '"' if value_starts => {
                let quote = c;
                while let Some(c) = chars.next() {
                    column += 1;
                    if c == '\n' {
                        line += 1;
                        column = 0;
                    } else if quote == '"' && c == '\\' {
                        chars.next();
                        column += 1;
                    } else if c == quote {
                        // `''` is a quote inside a single-quoted scalar.
                        if quote == '\'' && chars.peek() == Some(&'\'') {
                            chars.next();
                            column += 1;
                        } else {
                            break;
                        }
                    }
                }
                value_may_start = false;
            }
            '[' | '{' if value_starts => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((line, column));
                }
                value_may_start = true;
            }
            ']' | '}' if depth > 0 => {
                depth -= 1;
                value_may_start = false;
            }
            ':' | '-' | ',' | '?' => value_may_start = true,
            _ => value_may_start = false,
        }
        after_space = false;
    }
    None
}

/// A YAML value, deserialized as `serde_yaml_ng::Value` is, taking wide integers.
struct Node(Value);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node(Value::Bool(b)))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Node, E> {
        Ok(Node(Value::Number(i.into())))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Node, E> {
        Ok(Node(Value::Number(u.into())))
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Node, E> {
        // Past i64 and u64 no integer type holds it; as a number it stays a bound.
        Ok(Node(Value::Number(
            match (i64::try_from(i), u64::try_from(i)) {
                (Ok(n), _) => n.into(),
                (_, Ok(n)) => n.into(),
                _ => Number::from(i as f64),
            },
        )))
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Node, E> {
        Ok(Node(Value::Number(match u64::try_from(u) {
            Ok(n) => n.into(),
            Err(_) => Number::from(u as f64),
        })))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Node, E> {
        Ok(Node(Value::Number(f.into())))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node(Value::String(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        Ok(Node(Value::String(s)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Sequence::new();
        while let Some(Node(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node(Value::Sequence(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut mapping = Mapping::new();
        while let Some((Node(key), Node(value))) = map.next_entry()? {
            mapping.insert(key, value);
        }
        Ok(Node(Value::Mapping(mapping)))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        // A tagged value (`!Tag value`): the tag is kept as serde_yaml_ng keeps it.
        let (tag, contents): (String, _) = data.variant()?;
        let Node(value) = contents.newtype_variant()?;
        Ok(Node(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        }))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_past_64_bits_are_numbers() {
        let value =
            from_str("minimum: -9223372036854776000\nmaximum: 18446744073709551616\nsmall: 7\n")
                .expect("reads");
        assert_eq!(value["small"], Value::Number(7.into()));
        assert!(value["minimum"].as_f64().is_some_and(|x| x < -9.2e18));
        assert!(value["maximum"].as_f64().is_some_and(|x| x > 1.8e19));
    }

    #[test]
    fn deep_flow_nesting_is_refused_at_once_with_its_place() {
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let started = std::time::Instant::now();
        match from_str(&deep) {
            Err(YamlError::TooDeep { line: 1, column }) => assert_eq!(column, 4 + MAX_DEPTH),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let fine = format!("a: {}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(from_str(&fine).is_ok(), "{:?}", from_str(&fine).err());
    }

    #[test]
    fn brackets_in_text_do_not_count() {
        let text = format!(
            "description: see [RFC 3339 {}\nquoted: '[[[' \ncomment: x # [[[\nlist: [a, '[', \"{{\"]\n",
            "[".repeat(3 * MAX_DEPTH)
        );
        assert!(from_str(&text).is_ok(), "{:?}", from_str(&text).err());
    }
}
