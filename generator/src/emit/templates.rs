//! The handlebars templates of the text outputs: embedded at compile time, each
//! overridable by a file of the same name in a `--templates` directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Error, Location};

/// The embedded templates, by name.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "schema.sql",
        include_str!("../../../templates/schema.sql.hbs"),
    ),
    (
        "schema.cds",
        include_str!("../../../templates/schema.cds.hbs"),
    ),
    (
        "service.cds",
        include_str!("../../../templates/service.cds.hbs"),
    ),
    (
        "metadata.xml",
        include_str!("../../../templates/metadata.xml.hbs"),
    ),
];

/// A template registry: strict (a missing variable is an error), no HTML escaping,
/// with an `xml` helper that escapes for XML attributes and text.
pub struct Templates {
    registry: Handlebars<'static>,
    /// Override files by template name: their errors are the user's to fix, so they
    /// are reported at the file, while an embedded template's error is our bug.
    overrides: BTreeMap<&'static str, PathBuf>,
}

impl Templates {
    /// The embedded templates, with any `<name>.hbs` in `overrides` taking their place.
    pub fn new(overrides: Option<&Path>) -> Result<Self, Error> {
        if let Some(dir) = overrides.filter(|dir| !dir.is_dir()) {
            // A mistyped folder would otherwise fall back to the embedded templates
            // without a word.
            return Err(Error::invalid(
                Diagnostic::error(
                    Location::File(dir.to_path_buf()),
                    "the templates folder does not exist",
                )
                .with_hint("pass --templates a folder holding <name>.hbs overrides"),
            ));
        }
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("xml", Box::new(xml_helper));
        let mut files = BTreeMap::new();
        for (name, text) in EMBEDDED {
            let text = match overrides.map(|dir| dir.join(format!("{name}.hbs"))) {
                Some(file) if file.exists() => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| Error::io("reading template", &file, e))?;
                    files.insert(*name, file);
                    text
                }
                _ => (*text).to_owned(),
            };
            if let Err(e) = registry.register_template_string(name, text) {
                let reason = e.reason().to_string();
                return Err(match files.get(name) {
                    Some(file) => override_error(
                        file,
                        name,
                        e.pos(),
                        reason,
                        format!(
                            "fix the handlebars syntax there, or remove the override to use \
                             the embedded templates/{name}.hbs"
                        ),
                    ),
                    None => Error::Template {
                        name: (*name).to_owned(),
                        message: e.to_string(),
                    },
                });
            }
        }
        Ok(Templates {
            registry,
            overrides: files,
        })
    }

    /// Renders template `name` with `data`.
    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<String, Error> {
        self.registry.render(name, data).map_err(|e| {
            let position = e.line_no.zip(e.column_no);
            match self.overrides.get(name) {
                Some(file) => override_error(
                    file,
                    name,
                    position,
                    e.reason().to_string(),
                    format!(
                        "templates render in strict mode, so every variable must exist; \
                         compare with the embedded templates/{name}.hbs, or remove the \
                         override to use it"
                    ),
                ),
                None => Error::Template {
                    name: name.to_owned(),
                    message: e.to_string(),
                },
            }
        })
    }
}

fn override_error(
    file: &Path,
    name: &str,
    position: Option<(usize, usize)>,
    reason: String,
    hint: String,
) -> Error {
    let location = match position {
        Some((line, column)) => Location::Position {
            file: file.to_path_buf(),
            line,
            column,
        },
        None => Location::File(file.to_path_buf()),
    };
    Error::invalid(
        Diagnostic::error(location, format!("template {name}: {reason}")).with_hint(hint),
    )
}

fn xml_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("xml", 0))?
        .value();
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    out.write(&xml_escape(&text))?;
    Ok(())
}

/// Escapes text for XML attribute values and content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup() {
        assert_eq!(
            xml_escape(r#"a<b & "c">'"#),
            "a&lt;b &amp; &quot;c&quot;&gt;&apos;"
        );
    }

    #[test]
    fn strict_mode_rejects_missing_variables() {
        let templates = Templates::new(None).unwrap();
        let err = templates
            .render("schema.cds", &serde_json::json!({}))
            .unwrap_err();
        assert!(err.to_string().contains("schema.cds"), "{err}");
    }
}
