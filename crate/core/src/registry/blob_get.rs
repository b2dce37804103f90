//! Fetch a small blob (a config, a locations layer) into memory:
//! `GET /v2/<repo>/blobs/<digest>`, redirects followed, digest verified.
//! Large layers are never fetched this way: the transport streams them.
//!
//! ```text
//!  GET ──200──> verify sha256 ──> bytes
//!    └ else ──> error (404 included: a referenced blob must exist)
//! ```

use crate::digest::Digest;
use crate::reference::Repository;

use super::auth::PULL_ACTIONS;
use super::error::RegistryError;
use super::exchange::{Answered, Exchange, Op, Step};
use super::http::{BlobSink, HttpResponse, Method};
use super::op::{blob_path, OpOutput, OpRequest, Target};

/// `GET` a blob into memory (bounded).
pub type GetBlob = Op<Bytes>;

/// The exchange of a [`GetBlob`]: the digest and the size limit.
#[derive(Debug)]
pub struct Bytes {
    digest: Digest,
    max_bytes: u64,
}

impl GetBlob {
    /// Fetches `digest` from `repository`, refused beyond `max_bytes`.
    pub fn new(repository: Repository, digest: Digest, max_bytes: u64) -> Self {
        Op::with(repository, PULL_ACTIONS, Bytes { digest, max_bytes })
    }
}

impl Exchange for Bytes {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        let target = Target::Path(blob_path(repository, &self.digest));
        Some(OpRequest::new(Method::Get, target).max_response_body(self.max_bytes))
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        if response.status != 200 {
            return Step::Refused;
        }
        let actual = Digest::of(&response.body);
        Step::Done(if actual == self.digest {
            Ok(OpOutput::BlobBytes(std::mem::take(&mut response.body)))
        } else {
            Err(RegistryError::DigestMismatch {
                reference: format!("{}@{}", at.repository.name(), self.digest),
                expected: self.digest,
                actual,
            })
        })
    }
}

/// `GET` a blob straight into the transport's output file (see
/// [`BlobSink`]): large layers are never held in memory. The transport
/// verifies size and sha256 while writing.
///
/// ```text
///  GET ──200──> transport streams body to file at offset ──> BlobStored(size)
///    └ else ──> error (404 included)
/// ```
pub type DownloadBlob = Op<Stream>;

/// The exchange of a [`DownloadBlob`]: where the body goes.
#[derive(Debug)]
pub struct Stream {
    sink: BlobSink,
}

impl DownloadBlob {
    /// Streams `sink.digest` from `repository` into the output file.
    pub fn new(repository: Repository, sink: BlobSink) -> Self {
        Op::with(repository, PULL_ACTIONS, Stream { sink })
    }
}

impl Exchange for Stream {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        let target = Target::Path(blob_path(repository, &self.sink.digest));
        Some(OpRequest::new(Method::Get, target).sink(self.sink.clone()))
    }

    fn answer(&mut self, _: Answered<'_>, response: &mut HttpResponse) -> Step {
        match response.status {
            200 => Step::Done(Ok(OpOutput::BlobStored(self.sink.size))),
            _ => Step::Refused,
        }
    }
}
