//! Rust: serde structs for the wire records, one per entity and nested object, plus
//! the response wrappers along the record path, each record struct followed by the
//! `Bridge` impls `#[derive(Bridge)]` would expand to (the same code,
//! `cai_bridge_expand`), so a bridge builds without the proc macro and the
//! model-building code it runs. Built with `quote!`, formatted with prettyplease. Everything comes through the runtime crate, so a generated crate
//! depends on `cai-bridge` alone; the few short names it imports (`Serialize`,
//! `Map`, `Value`...) are reserved by the model so no struct can take them, which
//! keeps lines short enough that rustfmt and prettyplease agree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use cai_bridge_model::{naming, path, text};
use cai_bridge_model::{
    Entity, EntityKind, LogicalType, MapEntries, Member, MemberValue, Model, Record, RenameReason,
    Role, Step,
};

/// Renders `src/model.rs`.
pub fn emit(model: &Model, header: &str) -> String {
    let mut items = Vec::new();
    items.push(wrappers(model));
    for entity in &model.entities {
        // Scalars are items, not structs; an extension reads its parent's struct.
        if !matches!(entity.kind, EntityKind::Scalars | EntityKind::Extension) {
            record(model, entity, &entity.layout, &mut items);
        }
    }
    let tokens = quote! {
        use ::cai_bridge::serde::{Deserialize, Serialize};
        #[allow(unused_imports)]
        use ::cai_bridge::serde_json::{Map, Value};
        #(#items)*
    };
    let file = match syn::parse2::<syn::File>(tokens) {
        Ok(file) => prettyplease::unparse(&file),
        // The tokens come from quote! over identifiers the model sanitized; a parse
        // failure is a bug in this module, reported as a comment the compiler shows.
        Err(e) => format!("compile_error!({:?});\n", e.to_string()),
    };
    format!("// {header}\n\n{file}")
}

/// The structs from the whole response down to the record array.
fn wrappers(model: &Model) -> TokenStream {
    let source = &model.source;
    let root = model.root();
    let mut out = TokenStream::new();
    for (level, type_name) in source.rust_names.iter().enumerate() {
        let name = format_ident!("{type_name}");
        let wire = &source.records[level];
        let field = ident(&naming::snake(wire));
        let rename = rename_attr(&naming::snake(wire), wire);
        let inner: TokenStream = match source.rust_names.get(level + 1) {
            Some(next) => {
                let next = format_ident!("{next}");
                quote!(#next)
            }
            None => {
                let record = format_ident!("{}", root.rust_name);
                quote!(Vec<#record>)
            }
        };
        let doc = if level == 0 {
            doc_text(
                None,
                &format!(
                    "A whole response of `{}`.",
                    source.path.as_deref().unwrap_or("the API")
                ),
            )
        } else {
            doc_text(
                None,
                &format!(
                    "The `{}` object of a response.",
                    path::of_keys(&source.records[..level])
                ),
            )
        };
        let field_doc = doc_text(None, &format!("The `{wire}` member."));
        out.extend(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
            #[serde(crate = "::cai_bridge::serde")]
            pub struct #name {
                #[doc = #field_doc]
                #rename
                pub #field: #inner,
                /// Members of the response that hold no records, kept as they came.
                #[serde(flatten)]
                pub other: Map<String, Value>,
            }
        });
    }
    out
}

/// One struct for `record`, and one for each nested object in it, each with the
/// `Bridge` impls the derive expands to from the attributes that make it rebuild this
/// very model.
fn record(model: &Model, entity: &Entity, record: &Record, items: &mut Vec<TokenStream>) {
    let name = format_ident!("{}", record.rust_name);
    let is_entity = std::ptr::eq(record, &entity.layout);
    let doc = if is_entity {
        doc_text(
            entity.doc.as_deref(),
            &format!("A record of `{}`.", entity.path),
        )
    } else {
        format!(" A nested object of `{}`.", entity.path)
    };
    let container = if is_entity {
        container_attr(model, entity)
    } else {
        TokenStream::new()
    };
    let mut fields = Vec::new();
    for member in &record.members {
        let Some(ty) = member_type(model, entity, member, items) else {
            continue;
        };
        let field = ident(&member.rust_name);
        let rename = rename_attr(&member.rust_name, &member.wire);
        let doc = doc_text(
            member.doc.as_deref(),
            &format!("The `{}` member.", member.wire),
        );
        let optional = if member.optional {
            quote!(#[serde(default, skip_serializing_if = "Option::is_none")])
        } else {
            TokenStream::new()
        };
        let hints = field_attr(model, entity, member);
        fields.push(quote! {
            #[doc = #doc]
            #rename
            #optional
            #hints
            pub #field: #ty,
        });
    }
    items.push(with_impls(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(crate = "::cai_bridge::serde")]
        #container
        pub struct #name {
            #(#fields)*
        }
    }));
}

