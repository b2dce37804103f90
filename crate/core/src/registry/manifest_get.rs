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

use super::exchange::{Answered, Exchange, Op, Step};
use super::http::{HttpResponse, Method};
use super::manifest_body::verify_fetched;
use super::op::{manifest_path, OpOutput, OpRequest, Target, MAX_MANIFEST_BYTES};

/// `GET` a manifest by tag or digest.
pub type GetManifest = Op<Fetch>;

/// The exchange of a [`GetManifest`]: the tag or digest fetched.
#[derive(Debug)]
pub struct Fetch {
    reference: String,
}

impl GetManifest {
    /// `reference` is a tag or a `sha256:` digest; `actions` is the token
    /// scope to ask for.
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        actions: &'static str,
    ) -> Self {
        Op::with(
            repository,
            actions,
            Fetch {
                reference: reference.into(),
            },
        )
    }
}

/// `GET` or `HEAD` of a manifest, with `Accept` listing every manifest type.
pub(super) fn manifest_request(
    method: Method,
    repository: &Repository,
    reference: &str,
) -> OpRequest {
    OpRequest::new(method, Target::Path(manifest_path(repository, reference)))
        .header("Accept", ACCEPT_MANIFESTS)
        .max_response_body(MAX_MANIFEST_BYTES)
}

impl Exchange for Fetch {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        Some(manifest_request(Method::Get, repository, &self.reference))
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        Step::Done(Ok(OpOutput::Manifest(match response.status {
            404 => None,
            200 => match verify_fetched(at.repository, &self.reference, response) {
                Ok(m) => Some(m),
                Err(e) => return Step::Done(Err(e)),
            },
            _ => return Step::Refused,
        })))
    }
}
