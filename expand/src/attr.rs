//! `#[bridge(...)]` and the parts of `#[serde(...)]` and `#[doc]` the derive reads.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;

/// Container attribute names, for the "valid keys" hint.
pub const CONTAINER_KEYS: &str = "entity, key, records, namespace, service, path, crate";
/// Field attribute names, for the "valid keys" hint.
pub const FIELD_KEYS: &str = "rename, skip, timestamp, date, uuid, large, max_length, one_of, json";

/// An attribute value with where it was written.
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// The attribute's path, for spans.
    pub at: syn::Path,
}

/// Attributes on the struct.
#[derive(Default)]
pub struct Container {
    /// `entity = "Name"`.
    pub entity: Option<String>,
    /// `key = "a"` or `key("a", "b")`.
    pub key: Option<Spanned<Vec<String>>>,
    /// `records = "results.conversations"`.
    pub records: Option<String>,
    /// `namespace = "..."`.
    pub namespace: Option<String>,
    /// `service = "..."`.
    pub service: Option<String>,
    /// `path = "..."`.
    pub path: Option<String>,
    /// `crate = "..."`.
    pub krate: Option<syn::Path>,
    /// `#[serde(rename_all)]` was given (unsupported: wire names would be unknown).
    pub rename_all: Option<syn::Path>,
}

/// Attributes on a field.
#[derive(Default)]
pub struct Field {
    /// `rename = "column"`.
    pub rename: Option<String>,
    /// `skip`.
    pub skip: bool,
    /// `timestamp`, `date`, `uuid`, `large`: the format hint and where it was.
    pub format: Option<Spanned<&'static str>>,
    /// `max_length = N`.
    pub max_length: Option<Spanned<u32>>,
    /// `one_of("a", "b")`.
    pub one_of: Option<Spanned<Vec<String>>>,
    /// `json` (`None` inside: raw text only) or `json = "Type"`.
    pub json: Option<Spanned<Option<syn::Type>>>,
    /// `#[serde(rename = "...")]`: the wire name.
    pub serde_rename: Option<String>,
    /// `#[serde(flatten)]` (unsupported).
    pub serde_flatten: Option<syn::Path>,
}

/// The doc comment, lines joined with spaces, as rustdoc shows it
/// ([`cai_bridge_model::text::from_doc`]).
pub fn doc(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| cai_bridge_model::text::from_doc(&lines.join(" ")))
}

/// Reads the container attributes.
pub fn container(cx: &Ctxt, attrs: &[Attribute]) -> Container {
    let mut out = Container::default();
    for attr in attrs {
        if attr.path().is_ident("bridge") {
            let result = attr.parse_nested_meta(|meta| {
                let set = |cx: &Ctxt, slot: &mut Option<String>, meta: &ParseNestedMeta<'_>| {
                    let value = string(meta)?;
                    if slot.replace(value).is_some() {
                        cx.error_spanned_by(
                            &meta.path,
                            format!("duplicate bridge attribute `{}`", name(&meta.path)),
                        );
                    }
                    Ok(())
                };
                if meta.path.is_ident("entity") {
                    set(cx, &mut out.entity, &meta)
                } else if meta.path.is_ident("records") {
                    set(cx, &mut out.records, &meta)
                } else if meta.path.is_ident("namespace") {
                    set(cx, &mut out.namespace, &meta)
                } else if meta.path.is_ident("service") {
                    set(cx, &mut out.service, &meta)
                } else if meta.path.is_ident("path") {
                    set(cx, &mut out.path, &meta)
                } else if meta.path.is_ident("key") {
                    let keys = list_or_string(&meta)?;
                    if out
                        .key
                        .replace(Spanned {
                            value: keys,
                            at: meta.path.clone(),
                        })
                        .is_some()
                    {
                        cx.error_spanned_by(&meta.path, "duplicate bridge attribute `key`");
                    }
                    Ok(())
                } else if meta.path.is_ident("crate") {
                    let lit = string_lit(&meta)?;
                    match lit.parse::<syn::Path>() {
                        Ok(path) => {
                            if out.krate.replace(path).is_some() {
                                cx.error_spanned_by(&meta.path, "duplicate bridge attribute `crate`");
                            }
                        }
                        Err(_) => cx.error_spanned_by(
                            &lit,
                            format!(
                                "`crate = \"{}\"` is not a path; name the crate that re-exports cai_bridge, e.g. crate = \"my_crate::cai_bridge\"",
                                lit.value()
                            ),
                        ),
                    }
                    Ok(())
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown bridge attribute `{}`; expected one of: {CONTAINER_KEYS}",
                            name(&meta.path)
                        ),
                    );
                    skip_value(&meta)
                }
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        } else if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    out.rename_all = Some(meta.path.clone());
                }
                skip_value(&meta)
            });
        }
    }
    out
}