/// The struct without its `#[bridge(...)]` attributes, which only the derive reads,
/// followed by what the derive expands them to.
fn with_impls(tokens: TokenStream) -> TokenStream {
    let mut input = match syn::parse2::<syn::DeriveInput>(tokens) {
        Ok(input) => input,
        Err(error) => return compile_errors(vec![error]),
    };
    let impls = match cai_bridge_expand::derive(&input) {
        Ok(impls) => impls,
        Err(errors) => return compile_errors(errors),
    };
    let is_hint = |a: &syn::Attribute| a.path().is_ident("bridge");
    input.attrs.retain(|a| !is_hint(a));
    if let syn::Data::Struct(data) = &mut input.data {
        for field in data.fields.iter_mut() {
            field.attrs.retain(|a| !is_hint(a));
        }
    }
    // prettyplease breaks lines at 89 columns, rustfmt at 100, so for some names they
    // disagree on the impls' match arms; rustfmt leaves these as prettyplease wrote
    // them (and formats the struct, which users read).
    quote! {
        #input
        #[rustfmt::skip]
        #impls
    }
}

/// The attributes come from a model the generator sanitized, so an error here is a
/// bug in this module: written as `compile_error!`, which the compiler shows.
fn compile_errors(errors: Vec<syn::Error>) -> TokenStream {
    errors.iter().map(syn::Error::to_compile_error).collect()
}

