//! Push a manifest: `PUT /v2/<repo>/manifests/<tag|digest>` with
//! `Content-Type` = its media type and the exact raw bytes as the body.
//! The registry's `Docker-Content-Digest`, when sent, must equal the digest
//! of those bytes.
//!
//! ```text
//!  PUT ──200/201/202──> check Docker-Content-Digest ──> digest
//!    └ else ──> error
//! ```

use std::sync::Arc;

use crate::digest::Digest;
use crate::reference::Repository;

use super::auth::{repository_scope, PUSH_ACTIONS};
use super::error::RegistryError;
use super::http::{HttpResponse, Method, RequestBody, TransportError};
use super::op::display_ref;
use super::op::{manifest_path, OpOutput, OpRequest, Operation, Target};

/// `PUT` a manifest by tag or digest.
#[derive(Debug)]
pub struct PutManifest {
    repository: Repository,
    reference: String,
    media_type: String,
    raw: Arc<Vec<u8>>,
    digest: Digest,
    confirming: bool,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl PutManifest {
    /// `reference` is the tag, or the digest for untagged pushes.
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        media_type: impl Into<String>,
        raw: Arc<Vec<u8>>,
    ) -> Self {
        let digest = Digest::of(&raw);
        PutManifest {
            repository,
            reference: reference.into(),
            media_type: media_type.into(),
            raw,
            digest,
            confirming: false,
            sent: false,
            output: None,
        }
    }

    /// Reports [`OpOutput::ManifestPutConfirmed`] when the registry's
    /// `Docker-Content-Digest` names the digest sent, so a caller can skip
    /// reading the tag back.
    pub fn confirming(mut self) -> Self {
        self.confirming = true;
        self
    }
}

impl Operation for PutManifest {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, PUSH_ACTIONS)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent {
            return None;
        }
        self.sent = true;
        let mut req = OpRequest::new(
            Method::Put,
            Target::Path(manifest_path(&self.repository, &self.reference)),
        )
        .header("Content-Type", self.media_type.clone())
        .body(RequestBody::Bytes(self.raw.clone()));
        req.follow_redirects = false;
        Some(req)
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Put, url, e)),
            Ok(r) if matches!(r.status, 200..=202) => {
                match r.header("docker-content-digest").map(str::trim) {
                    Some(d) if !d.is_empty() && d != self.digest.to_string() => {
                        Err(RegistryError::PushedDigestMismatch {
                            reference: display_ref(&self.repository, &self.reference),
                            expected: self.digest,
                            actual: d.to_string(),
                        })
                    }
                    Some(_) if self.confirming => Ok(OpOutput::ManifestPutConfirmed(self.digest)),
                    _ => Ok(OpOutput::ManifestPut(self.digest)),
                }
            }
            Ok(r) => Err(RegistryError::from_response(Method::Put, url, &r)),
        };
        self.output = Some(out);
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
