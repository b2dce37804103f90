//! Transports: the edge where requests from the sans-IO
//! [`registry`](crate::registry) core are actually performed.
//!
//! - [`native`]: blocking HTTP with `ureq` on a small thread pool (not on
//!   wasm32).
//! - the browser transport (fetch) lives with the wasm bindings.

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
