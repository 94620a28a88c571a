//! Spec and samples together: the spec decides names and declared types; samples
//! add what it leaves open (the shape of embedded JSON, observed nullability, enum
//! candidates, fields it does not declare). Where they disagree, a warning names
//! the data path and both types, and the spec's type stands.

use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use cai_bridge_model::shape::{kind_name, JsonReason, Kind, Node};

/// Folds what the samples showed (`sample`) into the spec's shape (`spec`).
pub fn reconcile(spec: &mut Node, sample: &Node, path: &str, diags: &mut Diagnostics) {
    if sample.nullable && !spec.nullable {
        diags.push(warning(
            path,
            format!(
                "the spec says {path} is never null, but samples have null; it is made nullable"
            ),
        ));
        spec.nullable = true;
    }
    match (&mut spec.kind, &sample.kind) {
        (_, Kind::Unknown) => {}
        (Kind::Json(JsonReason::Any), _) => spec.kind = sample.kind.clone(),
        (Kind::Object(declared), Kind::Object(seen)) => {
            for (name, field) in declared.fields.iter_mut() {
                let field_path = format!("{path}.{name}");
                if let Some(observed) = seen.fields.get(name) {
                    if field.required && !observed.required {
                        diags.push(warning(
                            &field_path,
                            format!("the spec says {field_path} is required, but some samples lack it; it is made optional"),
                        ));
                        field.required = false;
                    }
                    reconcile(&mut field.node, &observed.node, &field_path, diags);
                }
            }
            for (name, observed) in &seen.fields {
                if !declared.fields.contains_key(name) {
                    let field_path = format!("{path}.{name}");
                    diags.push(warning(
                        &field_path,
                        format!("{field_path} is in the samples but not in the spec; it is added as optional"),
                    ));
                    let mut added = observed.clone();
                    added.required = false;
                    declared.fields.insert(name.clone(), added);
                }
            }
        }
        (Kind::Array(declared), Kind::Array(seen)) => {
            reconcile(declared, seen, &format!("{path}[]"), diags);
        }
        (Kind::Map(declared), Kind::Map(seen)) => {
            reconcile(declared, seen, &format!("{path}{{}}"), diags);
        }
        // Sampled entries of a declared map: each member is one entry's value.
        (Kind::Map(declared), Kind::Object(seen)) => {
            for field in seen.fields.values() {
                reconcile(declared, &field.node, &format!("{path}{{}}"), diags);
            }
        }
        (Kind::String(declared), Kind::String(seen)) => {
            declared.stats = seen.stats.clone();
            if declared.declared.is_none() {
                declared.embedded = seen.embedded.clone();
            }
        }
        (Kind::Number, Kind::Integer(_) | Kind::Number)
        | (Kind::Boolean, Kind::Boolean)
        | (Kind::Json(_), _) => {}
        (Kind::Integer(a), Kind::Integer(b)) if *a >= *b => {}
        (declared, seen) => {
            let both = format!(
                "the spec says {}, samples have {}",
                describe(declared),
                describe(seen)
            );
            diags.push(
                warning(path, format!("{path}: {both}; the spec's type is kept"))
                    .with_hint("fix the spec, or check the samples come from this API"),
            );
        }
    }
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Integer(width) => format!("integer ({width:?})"),
        other => kind_name(other).to_owned(),
    }
}

fn warning(path: &str, message: String) -> Diagnostic {
    Diagnostic::warning(Location::path(None, path), message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cai_bridge_model::shape::{Field, IntWidth, Object, Text, TextStats};

    fn object(fields: Vec<(&str, Node, bool)>) -> Node {
        let mut o = Object::default();
        for (name, node, required) in fields {
            let field = Field {
                node,
                required,
                column: None,
            };
            o.fields.insert(name.into(), field);
        }
        Node::new(Kind::Object(o))
    }

    #[test]
    fn samples_fill_in_embedded_json_and_extra_fields() {
        let mut spec = object(vec![(
            "replies",
            Node::new(Kind::String(Text::default())),
            true,
        )]);
        let mut stats = TextStats::default();
        stats.observe("[]");
        stats.json = 1;
        let seen_text = Text {
            stats,
            embedded: Some(Box::new(Node::new(Kind::Array(Box::default())))),
            ..Text::default()
        };
        let sample = object(vec![
            ("replies", Node::new(Kind::String(seen_text)), true),
            ("extra", Node::new(Kind::Boolean), true),
        ]);
        let mut diags = Diagnostics::default();
        reconcile(&mut spec, &sample, "$", &mut diags);
        let Kind::Object(o) = &spec.kind else {
            panic!()
        };
        assert!(o.fields["replies"].node.text().unwrap().embedded.is_some());
        assert!(!o.fields["extra"].required);
        assert_eq!(diags.warnings().count(), 1);
    }

    #[test]
    fn disagreement_warns_with_path_and_both_types() {
        let mut spec = object(vec![("n", Node::new(Kind::Integer(IntWidth::I32)), true)]);
        let sample = object(vec![("n", Node::new(Kind::String(Text::default())), true)]);
        let mut diags = Diagnostics::default();
        reconcile(&mut spec, &sample, "items[]", &mut diags);
        let message = &diags.iter().next().unwrap().message;
        assert!(message.contains("items[].n"), "{message}");
        assert!(
            message.contains("integer") && message.contains("string"),
            "{message}"
        );
    }
}
