//! Rust: serde structs for the wire records, one per entity and nested object, plus
//! the response wrappers along the record path. Built with `quote!`, formatted with
//! prettyplease. Everything comes through the runtime crate, so a generated crate
//! depends on `cai-bridge` alone; the few short names it imports (`Serialize`,
//! `Map`, `Value`...) are reserved by the model so no struct can take them, which
//! keeps lines short enough that rustfmt and prettyplease agree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::naming;
use crate::model::{Entity, EntityKind, Member, MemberValue, Model, Record, Role};

/// Renders `src/model.rs`.
pub fn emit(model: &Model, header: &str) -> String {
    let mut items = Vec::new();
    items.push(wrappers(model));
    for entity in &model.entities {
        if entity.kind != EntityKind::Scalars {
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
            format!(
                " A whole response of `{}`.",
                source.path.as_deref().unwrap_or("the API")
            )
        } else {
            format!(
                " The `{}` object of a response.",
                source.records[..level].join(".")
            )
        };
        let field_doc = format!(" The `{wire}` member.");
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

/// One struct for `record`, and one for each nested object in it.
fn record(model: &Model, entity: &Entity, record: &Record, items: &mut Vec<TokenStream>) {
    let name = format_ident!("{}", record.rust_name);
    let doc = if std::ptr::eq(record, &entity.layout) {
        doc_text(
            entity.doc.as_deref(),
            &format!("A record of `{}`.", entity.path),
        )
    } else {
        format!(" A nested object of `{}`.", entity.path)
    };
    let mut fields = Vec::new();
    for member in &record.members {
        let ty = member_type(model, entity, member, items);
        let Some(ty) = ty else { continue };
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
        fields.push(quote! {
            #[doc = #doc]
            #rename
            #optional
            pub #field: #ty,
        });
    }
    items.push(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(crate = "::cai_bridge::serde")]
        pub struct #name {
            #(#fields)*
        }
    });
}

/// The Rust type of a member as it is on the wire (`None` for nothing to hold).
fn member_type(
    model: &Model,
    entity: &Entity,
    member: &Member,
    items: &mut Vec<TokenStream>,
) -> Option<TokenStream> {
    let base = match &member.value {
        MemberValue::Column(i) => {
            let field = &entity.fields[*i];
            let path: syn::Type = match field.role {
                Role::RawJson => syn::parse_quote!(String),
                _ => syn::parse_str(field.ty.rust()).ok()?,
            };
            quote!(#path)
        }
        MemberValue::Embedded { .. } => quote!(String),
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
            quote!(Vec<#item>)
        }
    };
    Some(if member.optional || member.nullable {
        quote!(Option<#base>)
    } else {
        base
    })
}

/// Doc text with the space rustdoc comments have after `///`.
fn doc_text(doc: Option<&str>, fallback: &str) -> String {
    format!(" {}", doc.unwrap_or(fallback))
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
