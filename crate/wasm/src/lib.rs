//! The browser edge: wasm-bindgen bindings over the core, a `Blob`-backed
//! random-access source for the tar reader, and a `fetch` transport for the
//! registry copy. Everything `cfg(target_arch = "wasm32")` lives here.
//!
//! The JS API (documented in `docs/README-web.md`, "JS API"):
//!
//! ```text
//! init() -> openArchive(file) -> Archive { tree, bundleFile, blobsToVerify,
//!            verifyStructure, plan, copy } ; Sha256 for the verify workers
//! ```
//!
//! Every error thrown to JS is an `Error` with a stable `code` property
//! (see `error::Code`).

#![cfg(target_arch = "wasm32")]

pub mod archive;
pub mod blob_source;
pub mod connection;
pub mod copy;
pub mod endpoint;
pub mod error;
mod global;
pub mod gzip_body;
pub mod gzip_handoff;
pub mod hash;
pub mod memory;
pub mod thin;
pub mod transport;
pub mod types;

// The module tests run in a headless browser (once per test binary).
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub use blob_source::BlobSource;
pub use error::{Code, WasmError};