/// `#[bridge(entity = .., key = .., records = .., ...)]` for an entity's struct.
fn container_attr(model: &Model, entity: &Entity) -> TokenStream {
    let name = &entity.name;
    let mut parts = vec![quote!(entity = #name)];
    let natural: Vec<String> = entity
        .keys()
        .filter(|f| f.role == Role::Data)
        .filter_map(|f| match f.source.as_slice() {
            [Step::Key(wire)] => Some(wire.clone()),
            _ => None,
        })
        .collect();
    if !natural.is_empty() {
        let key = natural.join(", ");
        parts.push(quote!(key = #key));
    }
    if entity.parent.is_none() {
        let records = model.source.records.join(".");
        let namespace = &model.namespace;
        let service = &model.service.name;
        parts.push(quote!(records = #records, namespace = #namespace, service = #service));
        if model.service.explicit_path {
            let path = &model.service.path;
            parts.push(quote!(path = #path));
        }
    }
    quote!(#[bridge(#(#parts),*)])
}

/// The field's `#[bridge(...)]`: format hints, length, enum domain, embedded JSON,
/// and renames bridge.toml asked for.
fn field_attr(model: &Model, entity: &Entity, member: &Member) -> TokenStream {
    let mut parts = Vec::new();
    let column = match &member.value {
        MemberValue::Column(_) | MemberValue::Embedded { .. } | MemberValue::Extension { .. } => {
            entity.column(model, &member.value)
        }
        MemberValue::Children(slot) => {
            let child = &model.entities[entity.children[*slot].entity];
            child.fields.iter().find(|f| f.role == Role::Value)
        }
        MemberValue::Object(_) => None,
    };
    if let Some(field) = column {
        match &field.ty {
            LogicalType::Timestamp => parts.push(quote!(timestamp)),
            LogicalType::Date => parts.push(quote!(date)),
            LogicalType::Uuid => parts.push(quote!(uuid)),
            LogicalType::String(Some(n)) => parts.push(quote!(max_length = #n)),
            _ => {}
        }
        if let Some(values) = &field.enum_values {
            parts.push(quote!(one_of(#(#values),*)));
        }
        // A name the derive would not arrive at by itself (a bridge.toml rename, or a
        // collision suffix) is written out, so the derive needs no guessing.
        let path = path::of_steps(&entity.path, &field.source);
        let renamed = model.renames.iter().any(|r| {
            r.path == path && r.to == field.name && r.reason != RenameReason::InvalidIdentifier
        });
        if renamed {
            let name = &field.name;
            parts.push(quote!(rename = #name));
        }
    }
    if let MemberValue::Embedded { inner, .. } = &member.value {
        match embedded_type(model, entity, inner) {
            Some(ty) => parts.push(quote!(json = #ty)),
            None => parts.push(quote!(json)),
        }
    }
    if parts.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[bridge(#(#parts),*)])
    }
}

/// The type named in `json = "..."`: the struct the embedded JSON maps to.
fn embedded_type(model: &Model, entity: &Entity, inner: &MemberValue) -> Option<String> {
    match inner {
        MemberValue::Object(record) => Some(record.rust_name.clone()),
        MemberValue::Children(slot) => {
            let child = &model.entities[entity.children[*slot].entity];
            match child.kind {
                EntityKind::Scalars => {
                    let value = child.fields.iter().find(|f| f.role == Role::Value)?;
                    Some(format!("Vec<Option<{}>>", value.ty.rust()))
                }
                _ => Some(format!("Vec<{}>", child.rust_name)),
            }
        }
        _ => None,
    }
}

/// The Rust type of a member as it is on the wire (`None` for nothing to hold).
fn member_type(
    model: &Model,
    entity: &Entity,
    member: &Member,
    items: &mut Vec<TokenStream>,
) -> Option<TokenStream> {
    let base = match &member.value {
        MemberValue::Column(_) | MemberValue::Extension { .. } => {
            let field = entity.column(model, &member.value)?;
            let path: syn::Type = match field.role {
                Role::RawJson => syn::parse_quote!(String),
                _ => syn::parse_str(field.ty.rust()).ok()?,
            };
            quote!(#path)
        }
        MemberValue::Embedded { inner, .. } => {
            // The parsed JSON gets its own struct, which the `json = ".."` hint names.
            if let MemberValue::Object(nested) = &**inner {
                record(model, entity, nested, items);
            }
            quote!(String)
        }
        MemberValue::Object(nested) => {
            record(model, entity, nested, items);
            let name = format_ident!("{}", nested.rust_name);
            quote!(#name)
        }
        MemberValue::Children(slot) => {
            let child = &model.entities[entity.children[*slot].entity];
            let item = match child.kind {
                EntityKind::Scalars => {
                    let value = child.fields.iter().find(|f| f.role == Role::Value)?;
                    let ty: syn::Type = syn::parse_str(value.ty.rust()).ok()?;
                    quote!(Option<#ty>)
                }
                _ => {
                    let name = format_ident!("{}", child.rust_name);
                    quote!(#name)
                }
            };
            // A map keeps its keys in order, so the struct serializes as it came
            // sorted; rows are keyed by the map key, so no order is lost.
            match child.map {
                None => quote!(Vec<#item>),
                Some(MapEntries::Values) => {
                    quote!(::std::collections::BTreeMap<String, #item>)
                }
                Some(MapEntries::Arrays) => {
                    quote!(::std::collections::BTreeMap<String, Vec<#item>>)
                }
            }
        }
    };
    Some(if member.optional || member.nullable {
        quote!(Option<#base>)
    } else {
        base
    })
}

/// Doc text with the space rustdoc comments have after `///`, as rustdoc should read
/// it (see [`text::for_doc`]).
fn doc_text(doc: Option<&str>, fallback: &str) -> String {
    format!(" {}", text::for_doc(doc.unwrap_or(fallback)))
}

/// `#[serde(rename)]` unless serde derives the wire name from the field itself
/// (it strips `r#`, but `self_` needs the rename).
fn rename_attr(rust_name: &str, wire: &str) -> TokenStream {
    let ident = naming::rust_ident(rust_name);
    if ident.strip_prefix("r#").unwrap_or(&ident) == wire {
        TokenStream::new()
    } else {
        quote!(#[serde(rename = #wire)])
    }
}

/// An identifier token, raw where the name is a Rust keyword.
fn ident(snake: &str) -> Ident {
    let text = naming::rust_ident(snake);
    match text.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(&text, Span::call_site()),
    }
}
