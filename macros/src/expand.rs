//! The expansion: `Record` (how the loader reads a value, borrowing its fields) and
//! `Bridge` (the shape, root settings and the model built from them), wrapped in
//! `const _: () = { ... }` so nothing leaks into the user's namespace.

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
            quote!(::std::option::Option::Some(&[#(#names),*]))
        }
        None => quote!(::std::option::Option::None),
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
    let namespace = option_str(container.attrs.namespace.as_deref());
    let service = option_str(container.attrs.service.as_deref());
    let path = option_str(container.attrs.path.as_deref());
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
                use #krate::bridge::columns as columns;
                columns::check::<{ columns::count(<#ident as #krate::Bridge>::COLUMNS) }>(
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
            #[automatically_derived]
            impl #krate::record::Record for #ident {
                fn member(&self, key: &str) -> #krate::record::Member<'_> {
                    match key {
                        #(#arms)*
                        _ => #krate::record::Member::Cell(#krate::record::Cell::Null),
                    }
                }
            }

            #[automatically_derived]
            impl #krate::Bridge for #ident {
                const COLUMNS: &'static [#krate::bridge::columns::Column] = &[#(#columns),*];

                fn shape() -> #krate::bridge::shape::Shape {
                    use #krate::bridge::shape as s;
                    s::object(#name, #key, #doc, ::std::vec![#(#fields),*])
                }

                fn settings() -> #krate::bridge::Settings {
                    #krate::bridge::Settings {
                        records: &[#(#records),*],
                        namespace: #namespace,
                        service: #service,
                        path: #path,
                    }
                }

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
    let c = quote!(#krate::bridge::columns::Column);
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
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

/// `"wire" => <the member borrowed from self>,`
fn member_arm(krate: &syn::Path, field: &Field<'_>) -> TokenStream {
    let wire = &field.wire;
    let member = field.member;
    let value = match &field.kind {
        kind if kind.is_column() => {
            quote!(#krate::record::Member::Cell(#krate::record::AsCell::as_cell(&self.#member)))
        }
        TypeKind::Option(inner) => {
            let some = nested(krate, inner, quote!(value));
            quote! {
                match &self.#member {
                    ::std::option::Option::Some(value) => #some,
                    ::std::option::Option::None => {
                        #krate::record::Member::Cell(#krate::record::Cell::Null)
                    }
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
            #krate::record::Member::Record(<#ty as #krate::Bridge>::bridge_record(#value))
        },
        TypeKind::Vec(items) => match &**items {
            TypeKind::Struct(ty) => {
                quote_spanned!(ty.span()=> <#ty as #krate::Bridge>::bridge_list(#value))
            }
            _ => quote!(#krate::record::list(#value)),
        },
        // Lists of scalars, and anything else a record can hold.
        _ => quote!(#krate::record::Member::Record(#value)),
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
                        quote!(::std::option::Option::Some(#node))
                    }
                    Err(_) => quote!(::std::option::Option::None),
                },
                None => quote!(::std::option::Option::None),
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
                    quote!(::std::option::Option::Some(#n))
                }
                None => quote!(::std::option::Option::None),
            };
            let values = match &field.attrs.one_of {
                Some(values) => {
                    let values = &values.value;
                    quote!(::std::option::Option::Some(&[#(#values),*]))
                }
                None => quote!(::std::option::Option::None),
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
