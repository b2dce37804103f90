//! "Test connection" as a sans-IO machine over the core's own registry
//! pieces: [`Ping`] (scheme choice, `WWW-Authenticate` parsing),
//! [`TokenFetch`] (Docker token flow) and the [`UploadProbe`] operation.
//! It records every step so the page can explain what is wrong; the page
//! only words it (`web/js/connection.js`).
//!
//! ```text
//!  ping GET /v2/ ──200/403──────────────────────────────────────────┐
//!     │401 Basic ────────────────────────> login GET /v2/ (auth) ──┤
//!     │401 Bearer ──> token GET realm ──────┘                        ▼
//!     │                                           upload POST uploads/ + DELETE
//!  each step: ok, or failed (failure kind, code, status, error envelope)
//! ```
//!
//! A request the browser could not send is `Unreachable`; the binding
//! ([`super::connection`]) tells CORS from network failures afterwards.
//! Requests carrying credentials that fail cross-origin are `Preflight`.

use serde::Serialize;

use super::endpoint::Endpoint;
use airlock_core::reference::Repository;
use airlock_core::registry::auth::{repository_scope, Challenge, PUSH_ACTIONS};
use airlock_core::registry::error::parse_error_envelope;
use airlock_core::registry::http::{url_origin, HttpRequest, RequestBody};
use airlock_core::registry::op::{OpOutput, Operation, Target, UploadProbeOutcome, MAX_SMALL_BODY};
use airlock_core::registry::ping::{Ping, PingStep};
use airlock_core::registry::token::{TokenFetch, TokenStep};
use airlock_core::registry::upload_probe::UploadProbe;
use airlock_core::registry::{
    Credentials, HttpResponse, Machine, Method, RegistryError, RequestId, Transmit, TransportError,
};

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
    /// The error code the page shows (see [`super::error::Code`]).
    fn code(self, step: StepName, same_origin: bool) -> &'static str {
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
    None,
    Basic,
    Bearer,
}

/// One entry of a registry error envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvelopeError {
    pub code: String,
    pub message: String,
    pub detail: Option<serde_json::Value>,
}

/// One step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub step: StepName,
    pub ok: bool,
    /// The URL the step's request went to (token: the realm, no query).
    pub url: String,
    pub status: Option<u16>,
    pub failure: Option<Failure>,
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
    pub ok: bool,
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
    pub steps: Vec<Step>,
}

enum Phase {
    Ping(Ping),
    Token {
        fetch: TokenFetch,
        realm: String,
    },
    Login,
    Upload {
        op: UploadProbe,
        post_url: Option<String>,
    },
    Done,
}

/// The probe machine; drive it like any [`Machine`].
pub struct Probe {
    repository: Repository,
    credentials: Credentials,
    phase: Phase,
    /// The registry's base URL the ping settled on.
    base: String,
    authorization: Option<String>,
    in_flight: Option<(RequestId, String)>,
    next_id: RequestId,
    report: Report,
}

