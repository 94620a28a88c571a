//! The struct as the derive sees it: container settings and fields with their wire
//! names, type kinds and hints, checked for every mistake the macro can see.

use cai_bridge_model::{key, naming};

use crate::attr;
use crate::ctxt::Ctxt;
use crate::ty::{classify, TypeKind};

/// A struct deriving `Bridge`.
pub struct Container<'a> {
    /// The struct's name.
    pub ident: &'a syn::Ident,
    /// Container attributes.
    pub attrs: attr::Container,
    /// Its doc comment.
    pub doc: Option<String>,
    /// Fields, skipped ones left out.
    pub fields: Vec<Field<'a>>,
}

/// One field.
pub struct Field<'a> {
    /// The Rust field.
    pub member: &'a syn::Ident,
    /// The name on the wire (serde's).
    pub wire: String,
    /// What its type is.
    pub kind: TypeKind,
    /// Its attributes.
    pub attrs: attr::Field,
    /// Its doc comment.
    pub doc: Option<String>,
}

impl<'a> Container<'a> {
    /// Reads and checks `input`; every problem goes to `cx`.
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let attrs = attr::container(cx, &input.attrs);
        let ident = &input.ident;
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(Bridge)] does not support generic structs: a model is built from concrete types",
            );
        }
        let named = match &input.data {
            syn::Data::Struct(syn::DataStruct {
                fields: syn::Fields::Named(named),
                ..
            }) => named,
            syn::Data::Struct(syn::DataStruct {
                fields: syn::Fields::Unnamed(fields),
                ..
            }) => {
                cx.error_spanned_by(
                    fields,
                    "#[derive(Bridge)] does not support tuple structs: columns are named after fields; use a struct with named fields",
                );
                return None;
            }
            syn::Data::Struct(syn::DataStruct { struct_token, .. }) => {
                cx.error_spanned_by(
                    quote::quote!(#struct_token #ident),
                    "#[derive(Bridge)] does not support unit structs: there are no fields to store",
                );
                return None;
            }
            syn::Data::Enum(data) => {
                let enum_token = data.enum_token;
                cx.error_spanned_by(
                    quote::quote!(#enum_token #ident),
                    "#[derive(Bridge)] does not support enums; for a string with a fixed set of values use a String field with #[bridge(one_of(\"a\", \"b\"))]",
                );
                return None;
            }
            syn::Data::Union(data) => {
                let union_token = data.union_token;
                cx.error_spanned_by(
                    quote::quote!(#union_token #ident),
                    "#[derive(Bridge)] does not support unions; use a struct with named fields",
                );
                return None;
            }
        };
        if let Some(path) = &attrs.rename_all {
            cx.error_spanned_by(
                path,
                "#[derive(Bridge)] does not support #[serde(rename_all)]; rename each field with #[serde(rename = \"...\")]",
            );
        }
        let mut fields = Vec::new();
        for field in &named.named {
            let Some(member) = &field.ident else { continue };
            let field_attrs = attr::field(cx, &field.attrs);
            if field_attrs.skip {
                continue;
            }
            if let Some(path) = &field_attrs.serde_flatten {
                cx.error_spanned_by(
                    path,
                    "#[derive(Bridge)] does not support #[serde(flatten)]: every field is read under its own wire name; remove it (a nested struct field is flattened into prefixed columns already)",
                );
                continue;
            }
            let kind = match classify(&field.ty) {
                Ok(kind) => kind,
                Err(message) => {
                    cx.error_spanned_by(
                        &field.ty,
                        format!("unsupported field type: {message}; or leave the field out with #[bridge(skip)]"),
                    );
                    continue;
                }
            };
            let raw = member.to_string();
            let wire = field_attrs
                .serde_rename
                .clone()
                .unwrap_or_else(|| raw.strip_prefix("r#").unwrap_or(&raw).to_owned());
            let checked = Field {
                member,
                wire,
                kind,
                doc: attr::doc(&field.attrs),
                attrs: field_attrs,
            };
            checked.check_hints(cx);
            fields.push(checked);
        }
        let container = Container {
            ident: &input.ident,
            doc: attr::doc(&input.attrs),
            attrs,
            fields,
        };
        container.check_keys(cx);
        container.check_names(cx);
        Some(container)
    }

    /// Key fields must be fields of this struct that always hold one value, and a
    /// root record must have a key: its rows, and every child row under it, are keyed
    /// by it.
    fn check_keys(&self, cx: &Ctxt) {
        let Some(key) = &self.attrs.key else {
            self.check_root_has_key(cx);
            return;
        };
        if key.value.is_empty() {
            cx.error_spanned_by(
                &key.at,
                "`key` names no field; name one or more, e.g. key = \"id\" or key(\"a\", \"b\")",
            );
        }
        for name in &key.value {
            match self.fields.iter().find(|f| &f.wire == name || f.member == name) {
                None => cx.error_spanned_by(
                    &key.at,
                    format!(
                        "unknown key field `{name}`; fields: {}",
                        self.fields.iter().map(|f| f.wire.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ),
                Some(f) if !f.kind.is_column() => cx.error_spanned_by(
                    &key.at,
                    format!("key field `{name}` is not a single value: a nested struct or a list cannot be a key; name scalar fields only"),
                ),
                Some(f) if f.kind.unwrap_option().1 => cx.error_spanned_by(
                    &key.at,
                    format!("key field `{name}` is an Option, but every record must have its key: make the field `{}` a plain value, or name another key", f.member),
                ),
                Some(_) => {}
            }
        }
    }

    /// A struct with root-only settings (`records`, `namespace`, `service`, `path`) is
    /// a root record; without `key`, the model builder looks for a required `id` (or
    /// `<record>_id`, after the last `records` step), as for a spec.
    fn check_root_has_key(&self, cx: &Ctxt) {
        let attrs = &self.attrs;
        let root = attrs.records.is_some()
            || attrs.namespace.is_some()
            || attrs.service.is_some()
            || attrs.path.is_some();
        if !root {
            return;
        }
        let record = attrs
            .records
            .as_deref()
            .and_then(|r| r.rsplit('.').next())
            .unwrap_or_default();
        let candidates = key::candidates(record);
        let found = self.fields.iter().any(|f| {
            candidates.contains(&f.wire) && matches!(f.kind, crate::ty::TypeKind::Scalar(_))
        });
        if !found {
            cx.error_spanned_by(
                self.ident,
                format!(
                    "`{}` is a root record but has no key: its rows and its children's rows are keyed by it; name the field that identifies a record with #[bridge(key = \"...\")] (or have a required `id` field)",
                    self.ident
                ),
            );
        }
    }

    /// No two fields may share a wire name, nor map to one column (or composition)
    /// after renaming.
    fn check_names(&self, cx: &Ctxt) {
        let mut wires: Vec<&str> = Vec::new();
        let mut columns: Vec<(String, &syn::Ident)> = Vec::new();
        for field in &self.fields {
            if wires.contains(&field.wire.as_str()) {
                cx.error_spanned_by(
                    field.member,
                    format!("two fields have the wire name `{}`; give each its own #[serde(rename = \"...\")]", field.wire),
                );
                // Its column would collide too: one error is enough.
                continue;
            }
            wires.push(&field.wire);
            // A nested struct's columns only the compiler can compare (see
            // `bridge::columns` in the runtime); a list's name is its composition's.
            if matches!(field.kind.unwrap_option().0, TypeKind::Struct(_)) {
                continue;
            }
            let column = field
                .attrs
                .rename
                .clone()
                .unwrap_or_else(|| naming::identifier(&field.wire));
            if let Some((other_column, other)) = columns
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(&column))
            {
                let clash = if *other_column == column {
                    format!("the same column `{column}`")
                } else {
                    format!("columns `{column}` and `{other_column}`, which differ only in case (SQLite ignores case in column names)")
                };
                cx.error_spanned_by(
                    field.member,
                    format!("`{}` and `{other}` map to {clash}; rename one with #[bridge(rename = \"...\")]", field.member),
                );
            }
            columns.push((column, field.member));
        }
    }
}

impl Field<'_> {
    /// Hints must fit the type they are on.
    fn check_hints(&self, cx: &Ctxt) {
        if let Some(format) = &self.attrs.format {
            if !self.kind.holds_text() {
                cx.error_spanned_by(
                    &format.at,
                    format!(
                        "`{}` applies to String fields only (or Option<String>, Vec<String>); remove it or make the field a String",
                        format.value
                    ),
                );
            }
        }
        if let Some(max) = &self.attrs.max_length {
            if !self.kind.holds_text() {
                cx.error_spanned_by(
                    &max.at,
                    "`max_length` applies to String fields only (or Option<String>, Vec<String>); remove it or make the field a String",
                );
            }
        }
        if let Some(values) = &self.attrs.one_of {
            if !self.kind.holds_text() {
                cx.error_spanned_by(
                    &values.at,
                    "`one_of` applies to String fields only (or Option<String>, Vec<String>); remove it or make the field a String",
                );
            }
        }
        if let Some(json) = &self.attrs.json {
            if !self.kind.is_text() {
                cx.error_spanned_by(
                    &json.at,
                    "`json` applies to a String (or Option<String>) that holds JSON text; for JSON values use serde_json::Value, for objects a struct that derives Bridge",
                );
            }
            if let Some(ty) = &json.value {
                match classify(ty) {
                    Err(message) => cx.error_spanned_by(
                        &json.at,
                        format!("unsupported type in `json = \"...\"`: {message}"),
                    ),
                    // The model maps only objects and arrays inside JSON text.
                    Ok(TypeKind::Map(_)) => cx.error_spanned_by(
                        &json.at,
                        "unsupported type in `json = \"...\"`: a map inside JSON text is not mapped; name a struct or Vec<T>, or use `json` alone (kept as JSON text)",
                    ),
                    Ok(_) => {}
                }
            }
            if let Some(format) = &self.attrs.format {
                cx.error_spanned_by(
                    &format.at,
                    format!("`json` and `{}` contradict each other: the JSON text is kept as LargeString; keep `json`", format.value),
                );
            }
        }
    }
}
