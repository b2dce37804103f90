//! The grammar every registry operation follows, and what operations return.
//!
//! An operation is a small state machine that knows the distribution
//! protocol for one task (HEAD a manifest, upload a blob, …) and nothing
//! about authentication, retries or time: the [`Client`](super::client::Client)
//! adds those around it.
//!
//! ```text
//!   poll_transmit() ──Some(OpRequest)──> client sends it (auth, retry, redirects)
//!        ▲                                        │
//!        └──────── handle_response(url, result) <─┘
//!   poll_transmit() ──None──> poll_output() ──Some(result)──> done
//! ```
//!
//! An operation has at most one request outstanding.

use crate::digest::Digest;
use crate::reference::Repository;

use super::error::RegistryError;
use super::http::{BlobSink, HttpResult, Method, RequestBody};
use super::upload_chunks::UploadMode;

/// Manifests and error bodies larger than this are refused (Distribution
/// itself limits manifests to 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 8 << 20;
/// Error and token bodies are read up to this size.
pub const MAX_SMALL_BODY: u64 = 1 << 20;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path (with query) below the registry's base URL, e.g. `/v2/a/b/tags/list`.
    Path(String),
    /// An absolute URL (a resolved `Location` or `Link`).
    Url(String),
}

/// What the client may do when a request fails temporarily (5xx, 429,
/// dropped connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Send the same request again after the backoff.
    Resend,
    /// Call [`Operation::restart`] after the backoff and continue with the
    /// operation's next request (uploads: a retried `PUT` to a used upload
    /// URL would fail, so the upload starts over from `HEAD`).
    Restart,
}

/// A request as an operation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRequest {
    /// The HTTP method.
    pub method: Method,
    /// Where the request goes.
    pub target: Target,
    /// Headers the operation needs (`Accept`, `Content-Type`, ...); the client adds `Authorization`
    /// and `User-Agent`.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: RequestBody,
    /// The largest response body accepted (default [`MAX_SMALL_BODY`]).
    pub max_response_body: u64,
    /// What to do on a temporary failure (default [`RetryMode::Resend`]).
    pub retry: RetryMode,
    /// Follow 3xx `Location`s (for `GET`/`HEAD`); `Authorization` is only
    /// sent while the URL stays on the registry's origin.
    pub follow_redirects: bool,
    /// Stream a `200` body to the transport's output file (blob downloads).
    pub sink: Option<BlobSink>,
}

impl OpRequest {
    /// A request with no headers and no body, a [`MAX_SMALL_BODY`] limit, [`RetryMode::Resend`],
    /// and redirects followed for `GET` and `HEAD`.
    pub fn new(method: Method, target: Target) -> OpRequest {
        OpRequest {
            method,
            target,
            headers: Vec::new(),
            body: RequestBody::Empty,
            max_response_body: MAX_SMALL_BODY,
            retry: RetryMode::Resend,
            follow_redirects: matches!(method, Method::Get | Method::Head),
            sink: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> OpRequest {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: RequestBody) -> OpRequest {
        self.body = body;
        self
    }

    /// Sets the largest response body accepted, in bytes.
    pub fn max_response_body(mut self, max: u64) -> OpRequest {
        self.max_response_body = max;
        self
    }

    /// Streams a `200` body to the transport's output file.
    pub fn sink(mut self, sink: BlobSink) -> OpRequest {
        self.sink = Some(sink);
        self
    }

    /// Sets what happens on a temporary failure.
    pub fn retry(mut self, retry: RetryMode) -> OpRequest {
        self.retry = retry;
        self
    }
}

/// A manifest's identity as `HEAD` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDescriptor {
    /// The digest (`Docker-Content-Digest`, or the digest of the body for a `GET`).
    pub digest: Digest,
    /// The `Content-Type`, without parameters ("" when absent).
    pub media_type: String,
    /// The manifest's size in bytes: `Content-Length` of a `HEAD` (0 when absent), or the
    /// body's length after a `GET`.
    pub size: u64,
}

/// A manifest fetched with `GET`, digest-verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    /// The exact bytes received.
    pub raw: Vec<u8>,
    /// Their digest (checked against the one asked for).
    pub digest: Digest,
    /// The `Content-Type`.
    pub media_type: String,
}

