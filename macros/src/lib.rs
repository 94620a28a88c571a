//! `#[derive(Bridge)]`, re-exported by the `cai-bridge` runtime crate with its
//! `derive` feature (use it from there). The expansion itself lives in
//! `cai-bridge-expand`, which documents the attributes; this crate only hands it
//! the struct and turns its errors into compile errors at their spans.

use proc_macro::TokenStream;

/// Implements `Bridge` and `Record` for a struct with named fields.
///
/// Container attributes, `#[bridge(...)]` on the struct:
/// `entity = "Name"`, `key = "field"` or `key("a", "b")`, and on a root type
/// `records = "results.conversations"`, `namespace = "..."`, `service = "..."`,
/// `path = "/odata/v4/..."`, plus `crate = "path"` for crates that re-export ours.
///
/// Field attributes: `rename = "column"`, `skip`, `timestamp`, `date`, `uuid`,
/// `large`, `max_length = N`, `one_of("a", "b")` (an enum domain), and `json` or
/// `json = "Type"` on a string field that holds JSON (parsed and flattened, the raw
/// text kept). Wire names follow `#[serde(rename = "...")]`. Nested structs (which
/// derive `Bridge` too) flatten into prefixed columns; `Vec<T>` of structs becomes a
/// child entity, `Vec` of scalars a (parent key, position, value) entity.
///
/// Every mistake is a compile error at its span, all reported at once; each has a
/// case with its message in `tests/compile-fail/`. Two fields that map to one column
/// only once a nested struct is flattened (`a_b` next to `a: A` with a field `b`) are
/// found by the compiler: the expansion lists its columns in `Bridge::COLUMNS`,
/// naming nested types' lists, and a `const` evaluates the check on the whole tree.
#[proc_macro_derive(Bridge, attributes(bridge))]
pub fn derive_bridge(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match cai_bridge_expand::derive(&input) {
        Ok(tokens) => tokens.into(),
        Err(errors) => errors
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect::<proc_macro2::TokenStream>()
            .into(),
    }
}
