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

use super::auth::PUSH_ACTIONS;
use super::error::RegistryError;
use super::exchange::{Answered, Exchange, Op, Step};
use super::http::{HttpResponse, Method, RequestBody};
use super::op::{display_ref, manifest_path, OpOutput, OpRequest, Target};

/// `PUT` a manifest by tag or digest.
pub type PutManifest = Op<Push>;

/// The exchange of a [`PutManifest`]: the reference, the exact bytes and
/// their digest.
#[derive(Debug)]
pub struct Push {
    reference: String,
    media_type: String,
    raw: Arc<Vec<u8>>,
    digest: Digest,
    confirming: bool,
}

impl PutManifest {
    /// `reference` is the tag, or the digest for untagged pushes.
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        media_type: impl Into<String>,
        raw: Arc<Vec<u8>>,
    ) -> Self {
        let push = Push {
            reference: reference.into(),
            media_type: media_type.into(),
            digest: Digest::of(&raw),
            raw,
            confirming: false,
        };
        Op::with(repository, PUSH_ACTIONS, push)
    }

    /// Reports [`OpOutput::ManifestPutConfirmed`] when the registry's
    /// `Docker-Content-Digest` names the digest sent, so a caller can skip
    /// reading the tag back.
    pub fn confirming(mut self) -> Self {
        self.exchange.confirming = true;
        self
    }
}

impl Exchange for Push {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        let target = Target::Path(manifest_path(repository, &self.reference));
        let mut req = OpRequest::new(Method::Put, target)
            .header("Content-Type", self.media_type.clone())
            .body(RequestBody::Bytes(self.raw.clone()));
        req.follow_redirects = false;
        Some(req)
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        if !matches!(response.status, 200..=202) {
            return Step::Refused;
        }
        Step::Done(
            match response.header("docker-content-digest").map(str::trim) {
                Some(d) if !d.is_empty() && d != self.digest.to_string() => {
                    Err(RegistryError::PushedDigestMismatch {
                        reference: display_ref(at.repository, &self.reference),
                        expected: self.digest,
                        actual: d.to_string(),
                    })
                }
                Some(_) if self.confirming => Ok(OpOutput::ManifestPutConfirmed(self.digest)),
                _ => Ok(OpOutput::ManifestPut(self.digest)),
            },
        )
    }
}
