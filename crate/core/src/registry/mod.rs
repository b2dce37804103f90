//! The registry protocol, sans IO: OCI distribution operations as small
//! state machines, authentication, retries, and the copy session that
//! executes a [`RelocationPlan`](crate::plan::RelocationPlan).
//!
//! Layers (ggcr's, without the IO):
//!
//! ```text
//!  copy::CopySession / read::*      what to do, in which order
//!     -> client::Client             ping, auth (Basic, bearer tokens), retries, redirects
//!        -> operations              one protocol exchange each:
//!             manifest_head, manifest_get, manifest_put,
//!             blob_head, blob_get, blob_upload, tags_list, upload_probe
//!           (+ ping, token: used by the client itself)
//!  transports (other crates)       perform HttpRequests, stream blob bodies
//! ```
//!
//! Nothing here performs IO or reads a clock: time comes in as milliseconds
//! and requests go out as values. A transport drives any [`Machine`].

pub mod auth;
pub mod blob_get;
pub mod blob_head;
pub mod blob_probe;
pub mod blob_upload;
pub mod client;
pub mod connection;
pub mod copy;
pub mod credentials;
pub mod download;
pub mod error;
pub mod exchange;
pub mod http;
pub mod manifest_body;
pub mod manifest_get;
pub mod manifest_head;
pub mod manifest_put;
pub mod on_client;
pub mod op;
pub mod ping;
pub mod read;
pub mod receipt_walk;
pub mod retry;
pub mod tags_list;
pub mod thin_check;
pub mod token;
pub mod upload_chunks;
pub mod upload_probe;

pub use auth::{Credentials, Keychain};
pub use client::{CallId, Client, ClientConfig, ClientEvent, RequestId, Transmit};
pub use copy::{CancelHandle, CopyError, CopyEvent, CopyOptions, CopySession, CopySummary};
pub use error::{ApiError, RegistryError};
pub use http::{
    HttpRequest, HttpResponse, HttpResult, Method, RequestBody, TransportError, TransportErrorKind,
};
pub use retry::RetryPolicy;

/// Anything a transport can drive: the copy session and the read helpers.
///
/// ```text
///  loop {
///      while let Some(t) = m.poll_transmit(now) { perform t.request concurrently }
///      if m.is_finished() { break }
///      wait for a response (report it: handle_response) or until poll_timeout()
///  }
/// ```
pub trait Machine {
    /// The next request to perform now, if any.
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit>;
    /// The result of a request handed out by `poll_transmit`.
    fn handle_response(&mut self, id: RequestId, now_ms: u64, result: HttpResult);
    /// Body bytes sent so far for a request (for progress reporting).
    fn handle_progress(&mut self, _id: RequestId, _bytes_sent: u64) {}
    /// When to call `poll_transmit` again even if no response arrives.
    fn poll_timeout(&self) -> Option<u64>;
    /// Done (successfully or not); answers still in flight may be dropped.
    fn is_finished(&self) -> bool;
}
