//! `--templates` overrides: a `<name>.hbs` file in the folder takes the place of the
//! model crate's writer for that output, rendered with the writer's own context.
//!
//! The default templates in `templates/` are where an override starts: they write
//! exactly what the writers write (a golden test renders them on every fixture and
//! compares), so copying one and changing a line changes only that line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Error, Location};
use cai_bridge_model::emit::csdl::xml_escape;

/// The outputs a template can override, by template name.
pub const NAMES: &[&str] = &["schema.sql", "schema.cds", "service.cds", "metadata.xml"];

/// The override templates of one run: strict (a missing variable is an error), no
/// HTML escaping, with an `xml` helper that escapes for XML attributes and text.
pub struct Templates {
    registry: Handlebars<'static>,
    /// Override files by template name, for errors reported at the file.
    overrides: BTreeMap<&'static str, PathBuf>,
}

impl Templates {
    /// No overrides: every output comes from its writer.
    pub fn none() -> Self {
        Templates {
            registry: Handlebars::new(),
            overrides: BTreeMap::new(),
        }
    }

    /// The overrides in `dir`: each `<name>.hbs` there whose name is in [`NAMES`].
    pub fn new(dir: Option<&Path>) -> Result<Self, Error> {
        let Some(dir) = dir else {
            return Ok(Templates::none());
        };
        if !dir.is_dir() {
            // A mistyped folder would otherwise fall back to the writers without a word.
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
        let mut overrides = BTreeMap::new();
        for name in NAMES {
            let file = dir.join(format!("{name}.hbs"));
            if !file.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::io("reading template", &file, e))?;
            if let Err(e) = registry.register_template_string(name, text) {
                return Err(override_error(
                    &file,
                    name,
                    e.pos(),
                    e.reason().to_string(),
                    format!(
                        "fix the handlebars syntax there, or remove the override to use \
                         the default (templates/{name}.hbs shows it)"
                    ),
                ));
            }
            overrides.insert(*name, file);
        }
        Ok(Templates {
            registry,
            overrides,
        })
    }

    /// Output `name` from its context `view`: the override's rendering if there is
    /// one, else what `write` (the model crate's writer) makes of it.
    pub fn render<V: Serialize>(
        &self,
        name: &str,
        view: &V,
        write: impl FnOnce(&V) -> String,
    ) -> Result<String, Error> {
        let Some(file) = self.overrides.get(name) else {
            return Ok(write(view));
        };
        self.registry.render(name, view).map_err(|e| {
            override_error(
                file,
                name,
                e.line_no.zip(e.column_no),
                e.reason().to_string(),
                format!(
                    "templates render in strict mode, so every variable must exist; \
                     compare with templates/{name}.hbs, or remove the override"
                ),
            )
        })
    }
}

/// A template's error, located in its file (at the line and column when known).
pub(crate) fn override_error(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates")
    }

    #[test]
    fn strict_mode_rejects_missing_variables() {
        let templates = Templates::new(Some(&reference())).unwrap();
        let err = templates
            .render("schema.cds", &serde_json::json!({}), |_| String::new())
            .unwrap_err();
        assert!(err.to_string().contains("schema.cds"), "{err}");
    }

    #[test]
    fn without_an_override_the_writer_writes() {
        let text = Templates::none()
            .render("schema.sql", &1, |n| format!("writer {n}"))
            .unwrap();
        assert_eq!(text, "writer 1");
    }
}
