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

use crate::digest::Digest;
use crate::manifest::media_type::ACCEPT_MANIFESTS;
use crate::reference::Repository;

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{HttpResponse, Method, TransportError};
use super::manifest_body::{verify_manifest_body, Verify};
use super::op::{
    display_ref, manifest_path, ManifestDescriptor, OpOutput, OpRequest, Operation, Target,
    MAX_MANIFEST_BYTES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Get,
    Done,
}

/// `HEAD` (then `GET`) a manifest by tag or digest.
#[derive(Debug)]
pub struct HeadManifest {
    repository: Repository,
    reference: String,
    actions: &'static str,
    state: State,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl HeadManifest {
    /// `reference` is a tag or a `sha256:` digest; `actions` is the scope
    /// to request (`pull`, or `pull,push` when the same token will push).
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        actions: &'static str,
    ) -> Self {
        HeadManifest {
            repository,
            reference: reference.into(),
            actions,
            state: State::Head,
            output: None,
        }
    }

    fn finish(&mut self, out: Result<Option<ManifestDescriptor>, RegistryError>) {
        self.state = State::Done;
        self.output = Some(out.map(OpOutput::ManifestDescriptor));
    }
}

impl Operation for HeadManifest {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        let method = match self.state {
            State::Head => Method::Head,
            State::Get => Method::Get,
            State::Done => return None,
        };
        Some(
            OpRequest::new(
                method,
                Target::Path(manifest_path(&self.repository, &self.reference)),
            )
            .header("Accept", ACCEPT_MANIFESTS)
            .max_response_body(MAX_MANIFEST_BYTES),
        )
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let method = if self.state == State::Head {
            Method::Head
        } else {
            Method::Get
        };
        let resp = match response {
            Ok(r) => r,
            Err(e) if self.state == State::Head => {
                let _ = e;
                self.state = State::Get;
                return;
            }
            Err(e) => return self.finish(Err(RegistryError::transport(method, url, e))),
        };
        match (self.state, resp.status) {
            (_, 404) => self.finish(Ok(None)),
            (State::Head, 200) => {
                let digest = resp
                    .header("docker-content-digest")
                    .and_then(|d| Digest::parse(d.trim()).ok());
                match digest {
                    Some(digest) => {
                        let media_type = resp
                            .header("content-type")
                            .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
                            .unwrap_or_default();
                        let size = resp
                            .header("content-length")
                            .and_then(|s| s.trim().parse().ok())
                            .unwrap_or(0);
                        self.finish(Ok(Some(ManifestDescriptor {
                            digest,
                            media_type,
                            size,
                        })))
                    }
                    None => self.state = State::Get,
                }
            }
            (State::Head, _) => self.state = State::Get,
            (State::Get, 200) => {
                let verify = Verify::for_reference(&self.reference);
                let display = display_ref(&self.repository, &self.reference);
                let out = verify_manifest_body(&display, verify, &resp).map(|m| {
                    Some(ManifestDescriptor {
                        digest: m.digest,
                        media_type: m.media_type,
                        size: m.raw.len() as u64,
                    })
                });
                self.finish(out)
            }
            (_, _) => self.finish(Err(RegistryError::from_response(method, url, &resp))),
        }
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