/// How a blob came to be present at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// It already was (`HEAD` 200).
    Present,
    /// Cross-repository mount (`POST ?mount=` 201).
    Mounted,
    /// Uploaded.
    Uploaded {
        /// The blob's size (body bytes that reached the registry).
        bytes: u64,
        /// One `PUT`, or `PATCH` chunks (and why).
        mode: UploadMode,
        /// Times the upload continued where its session stood after a
        /// failed chunk, instead of starting again.
        resumes: u32,
    },
}

/// What an [`UploadProbe`](super::upload_probe::UploadProbe) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProbeOutcome {
    /// `POST` answered 202 with a `Location`; `cancelled`: the `DELETE` of
    /// that session was accepted (otherwise it expires on its own).
    Started {
        /// The `Location` the registry answered with.
        location: String,
        /// Whether the `DELETE` of the session was accepted.
        cancelled: bool,
    },
    /// `POST` answered 202 without a `Location` header (a browser sees this
    /// when the registry does not expose the header to the page's origin).
    NoLocation,
}

/// The result of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutput {
    /// `HEAD`/`GET` manifest: `None` when absent (404).
    ManifestDescriptor(Option<ManifestDescriptor>),
    /// `GET` manifest: `None` when absent (404).
    Manifest(Option<FetchedManifest>),
    /// `HEAD` blob: the size when present.
    BlobSize(Option<u64>),
    /// `GET` blob, digest-verified.
    BlobBytes(Vec<u8>),
    /// `GET` blob streamed to the output file (verified by the transport);
    /// the number of bytes written.
    BlobStored(u64),
    /// A blob upload: how the blob came to be present.
    Blob(BlobOutcome),
    /// Manifest `PUT` done; the digest it was stored under.
    ManifestPut(Digest),
    /// A [`PutManifest::confirming`](super::manifest_put::PutManifest::confirming)
    /// PUT whose response named the digest sent (`Docker-Content-Digest`).
    ManifestPutConfirmed(Digest),
    /// `GET tags/list`: every tag, over all pages, in the registry's order.
    Tags(Vec<String>),
    /// An upload session was started (and cancelled).
    UploadProbe(UploadProbeOutcome),
}

/// One registry operation (see the module doc for the grammar).
pub trait Operation {
    /// The repository the requests go to (selects credentials and scope).
    fn repository(&self) -> &Repository;
    /// The token scopes needed, e.g. `repository:dst/x:pull,push`.
    fn scopes(&self) -> Vec<String>;
    /// The next request to send, if any.
    fn poll_transmit(&mut self) -> Option<OpRequest>;
    /// The answer to the last request; `url` is the absolute URL it went to.
    fn handle_response(&mut self, url: &str, response: HttpResult);
    /// Start over after a temporary failure of a [`RetryMode::Restart`]
    /// request.
    fn restart(&mut self) {}
    /// The result, once no request is left.
    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>>;
}

/// `repo:tag` or `repo@digest`, for messages.
pub fn display_ref(repository: &Repository, reference: &str) -> String {
    if reference.starts_with("sha256:") {
        format!("{}@{reference}", repository.name())
    } else {
        format!("{}:{reference}", repository.name())
    }
}

/// `/v2/<path>/manifests/<reference>`.
pub fn manifest_path(repository: &Repository, reference: &str) -> String {
    format!("/v2/{}/manifests/{reference}", repository.path())
}

/// `/v2/<path>/blobs/<digest>`.
pub fn blob_path(repository: &Repository, digest: &Digest) -> String {
    format!("/v2/{}/blobs/{digest}", repository.path())
}

/// `/v2/<path>/blobs/uploads/`.
pub fn upload_path(repository: &Repository) -> String {
    format!("/v2/{}/blobs/uploads/", repository.path())
}
