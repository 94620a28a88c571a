//! What `#[derive(Bridge)]` expands to, as a library with one entry point,
//! [`derive()`]. Two front ends call it: the `cai-bridge-macros` proc macro, for
//! structs written by hand, and the generator, which writes the expansion into a
//! bridge's `model.rs` beside the structs. A generated bridge therefore builds
//! without the macro (and the model-building code it links), while both paths stay
//! one piece of code that cannot drift.
//!
//! The attributes it reads are documented on the derive (`cai_bridge::Bridge`, from
//! `cai-bridge-macros`), where users look them up. Every mistake is an error at its
//! span, all reported at once; the macro crate has a compile-fail case with its
//! message for each.

mod ast;
mod attr;
mod ctxt;
mod impls;
mod ty;

pub use impls::derive;
