//! Check that a push may start: open an upload session and cancel it at
//! once (what "test connection" needs before anything is written).
//!
//! ```text
//!  POST uploads/ ──202 Location──> DELETE <Location> ──any answer──> Started
//!    │202 without Location ─────────────────────────────────────> NoLocation
//!    └else (401/403: no push permission, envelope kept) ────────> error
//! ```
//!
//! The `DELETE` only tidies up: a registry that refuses it lets the session
//! expire on its own, so its answer (or its failure) is reported, not an
//! error. `Location` may be relative (resolved against the request URL).

use crate::reference::Repository;

use super::auth::{repository_scope, PUSH_ACTIONS};
use super::error::RegistryError;
use super::http::{resolve_location, HttpResponse, Method, TransportError};
use super::op::{upload_path, OpOutput, OpRequest, Operation, Target, UploadProbeOutcome};

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Post,
    Delete { location: String },
    Done,
}

/// Start an upload to a repository and cancel it.
#[derive(Debug)]
pub struct UploadProbe {
    repository: Repository,
    state: State,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl UploadProbe {
    /// `POST /v2/<repository>/blobs/uploads/`, then `DELETE` of the session it opened: checks that
    /// the repository accepts pushes without writing anything.
    pub fn new(repository: Repository) -> Self {
        UploadProbe {
            repository,
            state: State::Post,
            output: None,
        }
    }

    fn finish(&mut self, out: Result<UploadProbeOutcome, RegistryError>) {
        self.state = State::Done;
        self.output = Some(out.map(OpOutput::UploadProbe));
    }
}

impl Operation for UploadProbe {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, PUSH_ACTIONS)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        let (method, target) = match &self.state {
            State::Done => return None,
            State::Post => (Method::Post, Target::Path(upload_path(&self.repository))),
            State::Delete { location } => (Method::Delete, Target::Url(location.clone())),
        };
        let mut req = OpRequest::new(method, target);
        req.follow_redirects = false;
        Some(req)
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        match self.state.clone() {
            State::Post => {
                let resp = match response {
                    Ok(r) => r,
                    Err(e) => {
                        return self.finish(Err(RegistryError::transport(Method::Post, url, e)))
                    }
                };
                match (resp.status, resp.header("location")) {
                    (202, Some(loc)) => {
                        self.state = State::Delete {
                            location: resolve_location(url, loc),
                        }
                    }
                    (202, None) => self.finish(Ok(UploadProbeOutcome::NoLocation)),
                    _ => self.finish(Err(RegistryError::from_response(Method::Post, url, &resp))),
                }
            }
            State::Delete { location } => {
                let cancelled = matches!(&response, Ok(r) if r.is_success());
                self.finish(Ok(UploadProbeOutcome::Started {
                    location,
                    cancelled,
                }))
            }
            State::Done => {}
        }
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
