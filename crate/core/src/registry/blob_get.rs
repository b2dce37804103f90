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

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{BlobSink, HttpResponse, Method, TransportError};
use super::op::{blob_path, OpOutput, OpRequest, Operation, Target};

/// `GET` a blob into memory (bounded).
#[derive(Debug)]
pub struct GetBlob {
    repository: Repository,
    digest: Digest,
    max_bytes: u64,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl GetBlob {
    /// `GET /v2/<repository>/blobs/<digest>`, refusing a body over `max_bytes`; the bytes are
    /// checked against `digest` before they are returned.
    pub fn new(repository: Repository, digest: Digest, max_bytes: u64) -> Self {
        GetBlob {
            repository,
            digest,
            max_bytes,
            sent: false,
            output: None,
        }
    }
}

impl Operation for GetBlob {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, "pull")]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent {
            return None;
        }
        self.sent = true;
        Some(
            OpRequest::new(
                Method::Get,
                Target::Path(blob_path(&self.repository, &self.digest)),
            )
            .max_response_body(self.max_bytes),
        )
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Get, url, e)),
            Ok(r) if r.status == 200 => {
                let actual = Digest::of(&r.body);
                if actual == self.digest {
                    Ok(OpOutput::BlobBytes(r.body))
                } else {
                    Err(RegistryError::DigestMismatch {
                        reference: format!("{}@{}", self.repository.name(), self.digest),
                        expected: self.digest,
                        actual,
                    })
                }
            }
            Ok(r) => Err(RegistryError::from_response(Method::Get, url, &r)),
        };
        self.output = Some(out);
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
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
#[derive(Debug)]
pub struct DownloadBlob {
    repository: Repository,
    sink: BlobSink,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl DownloadBlob {
    /// `GET` the blob `sink.digest` from `repository`, its `200` body written by the transport at
    /// `sink.offset`.
    pub fn new(repository: Repository, sink: BlobSink) -> Self {
        DownloadBlob {
            repository,
            sink,
            sent: false,
            output: None,
        }
    }
}

impl Operation for DownloadBlob {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, "pull")]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent {
            return None;
        }
        self.sent = true;
        Some(
            OpRequest::new(
                Method::Get,
                Target::Path(blob_path(&self.repository, &self.sink.digest)),
            )
            .sink(self.sink.clone()),
        )
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Get, url, e)),
            Ok(r) if r.status == 200 => Ok(OpOutput::BlobStored(self.sink.size)),
            Ok(r) => Err(RegistryError::from_response(Method::Get, url, &r)),
        };
        self.output = Some(out);
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
