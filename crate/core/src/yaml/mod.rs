//! YAML as imgpkg reads and writes it.
//!
//! imgpkg goes through `sigs.k8s.io/yaml` v1.4.0, which wraps a fork of
//! go-yaml v2.4.0: reading is YAML 1.1 (`yes`/`on` are booleans, `0123` is
//! octal, …) into `interface{}` and then JSON into Go structs; writing is a
//! struct turned into JSON, into a map, and emitted by go-yaml with sorted
//! keys. [`decode`] reproduces the reading half on top of `granit-parser`
//! with budgets against hostile input; [`emit`] reproduces the writer byte
//! for byte for the documents imgpkg writes.

pub mod decode;
pub mod emit;
mod error;
mod gofmt;
pub mod resolve;
mod text;

pub use decode::{decode_first_document, Data, Limits, Spanned, YamlError};
pub use emit::{key_less, key_order, to_string, Value};
