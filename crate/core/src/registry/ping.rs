//! Discover how to talk to a registry: `GET <scheme>://<host>/v2/`.
//!
//! ```text
//!  GET https://host/v2/ ──200──────────────> Ready(base, no auth)
//!    │                  ──401 + challenge──> Ready(base, challenge)
//!    │ connection/TLS error, and http allowed
//!    ▼
//!  GET http://host/v2/  ──(same)
//! ```
//!
//! HTTP is allowed with `--registry-insecure` and, as in ggcr, for
//! `localhost`, `*.local`, loopback and RFC 1918 hosts. Temporary failures
//! are retried by the client around the whole sequence.

use crate::reference::Registry;

use super::auth::{parse_www_authenticate, Challenge};
use super::error::RegistryError;
use super::http::{HttpRequest, HttpResult, Method, RequestBody};
use super::op::MAX_SMALL_BODY;

/// What a successful ping learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingResult {
    /// `scheme://host[:port]`.
    pub base: String,
    /// What `/v2/` asked for in `WWW-Authenticate` ([`Challenge::None`] on 200).
    pub challenge: Challenge,
}

/// What to do after a ping response.
#[derive(Debug, Clone, PartialEq)]
pub enum PingStep {
    /// The registry answered (200 or 401) on this scheme.
    Done(PingResult),
    /// Try the next scheme now.
    Next,
    /// A temporary failure on the last scheme: retry from the first one
    /// after a backoff.
    Temporary(RegistryError),
    /// A final failure: the last scheme failed and retrying would not help.
    Failed(RegistryError),
}

/// The ping sequence for one registry.
#[derive(Debug, Clone)]
pub struct Ping {
    registry: Registry,
    schemes: Vec<&'static str>,
    index: usize,
    /// Why the earlier scheme failed (reported with the final error).
    earlier: Option<RegistryError>,
}

impl Ping {
    /// The sequence for `registry`: `https`, then `http` when `allow_http` or the registry is
    /// localhost, a `.local` name, or a loopback or private IPv4 address.
    pub fn new(registry: Registry, allow_http: bool) -> Ping {
        let mut schemes = vec!["https"];
        if allow_http || registry.is_insecure_by_default() {
            schemes.push("http");
        }
        Ping {
            registry,
            schemes,
            index: 0,
            earlier: None,
        }
    }

    /// Start again from the first scheme.
    pub fn reset(&mut self) {
        self.index = 0;
        self.earlier = None;
    }

    fn with_earlier(&self, err: RegistryError) -> RegistryError {
        match &self.earlier {
            Some(e) => RegistryError::PingFailed {
                last: Box::new(err),
                earlier: Box::new(e.clone()),
            },
            None => err,
        }
    }

    fn base(&self) -> String {
        format!("{}://{}", self.schemes[self.index], self.registry.as_str())
    }

    /// `GET <scheme>://<registry>/v2/` for the current scheme.
    pub fn poll_transmit(&self) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: format!("{}/v2/", self.base()),
            headers: Vec::new(),
            body: RequestBody::Empty,
            max_response_body: MAX_SMALL_BODY,
            sink: None,
        }
    }

    /// Judges the answer to [`poll_transmit`](Ping::poll_transmit)'s request: done, try the next
    /// scheme, retry later, or fail.
    pub fn handle_response(&mut self, response: HttpResult) -> PingStep {
        let url = format!("{}/v2/", self.base());
        match response {
            Err(e) => {
                let temporary = e.is_temporary();
                let err = RegistryError::transport(Method::Get, &url, e);
                if self.index + 1 < self.schemes.len() {
                    self.index += 1;
                    self.earlier = Some(err.clone());
                    PingStep::Next
                } else if temporary {
                    PingStep::Temporary(self.with_earlier(err))
                } else {
                    PingStep::Failed(self.with_earlier(err))
                }
            }
            Ok(r) if r.is_success() || r.status == 403 => PingStep::Done(PingResult {
                base: self.base(),
                challenge: Challenge::None,
            }),
            Ok(r) if r.status == 401 => PingStep::Done(PingResult {
                base: self.base(),
                challenge: parse_www_authenticate(r.header_all("www-authenticate"))
                    .unwrap_or(Challenge::None),
            }),
            Ok(r) if super::http::is_retryable_status(r.status) => PingStep::Temporary(
                self.with_earlier(RegistryError::from_response(Method::Get, &url, &r)),
            ),
            Ok(r) => PingStep::Failed(self.with_earlier(RegistryError::from_response(
                Method::Get,
                &url,
                &r,
            ))),
        }
    }
}
