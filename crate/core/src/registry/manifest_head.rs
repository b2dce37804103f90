//! Resolve a manifest's digest: `HEAD /v2/<repo>/manifests/<ref>`, falling
//! back to `GET` when `HEAD` fails or gives no `Docker-Content-Digest`
//! (ggcr `remote.Head` then `remote.Get`).
//!
//! ```text
//!  HEAD ──200 + Docker-Content-Digest──> Some(descriptor)
//!    │ 404 ─────────────────────────────> None
//!    │ other / no digest header
//!    ▼
//!  GET ──200──> Some(descriptor of the body) ; 404 ──> None ; else error
//! ```

use crate::reference::Repository;

use super::exchange::{transport_failed, Answered, Exchange, Op, Step};
use super::http::{HttpResponse, Method, TransportError};
use super::manifest_body::verify_fetched;
use super::manifest_get::manifest_request;
use super::op::{ManifestDescriptor, OpOutput, OpRequest};

/// `HEAD` (then `GET`) a manifest by tag or digest.
pub type HeadManifest = Op<Resolve>;

/// The exchange of a [`HeadManifest`]: the reference, and whether the
/// `GET` fallback is under way.
#[derive(Debug)]
pub struct Resolve {
    reference: String,
    method: Method,
}

impl HeadManifest {
    /// `reference` is a tag or a `sha256:` digest; `actions` is the scope
    /// to request (`pull`, or `pull,push` when the same token will push).
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        actions: &'static str,
    ) -> Self {
        let reference = reference.into();
        let method = Method::Head;
        Op::with(repository, actions, Resolve { reference, method })
    }
}

fn found(descriptor: ManifestDescriptor) -> Step {
    Step::Done(Ok(OpOutput::ManifestDescriptor(Some(descriptor))))
}

impl Exchange for Resolve {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        Some(manifest_request(self.method, repository, &self.reference))
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        match (self.method, response.status) {
            (_, 404) => Step::Done(Ok(OpOutput::ManifestDescriptor(None))),
            (Method::Head, 200) => match response.content_digest() {
                Some(digest) => found(ManifestDescriptor {
                    digest,
                    media_type: response.media_type(),
                    size: response.content_length().unwrap_or(0),
                }),
                None => self.failed_head(),
            },
            (Method::Head, _) => self.failed_head(),
            (_, 200) => match verify_fetched(at.repository, &self.reference, response) {
                Ok(m) => found(ManifestDescriptor {
                    digest: m.digest,
                    media_type: m.media_type,
                    size: m.raw.len() as u64,
                }),
                Err(e) => Step::Done(Err(e)),
            },
            (_, _) => Step::Refused,
        }
    }

    fn failed(&mut self, at: Answered<'_>, error: TransportError) -> Step {
        match self.method {
            Method::Head => self.failed_head(),
            _ => transport_failed(at, error),
        }
    }
}

impl Resolve {
    /// `HEAD` gave no digest: ask with `GET` instead.
    fn failed_head(&mut self) -> Step {
        self.method = Method::Get;
        Step::Next
    }
}