impl Probe {
    pub fn new(repository: Repository, endpoint: Endpoint, credentials: Credentials) -> Probe {
        let ping = Ping::new(repository.registry().clone(), false);
        Probe {
            report: Report {
                ok: false,
                endpoint,
                scheme: None,
                challenge: None,
                credentials_given: !credentials.is_anonymous(),
                credentials_sent: false,
                upload_cancelled: false,
                steps: Vec::new(),
            },
            repository,
            credentials,
            phase: Phase::Ping(ping),
            base: String::new(),
            authorization: None,
            in_flight: None,
            next_id: 1,
        }
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    pub fn into_report(self) -> Report {
        self.report
    }

    fn ok(&mut self, step: StepName, url: &str, status: Option<u16>) {
        self.report.steps.push(Step {
            step,
            ok: true,
            url: url.to_string(),
            status,
            failure: None,
            code: None,
            errors: Vec::new(),
            body: String::new(),
            message: String::new(),
        });
    }

    fn fail(
        &mut self,
        step: StepName,
        url: &str,
        response: Option<&HttpResponse>,
        failure: Failure,
        message: String,
    ) {
        let (errors, body) = match response.map(|r| (parse_error_envelope(&r.body), r)) {
            Some((Some(errors), _)) => (
                errors
                    .into_iter()
                    .map(|e| EnvelopeError {
                        code: e.code,
                        message: e.message,
                        detail: e.detail,
                    })
                    .collect(),
                String::new(),
            ),
            Some((None, r)) => (Vec::new(), body_text(&r.body)),
            None => (Vec::new(), String::new()),
        };
        self.report.steps.push(Step {
            step,
            ok: false,
            url: url.to_string(),
            status: response.map(|r| r.status),
            failure: Some(failure),
            code: Some(failure.code(step, self.report.endpoint.same_origin)),
            errors,
            body,
            message,
        });
        self.phase = Phase::Done;
    }

    /// The request for the current phase (none in flight).
    fn request(&mut self) -> Option<HttpRequest> {
        let base = self.base.clone();
        let auth = self.authorization.clone();
        let with_auth = |mut req: HttpRequest| {
            // Credentials go to the registry's own origin only.
            if let Some(h) = &auth {
                if url_origin(&req.url).is_some() && url_origin(&req.url) == url_origin(&base) {
                    req.headers.push(("Authorization".into(), h.clone()));
                }
            }
            req
        };
        match &mut self.phase {
            Phase::Ping(p) => Some(p.poll_transmit()),
            Phase::Token { fetch, .. } => Some(fetch.poll_transmit()),
            Phase::Login => Some(with_auth(get(format!("{base}/v2/")))),
            Phase::Upload { op, post_url } => {
                let r = op.poll_transmit()?;
                let url = match r.target {
                    Target::Path(p) => format!("{base}{p}"),
                    Target::Url(u) => u,
                };
                if post_url.is_none() {
                    *post_url = Some(url.clone());
                }
                Some(with_auth(HttpRequest {
                    method: r.method,
                    url,
                    headers: r.headers,
                    body: r.body,
                    max_response_body: r.max_response_body,
                    sink: None,
                }))
            }
            Phase::Done => None,
        }
    }

    /// A request without an HTTP answer: CORS or network (the binding
    /// tells), or a refused preflight when it carried credentials.
    fn unsent(&self, sent_auth: bool) -> Failure {
        if sent_auth && !self.report.endpoint.same_origin {
            Failure::Preflight
        } else {
            Failure::Unreachable
        }
    }

    fn after_ping(&mut self, url: &str, result: Result<HttpResponse, TransportError>) {
        let Phase::Ping(ping) = &mut self.phase else {
            return;
        };
        let raw = result.clone();
        match ping.handle_response(result) {
            PingStep::Next => {}
            PingStep::Temporary(e) | PingStep::Failed(e) => {
                let (resp, failure) = match &raw {
                    Err(_) => (None, Failure::Unreachable),
                    Ok(r) if r.status == 404 => (Some(r), Failure::NotFound),
                    Ok(r) => (Some(r), Failure::Status),
                };
                self.fail(StepName::Ping, url, resp, failure, e.to_string());
            }
            PingStep::Done(found) => {
                let resp = raw.unwrap_or_default();
                self.base = found.base;
                let header = resp.header("www-authenticate").map(str::to_string);
                self.report.challenge = header.clone();
                let v2 = format!("{}/v2/", self.base);
                match found.challenge {
                    Challenge::None if resp.status == 401 => {
                        let (failure, message) = match header {
                            None => (
                                Failure::ChallengeHidden,
                                "401 without a WWW-Authenticate header".to_string(),
                            ),
                            Some(h) => (
                                Failure::UnsupportedScheme,
                                format!("unsupported WWW-Authenticate: {h}"),
                            ),
                        };
                        self.fail(StepName::Ping, url, Some(&resp), failure, message);
                    }
                    Challenge::None => {
                        self.report.scheme = Some(Scheme::None);
                        self.ok(StepName::Ping, url, Some(resp.status));
                        self.start_upload();
                    }
                    Challenge::Basic { .. } => {
                        self.report.scheme = Some(Scheme::Basic);
                        self.ok(StepName::Ping, url, Some(resp.status));
                        let header = match &self.credentials {
                            Credentials::RegistryToken(t) => Some(format!("Bearer {t}")),
                            c => c.basic_header(),
                        };
                        match header {
                            Some(h) => {
                                self.authorization = Some(h);
                                self.phase = Phase::Login;
                            }
                            None => self.login_required(&v2),
                        }
                    }
                    Challenge::Bearer { realm, service, .. } => {
                        self.report.scheme = Some(Scheme::Bearer);
                        self.ok(StepName::Ping, url, Some(resp.status));
                        match &self.credentials {
                            Credentials::Anonymous => self.login_required(&v2),
                            Credentials::RegistryToken(t) => {
                                self.authorization = Some(format!("Bearer {t}"));
                                self.phase = Phase::Login;
                            }
                            creds => {
                                let creds = creds.clone();
                                let realm =
                                    airlock_core::registry::http::resolve_location(&v2, &realm);
                                if !(realm.starts_with("https://") || realm.starts_with("http://"))
                                {
                                    return self.fail(
                                        StepName::Token,
                                        &realm,
                                        None,
                                        Failure::InvalidRealm,
                                        format!("the token realm '{realm}' is not an http(s) URL"),
                                    );
                                }
                                let scope = repository_scope(&self.repository, PUSH_ACTIONS);
                                let fetch = TokenFetch::new(
                                    self.repository.registry().to_string(),
                                    realm.clone(),
                                    service,
                                    vec![scope],
                                    creds,
                                );
                                self.phase = Phase::Token { fetch, realm };
                            }
                        }
                    }
                }
            }
        }
    }

    fn login_required(&mut self, v2: &str) {
        self.fail(
            StepName::Login,
            v2,
            None,
            Failure::LoginRequired,
            "the registry requires a login and no credentials were given".into(),
        );
    }

    fn start_upload(&mut self) {
        self.phase = Phase::Upload {
            op: UploadProbe::new(self.repository.clone()),
            post_url: None,
        };
    }

    fn after_token(&mut self, result: Result<HttpResponse, TransportError>) {
        let Phase::Token { fetch, realm } = &self.phase else {
            return;
        };
        let realm = realm.clone();
        let raw = result.clone();
        match fetch.handle_response(result) {
            TokenStep::Done(t) => {
                self.authorization = Some(format!("Bearer {}", t.token));
                self.ok(StepName::Token, &realm, Some(200));
                self.phase = Phase::Login;
            }
            TokenStep::Temporary(e) | TokenStep::Failed(e) => {
                let (resp, failure) = match &raw {
                    Err(_) => (None, Failure::Unreachable),
                    Ok(r) if matches!(r.status, 401 | 403) => (Some(r), Failure::Denied),
                    Ok(r) if r.status == 200 => (Some(r), Failure::BadToken),
                    Ok(r) => (Some(r), Failure::Status),
                };
                self.fail(StepName::Token, &realm, resp, failure, e.to_string());
            }
        }
    }

    fn after_login(&mut self, url: &str, result: Result<HttpResponse, TransportError>) {
        match result {
            Err(e) => {
                let failure = self.unsent(true);
                let message = RegistryError::transport(Method::Get, url, e).to_string();
                self.fail(StepName::Login, url, None, failure, message);
            }
            Ok(r) if r.is_success() => {
                self.report.credentials_sent = true;
                self.ok(StepName::Login, url, Some(r.status));
                self.start_upload();
            }
            Ok(r) => {
                self.report.credentials_sent = true;
                let failure = if matches!(r.status, 401 | 403) {
                    Failure::Denied
                } else {
                    Failure::Status
                };
                let message = RegistryError::from_response(Method::Get, url, &r).to_string();
                self.fail(StepName::Login, url, Some(&r), failure, message);
            }
        }
    }

    fn after_upload(&mut self, url: &str, result: Result<HttpResponse, TransportError>) {
        let Phase::Upload { op, post_url } = &mut self.phase else {
            return;
        };
        let post_url = post_url.clone().unwrap_or_else(|| url.to_string());
        let raw = result.clone();
        op.handle_response(url, result);
        let Some(out) = op.poll_output() else {
            return; // the DELETE comes next
        };
        let sent_auth = self.authorization.is_some();
        match out {
            Ok(OpOutput::UploadProbe(UploadProbeOutcome::Started { cancelled, .. })) => {
                self.report.upload_cancelled = cancelled;
                self.ok(StepName::Upload, &post_url, Some(202));
                self.report.ok = true;
                self.phase = Phase::Done;
            }
            Ok(OpOutput::UploadProbe(UploadProbeOutcome::NoLocation)) => {
                let resp = raw.ok();
                self.fail(
                    StepName::Upload,
                    &post_url,
                    resp.as_ref(),
                    Failure::NoLocation,
                    "the upload answer has no visible Location header".into(),
                );
            }
            Ok(other) => self.fail(
                StepName::Upload,
                &post_url,
                None,
                Failure::Status,
                format!("unexpected upload probe result {other:?}"),
            ),
            Err(e) => {
                // Only the POST can fail: any answer to the DELETE is a result.
                let (resp, failure) = match &raw {
                    Err(_) => (None, self.unsent(sent_auth)),
                    Ok(r) if matches!(r.status, 401 | 403) => (Some(r), Failure::Denied),
                    Ok(r) => (Some(r), Failure::Status),
                };
                self.fail(StepName::Upload, &post_url, resp, failure, e.to_string());
            }
        }
    }
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url,
        headers: Vec::new(),
        body: RequestBody::Empty,
        max_response_body: MAX_SMALL_BODY,
        sink: None,
    }
}

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_BODY_TEXT) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

