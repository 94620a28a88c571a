//! Readers: every input becomes a [`cai_bridge_model::shape::Node`] (or an
//! [`openapi::Api`] around them). Readers never emit anything; the model is built
//! from what they return.

pub mod openapi;
pub mod reconcile;
pub mod samples;
