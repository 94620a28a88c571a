//! The handlebars templates of the text outputs: embedded at compile time, each
//! overridable by a file of the same name in a `--templates` directory.

use std::path::Path;

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use crate::diagnostic::Error;

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
}

impl Templates {
    /// The embedded templates, with any `<name>.hbs` in `overrides` taking their place.
    pub fn new(overrides: Option<&Path>) -> Result<Self, Error> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("xml", Box::new(xml_helper));
        for (name, text) in EMBEDDED {
            let text = match overrides.map(|dir| dir.join(format!("{name}.hbs"))) {
                Some(file) if file.exists() => std::fs::read_to_string(&file)
                    .map_err(|e| Error::io("reading template", &file, e))?,
                _ => (*text).to_owned(),
            };
            registry
                .register_template_string(name, text)
                .map_err(|e| Error::Template {
                    name: (*name).to_owned(),
                    message: e.to_string(),
                })?;
        }
        Ok(Templates { registry })
    }

    /// Renders template `name` with `data`.
    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<String, Error> {
        self.registry
            .render(name, data)
            .map_err(|e| Error::Template {
                name: name.to_owned(),
                message: e.to_string(),
            })
    }
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
