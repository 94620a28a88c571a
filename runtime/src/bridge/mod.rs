//! The [`Bridge`] trait that `#[derive(Bridge)]` implements, and the pieces its
//! expansion calls: shape builders and the model built from a root type's shape by
//! the generator's own model code, so a derive and a generated file cannot disagree.

#[doc(hidden)]
pub mod columns;
#[doc(hidden)]
pub mod shape;

use std::collections::BTreeMap;

use cai_bridge_gen::model::{build::build, Model, Source};
use cai_bridge_gen::read::config::Config;
use cai_bridge_gen::read::shape::Node;
use cai_bridge_gen::{Diagnostics, Error};

use crate::load::{upsert, LoadError, Row, Walker};
use crate::record::{Member, Record};

/// A type whose values are bridge records: its shape (what the generator would have
/// read from a spec), how to read its values, and the model it roots.
///
/// Implement it with `#[derive(Bridge)]`; see the crate docs for the attributes.
pub trait Bridge: Record {
    /// The shape of one value, with the entity settings of its attributes.
    fn shape() -> Node;

    /// Settings that only a root type gives (record path, namespace, service).
    fn settings() -> Settings {
        Settings::default()
    }

    /// The model with this type as its root entity, built once.
    fn model() -> Result<&'static Model, &'static Diagnostics>;

    /// The SQLite DDL of this type's model (tables, views, indexes): what `cai-bridge
    /// generate` writes to `db/schema.sql` for the same shape.
    fn ddl() -> Result<String, ModelError> {
        let model = Self::model().map_err(ModelError::Invalid)?;
        let templates = cai_bridge_gen::emit::templates::Templates::new(None)?;
        let header = cai_bridge_gen::emit::header(model);
        Ok(cai_bridge_gen::emit::sql::emit(model, &templates, &header)?)
    }

    /// Each entity's `INSERT … ON CONFLICT (key) DO UPDATE …`, in model order (this
    /// type's entity first), with one parameter per field in field order: what
    /// [`Bridge::rows`] gives the values for.
    fn upserts() -> Result<Vec<String>, ModelError> {
        let model = Self::model().map_err(ModelError::Invalid)?;
        Ok(model.entities.iter().map(|e| upsert(model, e)).collect())
    }

    /// Calls `visit` with every row this value makes, its own first, then each
    /// child's, depth first, with the parent's key and the child's position filled in;
    /// values are borrowed from `self` where they can be. Returns the rows visited.
    /// (A [`Loader`](crate::load::Loader) does this for many records at once.)
    fn rows(
        &self,
        visit: &mut dyn FnMut(Row<'_, '_>) -> Result<(), LoadError>,
    ) -> Result<u64, LoadError>
    where
        Self: Sized,
    {
        let model = Self::model()
            .map_err(|diagnostics| LoadError::Model(ModelError::Invalid(diagnostics)))?;
        Walker::new(model).walk(self, visit)
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

/// Why a derived type's model, or something emitted from it, could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The type's shape does not make a valid model.
    #[error("the model is invalid:\n{0}")]
    Invalid(&'static Diagnostics),
    /// An emitter failed.
    #[error(transparent)]
    Emit(#[from] Error),
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
pub fn build_model(shape: &Node, settings: &Settings) -> Result<Model, Diagnostics> {
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
    };
    let mut diags = Diagnostics::default();
    let model = build(shape, source, &config, true, &mut diags);
    match model {
        Some(model) if !diags.has_errors() => Ok(model),
        _ => Err(diags),
    }
}

/// Every artifact for a model (SQLite DDL, CDS, CSDL, ...), by relative path, as
/// `cai-bridge generate` writes them: a crate with only derived structs can serve
/// OData without running the generator.
pub fn artifacts(model: &Model) -> Result<BTreeMap<String, String>, Error> {
    let templates = cai_bridge_gen::emit::templates::Templates::new(None)?;
    cai_bridge_gen::emit::all(model, &templates)
}
