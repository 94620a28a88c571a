//! `#[derive(Bridge)]`, re-exported by the `cai-bridge` runtime crate with its
//! `derive` feature (use it from there). The expansion itself lives in
//! `cai-bridge-expand`, which documents the attributes; this crate only hands it
//! the struct and turns its errors into compile errors at their spans.

use proc_macro::TokenStream;

/// Implements `Bridge` and `Record` for a struct with named fields.
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
