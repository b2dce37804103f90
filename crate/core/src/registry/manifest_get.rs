//! Fetch a manifest: `GET /v2/<repo>/manifests/<ref>` with `Accept` listing
//! every manifest type, and verify the body's digest (against the digest
//! reference, or against `Docker-Content-Digest` for a tag).
//!
//! ```text
//!  GET ──200──> verify digest ──ok──> Some(manifest)
//!    │              └─mismatch──> DigestMismatch
//!    │ 404 ──> None
//!    └ else ──> error
//! ```

use crate::manifest::media_type::ACCEPT_MANIFESTS;
use crate::reference::Repository;

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{HttpResponse, Method, TransportError};
use super::manifest_body::{verify_manifest_body, Verify};
use super::op::{
    display_ref, manifest_path, OpOutput, OpRequest, Operation, Target, MAX_MANIFEST_BYTES,
};

/// `GET` a manifest by tag or digest.
#[derive(Debug)]
pub struct GetManifest {
    repository: Repository,
    reference: String,
    actions: &'static str,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl GetManifest {
    /// `GET /v2/<repository>/manifests/<reference>` (a tag or `sha256:...`), with a token for
    /// `actions`; the bytes are checked against the digest asked for, or against
    /// `Docker-Content-Digest`.
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        actions: &'static str,
    ) -> Self {
        GetManifest {
            repository,
            reference: reference.into(),
            actions,
            sent: false,
            output: None,
        }
    }
}

impl Operation for GetManifest {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent || self.output.is_some() {
            return None;
        }
        self.sent = true;
        Some(
            OpRequest::new(
                Method::Get,
                Target::Path(manifest_path(&self.repository, &self.reference)),
            )
            .header("Accept", ACCEPT_MANIFESTS)
            .max_response_body(MAX_MANIFEST_BYTES),
        )
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Get, url, e)),
            Ok(r) if r.status == 404 => Ok(None),
            Ok(r) if r.status == 200 => {
                let verify = Verify::for_reference(&self.reference);
                verify_manifest_body(&display_ref(&self.repository, &self.reference), verify, &r)
                    .map(Some)
            }
            Ok(r) => Err(RegistryError::from_response(Method::Get, url, &r)),
        };
        self.output = Some(out.map(OpOutput::Manifest));
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
