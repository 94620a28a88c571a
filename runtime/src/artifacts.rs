//! What a bridge hands the runtime: its model and the DDL and `$metadata` written
//! from it. A generated bridge passes the files the generator committed beside it
//! (compiled in with `include_str!`), so the runtime renders nothing at run time; a
//! crate whose model comes from `#[derive(Bridge)]` alone has them written once from
//! the model by the model crate's writers (feature `builder`).

use std::borrow::Cow;

use cai_bridge_model::Model;

/// A bridge's model with its SQLite and PostgreSQL DDL and its OData CSDL.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The model.
    pub model: Model,
    /// `db/schema.sql`: run on a new SQLite database.
    pub ddl: Cow<'static, str>,
    /// `db/postgres/schema.sql`: run on a new PostgreSQL database.
    pub postgres_ddl: Cow<'static, str>,
    /// `odata/metadata.xml`: served as `$metadata`.
    pub metadata: Cow<'static, str>,
    /// `odata/metadata.json`: served as `$metadata?$format=json`.
    pub metadata_json: Cow<'static, str>,
}

impl Artifacts {
    /// A generated bridge's committed artifacts: `src/model.json` as the generator
    /// wrote it, `db/schema.sql`, `db/postgres/schema.sql`, `odata/metadata.xml` and
    /// `odata/metadata.json`.
    pub fn committed(
        model_json: &str,
        ddl: &'static str,
        postgres_ddl: &'static str,
        metadata: &'static str,
        metadata_json: &'static str,
    ) -> Result<Self, serde_json::Error> {
        Ok(Artifacts {
            model: serde_json::from_str(model_json)?,
            ddl: Cow::Borrowed(ddl),
            postgres_ddl: Cow::Borrowed(postgres_ddl),
            metadata: Cow::Borrowed(metadata),
            metadata_json: Cow::Borrowed(metadata_json),
        })
    }

    /// The artifacts written from `model`: what `cai-bridge generate` would write for it.
    #[cfg(feature = "builder")]
    pub fn from_model(model: Model) -> Self {
        use cai_bridge_model::dialect::Dialect;
        use cai_bridge_model::emit::{csdl, header, sql};
        let header = header(&model);
        Artifacts {
            ddl: Cow::Owned(sql::emit(&model, &header, Dialect::Sqlite)),
            postgres_ddl: Cow::Owned(sql::emit(&model, &header, Dialect::Postgres)),
            metadata: Cow::Owned(csdl::emit(&model, &header)),
            metadata_json: Cow::Owned(csdl::emit_json(&model)),
            model,
        }
    }

    /// The artifacts of a derived root type's model.
    #[cfg(feature = "builder")]
    pub fn of<T: crate::Bridge>() -> Result<Self, crate::bridge::ModelError> {
        Ok(Artifacts::from_model(T::model()?.clone()))
    }
}
