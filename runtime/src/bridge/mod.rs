//! The [`Bridge`] trait that `#[derive(Bridge)]` implements, and the pieces its
//! expansion calls: shape builders, and (feature `builder`) the model built from a
//! root type's shape by the model crate's own builder, so a derive and a generated
//! file cannot disagree.

#[doc(hidden)]
pub mod columns;
#[doc(hidden)]
pub mod shape;

use std::sync::OnceLock;

use cai_bridge_model::diagnostic::Diagnostics;
use cai_bridge_model::shape::Node;
use cai_bridge_model::Model;

use crate::record::{Member, Record};

/// The model a type roots, built on first use; see [`Bridge::model`].
pub type ModelCell = OnceLock<Result<Model, Diagnostics>>;

/// A type whose values are bridge records: its shape (what the generator would have
/// read from a spec), how to read its values, and the model it roots.
///
/// Implement it with `#[derive(Bridge)]` (the `derive` feature, whose docs list the
/// attributes), or generate it: a generated `model.rs` carries the same expansion.
pub trait Bridge: Record {
    /// The shape of one value, with the entity settings of its attributes.
    fn shape() -> Node;

    /// Settings that only a root type gives (record path, namespace, service).
    fn settings() -> Settings {
        Settings::default()
    }

    /// Where this type's model is kept once built (one per type, made by the derive).
    #[doc(hidden)]
    fn model_cell() -> &'static ModelCell;

    /// The model with this type as its root entity, built once.
    #[cfg(feature = "builder")]
    fn model() -> Result<&'static Model, ModelError> {
        Self::model_cell()
            .get_or_init(|| build_model(&Self::shape(), &Self::settings()))
            .as_ref()
            .map_err(ModelError)
    }

    /// The SQLite DDL of this type's model (tables, views, indexes): what `cai-bridge
    /// generate` writes to `db/schema.sql` for the same shape.
    #[cfg(feature = "builder")]
    fn ddl() -> Result<String, ModelError> {
        use cai_bridge_model::dialect::Dialect;
        use cai_bridge_model::emit::{header, sql};
        let model = Self::model()?;
        Ok(sql::emit(model, &header(model), Dialect::Sqlite))
    }

    /// Each entity's `INSERT … ON CONFLICT (key) DO UPDATE …`, in model order (this
    /// type's entity first), with one parameter per field in field order: what
    /// [`Bridge::rows`] gives the values for.
    #[cfg(feature = "builder")]
    fn upserts() -> Result<Vec<String>, ModelError> {
        let model = Self::model()?;
        Ok(model
            .entities
            .iter()
            .map(|e| crate::load::upsert(model, e))
            .collect())
    }

    /// Calls `visit` with every row this value makes, its own first, then each
    /// child's, depth first, with the parent's key and the child's position filled in;
    /// values are borrowed from `self` where they can be. Returns the rows visited.
    /// (A [`Loader`](crate::load::Loader) does this for many records at once.)
    #[cfg(feature = "builder")]
    fn rows(
        &self,
        visit: &mut dyn FnMut(crate::load::Row<'_, '_>) -> Result<(), crate::load::LoadError>,
    ) -> Result<u64, RowsError>
    where
        Self: Sized,
    {
        let model = Self::model()?;
        Ok(crate::load::Walker::new(model).walk(self, visit)?)
    }

    /// The columns this type flattens into, for the compile-time check that a nested
    /// struct's columns do not collide with its neighbours' (see [`columns`]).
    #[doc(hidden)]
    const COLUMNS: &'static [columns::Column] = &[];

    /// A nested value as a record, for the derive's expansion. Going through `Bridge`
    /// (not `Record`) means a nested type that lacks the derive fails with one error,
    /// "`T: Bridge` is not satisfied", at the field's type.
    #[doc(hidden)]
    fn bridge_record(&self) -> &dyn Record
    where
        Self: Sized,
    {
        self
    }

    /// A `Vec` of nested values as a list member, for the derive's expansion (see
    /// [`Bridge::bridge_record`]).
    #[doc(hidden)]
    fn bridge_list(items: &[Self]) -> Member<'_>
    where
        Self: Sized,
    {
        crate::record::list(items)
    }
}

/// A derived type's shape does not make a valid model; every problem is listed.
#[derive(Debug, thiserror::Error)]
#[error("the model is invalid:\n{0}")]
pub struct ModelError(pub &'static Diagnostics);

/// Why [`Bridge::rows`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// The type's model is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A value cannot be stored, or the visitor failed.
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
}

/// Model-level settings from a root type's attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// Object keys from a response to the record array (`results`, `conversations`).
    pub records: &'static [&'static str],
    /// CDS namespace (default `cai.logs`).
    pub namespace: Option<&'static str>,
    /// OData service name (default `CatalogService`).
    pub service: Option<&'static str>,
    /// OData path (default: CAP's rule for the service name).
    pub path: Option<&'static str>,
}

/// Builds the model of a root type from its shape: what `Bridge::model` calls once.
#[cfg(feature = "builder")]
pub fn build_model(shape: &Node, settings: &Settings) -> Result<Model, Diagnostics> {
    use cai_bridge_model::config::Config;
    use cai_bridge_model::Source;
    let config = Config {
        namespace: settings.namespace.map(str::to_owned),
        service: settings.service.map(str::to_owned),
        path: settings.path.map(str::to_owned),
        ..Config::default()
    };
    let source = Source {
        method: None,
        path: None,
        records: settings.records.iter().map(|s| (*s).to_owned()).collect(),
        rust_names: Vec::new(),
        window: None,
        auth: Vec::new(),
        env_prefix: None,
    };
    let mut diags = Diagnostics::default();
    let model = cai_bridge_model::builder::build(shape, source, &config, true, &mut diags);
    match model {
        Some(model) if !diags.has_errors() => Ok(model),
        _ => Err(diags),
    }
}

/// The text artifacts of a model (SQLite, PostgreSQL and SAP HANA DDL, CDS, CSDL)
/// by relative path, as `cai-bridge generate` writes them: a crate with only derived structs can deploy
/// its tables and serve OData (or let CAP serve them) without running the generator.
#[cfg(feature = "builder")]
pub fn artifacts(model: &Model) -> std::collections::BTreeMap<&'static str, String> {
    use cai_bridge_model::dialect::Dialect;
    use cai_bridge_model::emit::{cds, csdl, header, paths, sql};
    let header = header(model);
    Dialect::ALL
        .map(|dialect| (paths::sql(dialect), sql::emit(model, &header, dialect)))
        .into_iter()
        .chain([
            (paths::CDS_SCHEMA, cds::schema(model, &header)),
            (paths::CDS_SERVICE, cds::service(model, &header)),
            (paths::CSDL, csdl::emit(model, &header)),
        ])
        .collect()
}
