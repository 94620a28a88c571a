//! Emitters: each reads only the [`Model`] and writes one target's text. The Rust
//! structs and the JSON Schema are written here; the DDL, CDS and CSDL by the model
//! crate's writers, or by a `--templates` override from the same context.

pub mod json_schema;
pub mod rust;
pub mod templates;

use std::collections::BTreeMap;

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::emit::{cds, csdl, sql};
pub use cai_bridge_model::emit::{header, paths};

use crate::diagnostic::Error;
use cai_bridge_model::Model;
use templates::Templates;

/// Every output for a model, by relative path (sorted, so output order is stable).
pub fn all(model: &Model, templates: &Templates) -> Result<BTreeMap<String, String>, Error> {
    let header = header(model);
    let mut out = BTreeMap::new();
    out.insert(paths::RUST.to_owned(), rust::emit(model, &header));
    for dialect in Dialect::ALL {
        let ddl = sql::view(model, &header, dialect);
        out.insert(
            paths::sql(dialect).to_owned(),
            templates.render("schema.sql", &ddl, sql::Ddl::write)?,
        );
    }
    let schema = cds::schema_view(model, &header);
    out.insert(
        paths::CDS_SCHEMA.to_owned(),
        templates.render("schema.cds", &schema, cds::Schema::write)?,
    );
    let service = cds::service_view(model, &header);
    out.insert(
        paths::CDS_SERVICE.to_owned(),
        templates.render("service.cds", &service, cds::ServiceFile::write)?,
    );
    let metadata = csdl::view(model, &header);
    out.insert(
        paths::CSDL.to_owned(),
        templates.render("metadata.xml", &metadata, csdl::Csdl::write)?,
    );
    out.insert(paths::CSDL_JSON.to_owned(), metadata.write_json());
    let mut json = serde_json::to_string_pretty(model).map_err(|e| Error::Template {
        name: paths::MODEL.to_owned(),
        message: e.to_string(),
    })?;
    json.push('\n');
    out.insert(paths::MODEL.to_owned(), json);
    Ok(out)
}
