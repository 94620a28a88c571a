//! What `#[derive(Bridge)]` expands to, as a library with one entry point,
//! [`derive`]. Two front ends call it: the `cai-bridge-macros` proc macro, for
//! structs written by hand, and the generator, which writes the expansion into a
//! bridge's `model.rs` beside the structs. A generated bridge therefore builds
//! without the macro (and the model-building code it links), while both paths stay
//! one piece of code that cannot drift.
//!
//! Container attributes, `#[bridge(...)]` on the struct:
//! `entity = "Name"`, `key = "field"` or `key("a", "b")`, and on a root type
//! `records = "results.conversations"`, `namespace = "..."`, `service = "..."`,
//! `path = "/odata/v4/..."`, plus `crate = "path"` for crates that re-export ours.
//!
//! Field attributes: `rename = "column"`, `skip`, `timestamp`, `date`, `uuid`,
//! `large`, `max_length = N`, `one_of("a", "b")` (an enum domain), and `json` or
//! `json = "Type"` on a string field that holds JSON (parsed and flattened, the raw
//! text kept). Wire names follow `#[serde(rename = "...")]`. Nested structs (which
//! implement `Bridge` too) flatten into prefixed columns; `Vec<T>` of structs becomes
//! a child entity, `Vec` of scalars a (parent key, position, value) entity.
//!
//! Every mistake is an error at its span, all reported at once; the macro crate has
//! a compile-fail case with its message for each. Two fields that map to one column
//! only once a nested struct is flattened (`a_b` next to `a: A` with a field `b`) are
//! found by the compiler: the expansion lists its columns in `Bridge::COLUMNS`,
//! naming nested types' lists, and a `const` evaluates the check on the whole tree.

mod ast;
mod attr;
mod ctxt;
mod impls;
mod ty;

pub use impls::derive;
