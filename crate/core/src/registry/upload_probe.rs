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

use super::auth::PUSH_ACTIONS;
use super::exchange::{transport_failed, Answered, Exchange, Op, Step};
use super::http::{resolve_location, HttpResponse, Method, TransportError};
use super::op::{upload_path, OpOutput, OpRequest, Target, UploadProbeOutcome};

/// Start an upload to a repository and cancel it.
pub type UploadProbe = Op<Probe>;

/// The exchange of an [`UploadProbe`]: the session to cancel, once known.
#[derive(Debug)]
pub struct Probe {
    location: Option<String>,
}

impl UploadProbe {
    /// Probes `repository` with a `pull,push` token.
    pub fn new(repository: Repository) -> Self {
        Op::with(repository, PUSH_ACTIONS, Probe { location: None })
    }
}

impl Probe {
    fn finish(&mut self, cancelled: bool) -> Step {
        let location = self.location.take().unwrap_or_default();
        let started = UploadProbeOutcome::Started {
            location,
            cancelled,
        };
        Step::Done(Ok(OpOutput::UploadProbe(started)))
    }
}

impl Exchange for Probe {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        let (method, target) = match &self.location {
            None => (Method::Post, Target::Path(upload_path(repository))),
            Some(location) => (Method::Delete, Target::Url(location.clone())),
        };
        let mut req = OpRequest::new(method, target);
        req.follow_redirects = false;
        Some(req)
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        if self.location.is_some() {
            return self.finish(response.is_success());
        }
        match (response.status, response.header("location")) {
            (202, Some(loc)) => {
                self.location = Some(resolve_location(at.url, loc));
                Step::Next
            }
            (202, None) => Step::Done(Ok(OpOutput::UploadProbe(UploadProbeOutcome::NoLocation))),
            _ => Step::Refused,
        }
    }

    fn failed(&mut self, at: Answered<'_>, error: TransportError) -> Step {
        match self.location {
            Some(_) => self.finish(false),
            None => transport_failed(at, error),
        }
    }
}