impl Machine for Probe {
    fn poll_transmit(&mut self, _now_ms: u64) -> Option<Transmit> {
        if self.in_flight.is_some() {
            return None;
        }
        let request = self.request()?;
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight = Some((id, request.url.clone()));
        Some(Transmit { id, request })
    }

    fn handle_response(
        &mut self,
        id: RequestId,
        _now_ms: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        let Some((expected, url)) = self.in_flight.take() else {
            return;
        };
        if expected != id {
            self.in_flight = Some((expected, url));
            return;
        }
        match &self.phase {
            Phase::Ping(_) => self.after_ping(&url, result),
            Phase::Token { .. } => self.after_token(result),
            Phase::Login => self.after_login(&url, result),
            Phase::Upload { .. } => self.after_upload(&url, result),
            Phase::Done => {}
        }
    }

    fn poll_timeout(&self) -> Option<u64> {
        None
    }

    fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done) && self.in_flight.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::registry::TransportErrorKind;
    use wasm_bindgen_test::*;

    type Answer = Result<HttpResponse, TransportError>;

    fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(HttpResponse::new(status, headers, body.to_vec()))
    }

    fn refused() -> Answer {
        Err(TransportError::new(TransportErrorKind::Connect, "blocked"))
    }

    fn probe(repository: &str, page: &str, credentials: Credentials) -> Probe {
        let endpoint = super::super::endpoint::resolve(repository, page).unwrap();
        Probe::new(
            Repository::parse(repository).unwrap(),
            endpoint,
            credentials,
        )
    }

    /// Answers the probe's requests in order; returns what it sent.
    fn run(p: &mut Probe, script: Vec<(Method, &str, Answer)>) -> Vec<HttpRequest> {
        let mut sent = Vec::new();
        let mut script = script.into_iter();
        while let Some(t) = p.poll_transmit(0) {
            let (method, url, answer) = script
                .next()
                .unwrap_or_else(|| panic!("unexpected {} {}", t.request.method, t.request.url));
            assert_eq!(t.request.method, method, "{}", t.request.url);
            assert!(t.request.url.contains(url), "{} lacks {url}", t.request.url);
            sent.push(t.request.clone());
            p.handle_response(t.id, 0, answer);
        }
        assert!(p.is_finished());
        assert!(script.next().is_none(), "expected requests left");
        sent
    }

    fn last(p: &Probe) -> &Step {
        p.report().steps.last().unwrap()
    }

    #[wasm_bindgen_test]
    fn basic_login_then_an_upload_started_and_cancelled() {
        let mut p = probe(
            "reg.example/dst/x",
            "http://127.0.0.1:8080",
            Credentials::basic("u", "p"),
        );
        let sent = run(
            &mut p,
            vec![
                (
                    Method::Get,
                    "https://reg.example/v2/",
                    answer(401, &[("WWW-Authenticate", r#"Basic realm="r""#)], b""),
                ),
                (
                    Method::Get,
                    "https://reg.example/v2/",
                    answer(200, &[], b"{}"),
                ),
                (
                    Method::Post,
                    "https://reg.example/v2/dst/x/blobs/uploads/",
                    answer(202, &[("Location", "/v2/dst/x/blobs/uploads/u1")], b""),
                ),
                (
                    Method::Delete,
                    "https://reg.example/v2/dst/x/blobs/uploads/u1",
                    answer(204, &[], b""),
                ),
            ],
        );
        let r = p.report();
        assert!(r.ok);
        assert_eq!(r.scheme, Some(Scheme::Basic));
        assert!(r.credentials_sent && r.upload_cancelled);
        let names: Vec<StepName> = r.steps.iter().map(|s| s.step).collect();
        assert_eq!(names, [StepName::Ping, StepName::Login, StepName::Upload]);
        assert_eq!(sent[0].header("authorization"), None);
        for s in &sent[1..] {
            assert_eq!(s.header("authorization"), Some("Basic dTpw"), "{}", s.url);
        }
    }

    #[wasm_bindgen_test]
    fn several_challenges_in_one_header_use_the_token_flow() {
        let mut p = probe(
            "reg.example/dst/x",
            "http://127.0.0.1:8080",
            Credentials::basic("u", "p"),
        );
        let denied = br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
        let sent = run(
            &mut p,
            vec![
                (Method::Get, "/v2/", answer(401, &[("WWW-Authenticate", r#"Basic realm="x", Bearer realm="https://auth.example/token",service="reg""#)], b"")),
                (Method::Get, "https://auth.example/token?service=reg&scope=repository%3Adst%2Fx%3Apull%2Cpush", answer(200, &[], br#"{"token":"tk"}"#)),
                (Method::Get, "https://reg.example/v2/", answer(200, &[], b"")),
                (Method::Post, "/blobs/uploads/", answer(403, &[], denied)),
            ],
        );
        assert_eq!(sent[1].header("authorization"), Some("Basic dTpw"));
        assert_eq!(sent[2].header("authorization"), Some("Bearer tk"));
        assert_eq!(sent[3].header("authorization"), Some("Bearer tk"));
        let r = p.report();
        assert!(!r.ok);
        assert_eq!(r.scheme, Some(Scheme::Bearer));
        assert_eq!(r.steps[1].step, StepName::Token);
        assert_eq!(r.steps[1].url, "https://auth.example/token");
        let s = last(&p);
        assert_eq!(
            (s.step, s.failure, s.code, s.status),
            (
                StepName::Upload,
                Some(Failure::Denied),
                Some("E_AUTH"),
                Some(403)
            )
        );
        assert_eq!(s.errors[0].code, "DENIED");
        assert_eq!(
            s.errors[0].message,
            "requested access to the resource is denied"
        );
    }

    #[wasm_bindgen_test]
    fn anonymous_against_a_login_sends_nothing_more() {
        let mut p = probe(
            "reg.example/dst/x",
            "http://127.0.0.1:8080",
            Credentials::Anonymous,
        );
        run(
            &mut p,
            vec![(
                Method::Get,
                "/v2/",
                answer(
                    401,
                    &[("WWW-Authenticate", r#"Bearer realm="/token""#)],
                    b"",
                ),
            )],
        );
        let s = last(&p);
        assert_eq!(
            (s.step, s.failure, s.code),
            (
                StepName::Login,
                Some(Failure::LoginRequired),
                Some("E_AUTH")
            )
        );
        assert!(!p.report().credentials_sent);
    }

    #[wasm_bindgen_test]
    fn a_hidden_challenge_is_cors_only_across_origins() {
        for (page, code) in [
            ("http://127.0.0.1:8080", "E_CORS"),
            ("https://reg.example", "E_REGISTRY"),
        ] {
            let mut p = probe("reg.example/dst/x", page, Credentials::basic("u", "p"));
            run(&mut p, vec![(Method::Get, "/v2/", answer(401, &[], b""))]);
            let s = last(&p);
            assert_eq!(
                (s.failure, s.code),
                (Some(Failure::ChallengeHidden), Some(code)),
                "{page}"
            );
        }
    }

    #[wasm_bindgen_test]
    fn unanswered_requests_are_unreachable_or_a_refused_preflight() {
        let mut p = probe(
            "127.0.0.1:5000/dst/x",
            "http://127.0.0.1:8080",
            Credentials::Anonymous,
        );
        run(
            &mut p,
            vec![
                (Method::Get, "https://127.0.0.1:5000/v2/", refused()),
                (Method::Get, "http://127.0.0.1:5000/v2/", refused()),
            ],
        );
        let s = last(&p);
        assert_eq!(
            (s.step, s.failure, s.code),
            (
                StepName::Ping,
                Some(Failure::Unreachable),
                Some("E_NETWORK")
            )
        );
        assert_eq!(s.url, "http://127.0.0.1:5000/v2/");

        let mut p = probe(
            "127.0.0.1:5000/dst/x",
            "http://127.0.0.1:8080",
            Credentials::basic("u", "p"),
        );
        run(
            &mut p,
            vec![
                (Method::Get, "https://127.0.0.1:5000/v2/", refused()),
                (
                    Method::Get,
                    "http://127.0.0.1:5000/v2/",
                    answer(401, &[("WWW-Authenticate", r#"Basic realm="r""#)], b""),
                ),
                (Method::Get, "http://127.0.0.1:5000/v2/", refused()),
            ],
        );
        let s = last(&p);
        assert_eq!(
            (s.step, s.failure, s.code),
            (StepName::Login, Some(Failure::Preflight), Some("E_CORS"))
        );
    }

    #[wasm_bindgen_test]
    fn token_service_refusals_and_bad_answers() {
        let challenge = [(
            "WWW-Authenticate",
            r#"Bearer realm="https://auth.example/token""#,
        )];
        for (status, body, failure, code) in [
            (401, &b""[..], Failure::Denied, "E_AUTH"),
            (200, &b"{}"[..], Failure::BadToken, "E_REGISTRY"),
            (
                500,
                &br#"{"errors":[{"code":"UNKNOWN","message":"boom"}]}"#[..],
                Failure::Status,
                "E_REGISTRY",
            ),
        ] {
            let mut p = probe(
                "reg.example/dst/x",
                "http://127.0.0.1:8080",
                Credentials::basic("u", "p"),
            );
            run(
                &mut p,
                vec![
                    (Method::Get, "/v2/", answer(401, &challenge, b"")),
                    (
                        Method::Get,
                        "https://auth.example/token?",
                        answer(status, &[], body),
                    ),
                ],
            );
            let s = last(&p);
            assert_eq!(
                (s.step, s.failure, s.code, s.status),
                (StepName::Token, Some(failure), Some(code), Some(status))
            );
            assert!(
                !s.message.contains("dTpw") && !s.message.contains(":p"),
                "{}",
                s.message
            );
        }
    }

    #[wasm_bindgen_test]
    fn an_upload_without_a_visible_location_is_cors() {
        let mut p = probe(
            "reg.example/dst/x",
            "https://reg.example",
            Credentials::Anonymous,
        );
        run(
            &mut p,
            vec![
                (Method::Get, "/v2/", answer(200, &[], b"")),
                (Method::Post, "/blobs/uploads/", answer(202, &[], b"")),
            ],
        );
        let s = last(&p);
        assert_eq!(
            (s.step, s.failure, s.code),
            (StepName::Upload, Some(Failure::NoLocation), Some("E_CORS"))
        );
        assert_eq!(p.report().scheme, Some(Scheme::None));
    }
}