/// Reads a field's attributes.
pub fn field(cx: &Ctxt, attrs: &[Attribute]) -> Field {
    let mut out = Field::default();
    for attr in attrs {
        if attr.path().is_ident("bridge") {
            let result = attr.parse_nested_meta(|meta| {
                let duplicate = |cx: &Ctxt| {
                    cx.error_spanned_by(
                        &meta.path,
                        format!("duplicate bridge attribute `{}`", name(&meta.path)),
                    )
                };
                if meta.path.is_ident("rename") {
                    if out.rename.replace(string(&meta)?).is_some() {
                        duplicate(cx);
                    }
                } else if meta.path.is_ident("skip") {
                    if std::mem::replace(&mut out.skip, true) {
                        duplicate(cx);
                    }
                } else if let Some(format) = ["timestamp", "date", "uuid", "large"]
                    .into_iter()
                    .find(|f| meta.path.is_ident(f))
                {
                    if let Some(previous) = out.format.replace(Spanned {
                        value: format,
                        at: meta.path.clone(),
                    }) {
                        cx.error_spanned_by(
                            &meta.path,
                            format!(
                                "`{format}` and `{}` contradict each other; keep one",
                                previous.value
                            ),
                        );
                    }
                } else if meta.path.is_ident("max_length") {
                    let n: LitInt = meta.value()?.parse()?;
                    let n = n.base10_parse::<u32>()?;
                    if out
                        .max_length
                        .replace(Spanned {
                            value: n,
                            at: meta.path.clone(),
                        })
                        .is_some()
                    {
                        duplicate(cx);
                    }
                } else if meta.path.is_ident("one_of") {
                    let values = list_or_string(&meta)?;
                    if out
                        .one_of
                        .replace(Spanned {
                            value: values,
                            at: meta.path.clone(),
                        })
                        .is_some()
                    {
                        duplicate(cx);
                    }
                } else if meta.path.is_ident("json") {
                    let ty = if meta.input.peek(Token![=]) {
                        let lit = string_lit(&meta)?;
                        match lit.parse::<syn::Type>() {
                            Ok(ty) => Some(ty),
                            Err(_) => {
                                cx.error_spanned_by(
                                    &lit,
                                    format!(
                                        "`{}` is not a Rust type; `json = \"...\"` names the type the JSON text holds, e.g. json = \"Reply\" or json = \"Vec<Reply>\"",
                                        lit.value()
                                    ),
                                );
                                None
                            }
                        }
                    } else {
                        None
                    };
                    if out
                        .json
                        .replace(Spanned {
                            value: ty,
                            at: meta.path.clone(),
                        })
                        .is_some()
                    {
                        duplicate(cx);
                    }
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown bridge attribute `{}`; expected one of: {FIELD_KEYS}",
                            name(&meta.path)
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        } else if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") && meta.input.peek(Token![=]) {
                    out.serde_rename = Some(string(&meta)?);
                    return Ok(());
                }
                if meta.path.is_ident("flatten") {
                    out.serde_flatten = Some(meta.path.clone());
                }
                skip_value(&meta)
            });
        }
    }
    out
}

fn name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn string_lit(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<String> {
    Ok(string_lit(meta)?.value())
}

/// `key = "a"`, `key = "a, b"` or `key("a", "b")`.
fn list_or_string(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<String>> {
    if meta.input.peek(Token![=]) {
        return Ok(string(meta)?
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect());
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let list = content.parse_terminated(|input| input.parse::<LitStr>(), Token![,])?;
    Ok(list.iter().map(LitStr::value).collect())
}

/// Consumes whatever value an attribute we do not read has (`= expr` or `(...)`).
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: proc_macro2::TokenStream = content.parse()?;
    }
    Ok(())
}
