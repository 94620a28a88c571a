//! The impls: `Record` (how the loader reads a value, borrowing its fields) and
//! `Bridge` (the shape, root settings and the model built from them), wrapped in
//! `const _: () = { ... }` so nothing leaks into the user's namespace.
//!
//! Inside that block the runtime's modules go by short aliases (`c`, `r`, `s`) and
//! `None`/`Some` are imported by name, so the user's items cannot shadow them and
//! the lines stay short: a generated `model.rs` holds this expansion as source, and
//! short lines are where prettyplease (which writes it) and rustfmt agree.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use cai_bridge_model::naming;

use crate::ast::{Container, Field};
use crate::ctxt::Ctxt;
use crate::ty::{classify, Scalar, TypeKind};

/// Expands `#[derive(Bridge)]`.
pub fn derive(input: &syn::DeriveInput) -> Result<TokenStream, Vec<syn::Error>> {
    let cx = Ctxt::default();
    let container = Container::from_ast(&cx, input);
    cx.check()?;
    let Some(container) = container else {
        return Ok(TokenStream::new());
    };
    let krate = container
        .attrs
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::cai_bridge));
    let ident = container.ident;

    let arms = container.fields.iter().map(|f| member_arm(&krate, f));
    let fields = container.fields.iter().map(|f| field_shape(&krate, f));
    let name = option_str(container.attrs.entity.as_deref());
    let key = match &container.attrs.key {
        Some(key) => {
            let names = &key.value;
            quote!(Some(&[#(#names),*]))
        }
        None => quote!(None),
    };
    let doc = option_str(container.doc.as_deref());
    let records: Vec<String> = container
        .attrs
        .records
        .as_deref()
        .map(|r| {
            r.split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let attrs = &container.attrs;
    let is_root = !records.is_empty()
        || attrs.namespace.is_some()
        || attrs.service.is_some()
        || attrs.path.is_some();
    // Other types keep the trait's default: no settings.
    let settings = is_root.then(|| {
        let namespace = option_str(attrs.namespace.as_deref());
        let service = option_str(attrs.service.as_deref());
        let path = option_str(attrs.path.as_deref());
        quote! {
            fn settings() -> #krate::bridge::Settings {
                #krate::bridge::Settings {
                    records: &[#(#records),*],
                    namespace: #namespace,
                    service: #service,
                    path: #path,
                }
            }
        }
    });
    let columns: Vec<(TokenStream, Option<proc_macro2::Span>)> = container
        .fields
        .iter()
        .flat_map(|f| columns(&krate, f))
        .collect();
    let checks = columns.iter().enumerate().filter_map(|(i, (_, nested))| {
        let span = (*nested)?;
        // The call starts with a token spanned at the field, so the error points there.
        Some(quote_spanned! {span=>
            const _: () = {
                c::check::<{ c::count(<#ident as #krate::Bridge>::COLUMNS) }>(
                    <#ident as #krate::Bridge>::COLUMNS,
                    #i,
                )
            };
        })
    });
    let columns = columns.iter().map(|(c, _)| c);

    Ok(quote! {
        #[doc(hidden)]
        const _: () = {
            use #krate::bridge::columns as c;
            use #krate::bridge::shape as s;
            use #krate::record as r;
            use ::std::option::Option::{None, Some};

            #[automatically_derived]
            impl r::Record for #ident {
                fn member(&self, key: &str) -> r::Member<'_> {
                    match key {
                        #(#arms)*
                        _ => r::Member::Cell(r::Cell::Null),
                    }
                }
            }

            #[automatically_derived]
            impl #krate::Bridge for #ident {
                const COLUMNS: &'static [c::Column] = &[#(#columns),*];

                fn shape() -> s::Shape {
                    s::object(#name, #key, #doc, ::std::vec::Vec::from([#(#fields),*]))
                }

                #settings

                fn model_cell() -> &'static #krate::bridge::ModelCell {
                    static MODEL: #krate::bridge::ModelCell = #krate::bridge::ModelCell::new();
                    &MODEL
                }
            }

            #(#checks)*
        };
    })
}

/// The entries of `Bridge::COLUMNS` for a field, each with the field's span when it
/// flattens a nested struct (whose names only the compiler can compare).
fn columns(krate: &syn::Path, field: &Field<'_>) -> Vec<(TokenStream, Option<proc_macro2::Span>)> {
    let raw = field.member.to_string();
    let label = raw.strip_prefix("r#").unwrap_or(&raw);
    let absolute = field.attrs.rename.is_some();
    let name = field
        .attrs
        .rename
        .clone()
        .unwrap_or_else(|| naming::identifier(&field.wire));
    let c = quote!(c::Column);
    let one = |name: &str| (quote!(#c::one(#label, #name, #absolute)), None);
    let nested = |ty: &syn::Type| {
        let entry = quote_spanned! {ty.span()=>
            #c::nested(#label, #name, #absolute, <#ty as #krate::Bridge>::COLUMNS)
        };
        (entry, Some(field.member.span()))
    };
    let embedded = field
        .attrs
        .json
        .as_ref()
        .and_then(|json| json.value.as_ref())
        .and_then(|ty| classify(ty).ok());
    match (embedded, field.kind.unwrap_option().0) {
        // JSON text: its raw column, and what is inside named under the same prefix.
        (Some(inner), _) => match inner.unwrap_option().0 {
            TypeKind::Struct(ty) => vec![one(&name), nested(ty)],
            TypeKind::Vec(_) => vec![one(&name), one(&format!("{name}_items"))],
            _ => vec![one(&name)],
        },
        (None, TypeKind::Struct(ty)) => vec![nested(ty)],
        (None, _) => vec![one(&name)],
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// `"wire" => <the member borrowed from self>,`
fn member_arm(krate: &syn::Path, field: &Field<'_>) -> TokenStream {
    let wire = &field.wire;
    let member = field.member;
    let value = match &field.kind {
        kind if kind.is_column() => {
            quote!(r::Member::Cell(r::AsCell::as_cell(&self.#member)))
        }
        TypeKind::Option(inner) => {
            let some = nested(krate, inner, quote!(value));
            quote! {
                match &self.#member {
                    Some(value) => #some,
                    None => r::Member::Cell(r::Cell::Null),
                }
            }
        }
        kind => nested(krate, kind, quote!(&self.#member)),
    };
    quote!(#wire => #value,)
}

/// The member for a borrowed nested struct or list (`value` is a reference to it).
///
/// Structs go through `<T as Bridge>`, spanned at `T`, like their shape: a type that
/// lacks the derive gets one error, "`T: Bridge` is not satisfied", at the field's type.
fn nested(krate: &syn::Path, kind: &TypeKind, value: TokenStream) -> TokenStream {
    match kind {
        TypeKind::Struct(ty) => quote_spanned! {ty.span()=>
            r::Member::Record(<#ty as #krate::Bridge>::bridge_record(#value))
        },
        TypeKind::Vec(items) => match &**items {
            TypeKind::Struct(ty) => {
                quote_spanned!(ty.span()=> <#ty as #krate::Bridge>::bridge_list(#value))
            }
            _ => quote!(r::list(#value)),
        },
        // Lists of scalars, and anything else a record can hold.
        _ => quote!(r::Member::Record(#value)),
    }
}

/// `s::field("wire", column, required, node, doc)`
fn field_shape(krate: &syn::Path, field: &Field<'_>) -> TokenStream {
    let wire = &field.wire;
    let column = option_str(field.attrs.rename.as_deref());
    let (inner, optional) = field.kind.unwrap_option();
    let required = !optional;
    let mut node = match &field.attrs.json {
        Some(json) => {
            let shape = match &json.value {
                Some(ty) => match classify(ty) {
                    Ok(kind) => {
                        let node = node_of(krate, field, &kind);
                        quote!(Some(#node))
                    }
                    Err(_) => quote!(None),
                },
                None => quote!(None),
            };
            quote!(s::embedded(#shape))
        }
        None => node_of(krate, field, inner),
    };
    if optional {
        node = quote!(s::nullable(#node));
    }
    let doc = option_str(field.doc.as_deref());
    quote!(s::field(#wire, #column, #required, #node, #doc))
}

/// The shape expression of a type kind (hints apply to text at any depth).
fn node_of(krate: &syn::Path, field: &Field<'_>, kind: &TypeKind) -> TokenStream {
    match kind {
        TypeKind::Scalar(Scalar::Text) => {
            let format = match field.attrs.format.as_ref().map(|f| f.value) {
                Some("timestamp") => quote!(s::Format::Timestamp),
                Some("date") => quote!(s::Format::Date),
                Some("uuid") => quote!(s::Format::Uuid),
                Some("large") => quote!(s::Format::Large),
                _ => quote!(s::Format::Plain),
            };
            let max = match &field.attrs.max_length {
                Some(n) => {
                    let n = n.value;
                    quote!(Some(#n))
                }
                None => quote!(None),
            };
            let values = match &field.attrs.one_of {
                Some(values) => {
                    let values = &values.value;
                    quote!(Some(&[#(#values),*]))
                }
                None => quote!(None),
            };
            quote!(s::text(#format, #max, #values))
        }
        TypeKind::Scalar(Scalar::Int32) => quote!(s::integer(false)),
        TypeKind::Scalar(Scalar::Int64) => quote!(s::integer(true)),
        TypeKind::Scalar(Scalar::Number) => quote!(s::number()),
        TypeKind::Scalar(Scalar::Boolean) => quote!(s::boolean()),
        TypeKind::Scalar(Scalar::Json) => quote!(s::json()),
        // The span makes a missing `Bridge` impl point at the field's type.
        TypeKind::Struct(ty) => quote_spanned!(ty.span()=> <#ty as #krate::Bridge>::shape()),
        TypeKind::Vec(items) => {
            let items = node_of(krate, field, items);
            quote!(s::array(#items))
        }
        TypeKind::Option(inner) => {
            let inner = node_of(krate, field, inner);
            quote!(s::nullable(#inner))
        }
        TypeKind::Map(value) => {
            let value = node_of(krate, field, value);
            quote!(s::map(#value))
        }
    }
}
