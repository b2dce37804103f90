//! Check a blob: `HEAD /v2/<repo>/blobs/<digest>`.
//!
//! ```text
//!  HEAD ──200──> Some(size)
//!    │ 404 ──> None
//!    └ else ──> error
//! ```

use crate::digest::Digest;
use crate::reference::Repository;

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{HttpResponse, Method, TransportError};
use super::op::{blob_path, OpOutput, OpRequest, Operation, Target};

/// `HEAD` a blob.
#[derive(Debug)]
pub struct HeadBlob {
    repository: Repository,
    digest: Digest,
    actions: &'static str,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl HeadBlob {
    /// `HEAD /v2/<repository>/blobs/<digest>`, with a token for `actions` (`pull`, or `pull,push`
    /// when a push follows).
    pub fn new(repository: Repository, digest: Digest, actions: &'static str) -> Self {
        HeadBlob {
            repository,
            digest,
            actions,
            sent: false,
            output: None,
        }
    }
}

impl Operation for HeadBlob {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent {
            return None;
        }
        self.sent = true;
        Some(OpRequest::new(
            Method::Head,
            Target::Path(blob_path(&self.repository, &self.digest)),
        ))
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Head, url, e)),
            Ok(r) if r.status == 200 => Ok(Some(
                r.header("content-length")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0),
            )),
            Ok(r) if r.status == 404 => Ok(None),
            Ok(r) => Err(RegistryError::from_response(Method::Head, url, &r)),
        };
        self.output = Some(out.map(OpOutput::BlobSize));
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
