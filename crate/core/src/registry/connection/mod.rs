//! "Test connection" as a sans-IO machine over the core's own registry
//! pieces: [`Ping`](super::ping::Ping) (scheme choice, `WWW-Authenticate`
//! parsing), [`TokenFetch`](super::token::TokenFetch) (Docker token flow)
//! and the [`UploadProbe`](super::upload_probe::UploadProbe) operation.
//! It records every step so a front end can explain what is wrong (the page
//! only words it: `web/js/connection.js`).
//!
//! ```text
//!  ping GET /v2/ ──200/403──────────────────────────────────────────┐
//!     │401 Basic ────────────────────────> login GET /v2/ (auth) ──┤
//!     │401 Bearer ──> token GET realm ──────┘                        ▼
//!     │                                           upload POST uploads/ + DELETE
//!  each step: ok, or failed (failure kind, code, status, error envelope)
//! ```
//!
//! A request the transport could not send is [`Failure::Unreachable`]; a
//! browser edge tells CORS from network failures afterwards. Requests
//! carrying credentials that fail cross-origin are [`Failure::Preflight`].
//! [`endpoint`] says which base URL a page uses for a repository.

use serde::Serialize;

pub mod endpoint;
mod probe;

pub use endpoint::Endpoint;
pub use probe::Probe;

/// How much of a non-envelope error body is kept.
const MAX_BODY_TEXT: usize = 300;

/// The steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepName {
    /// `GET /v2/` without credentials.
    Ping,
    /// The token request (Bearer challenges).
    Token,
    /// `GET /v2/` with the credentials (or a check that they are needed).
    Login,
    /// `POST` an upload session and cancel it.
    Upload,
}

/// Why a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// No HTTP answer, and the server does not answer at all.
    Unreachable,
    /// The server answers, but the browser hides the answer (CORS).
    Cors,
    /// A cross-origin request with credentials was refused (its CORS preflight).
    Preflight,
    /// `/v2/` answered 404: not a registry API.
    NotFound,
    /// An unexpected status (the envelope or body says more).
    Status,
    /// 401/403: credentials refused, or no push permission.
    Denied,
    /// 401 without a readable `WWW-Authenticate` header.
    ChallengeHidden,
    /// `WWW-Authenticate` names neither Basic nor Bearer.
    UnsupportedScheme,
    /// The registry asks for a login and none was given.
    LoginRequired,
    /// The Bearer realm is not an http(s) URL.
    InvalidRealm,
    /// The token service answered 200 without a usable token.
    BadToken,
    /// The upload started but its `Location` header is not visible.
    NoLocation,
}

impl Failure {
    /// The error code the page shows for this failure at `step` (the JS
    /// API's `E_*` codes).
    pub fn code(self, step: StepName, same_origin: bool) -> &'static str {
        match self {
            Failure::Unreachable if step == StepName::Token => "E_CORS",
            Failure::Unreachable => "E_NETWORK",
            Failure::Cors | Failure::Preflight | Failure::NoLocation => "E_CORS",
            Failure::ChallengeHidden if !same_origin => "E_CORS",
            Failure::Denied | Failure::LoginRequired => "E_AUTH",
            _ => "E_REGISTRY",
        }
    }
}

/// What `/v2/` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// No login asked for (`/v2/` answered 200, or 403).
    None,
    /// HTTP Basic.
    Basic,
    /// The Docker token flow.
    Bearer,
}

/// One entry of a registry error envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvelopeError {
    /// The error code, e.g. `DENIED`.
    pub code: String,
    /// The registry's message.
    pub message: String,
    /// The `detail` value, when sent.
    pub detail: Option<serde_json::Value>,
}

/// One step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Which step.
    pub step: StepName,
    /// It succeeded.
    pub ok: bool,
    /// The URL the step's request went to (token: the realm, no query).
    pub url: String,
    /// The HTTP status of its answer, when there was one.
    pub status: Option<u16>,
    /// Why it failed.
    pub failure: Option<Failure>,
    /// The error code of the failure ([`Failure::code`]).
    pub code: Option<&'static str>,
    /// The registry's error envelope, when it sent one.
    pub errors: Vec<EnvelopeError>,
    /// The start of a non-envelope error body.
    pub body: String,
    /// The core's error message (never credentials).
    pub message: String,
}

/// The whole probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Every step succeeded: a push can start.
    pub ok: bool,
    /// Where the requests went.
    pub endpoint: Endpoint,
    /// What `/v2/` asked for; `None` when it could not be asked.
    pub scheme: Option<Scheme>,
    /// The raw `WWW-Authenticate` of `/v2/`, when it sent one.
    pub challenge: Option<String>,
    /// Credentials were given to the probe.
    pub credentials_given: bool,
    /// Credentials (or a token) were sent to the registry.
    pub credentials_sent: bool,
    /// The test upload session was cancelled (`DELETE` accepted).
    pub upload_cancelled: bool,
    /// The steps run, in order; the last one failed unless `ok`.
    pub steps: Vec<Step>,
}
