//! Readers: every input becomes a [`shape::Node`] (or an [`openapi::Api`] around them).
//! Readers never emit anything; the model is built from what they return.

pub mod config;
pub mod openapi;
pub mod samples;
pub mod shape;
