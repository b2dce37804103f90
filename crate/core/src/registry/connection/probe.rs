//! The [`Probe`] machine (see the [module doc](super)).

use crate::reference::Repository;

use super::super::auth::{repository_scope, Challenge, PUSH_ACTIONS};
use super::super::error::parse_error_envelope;
use super::super::http::{resolve_location, url_origin, HttpRequest, RequestBody};
use super::super::op::{OpOutput, Operation, Target, UploadProbeOutcome, MAX_SMALL_BODY};
use super::super::ping::{Ping, PingStep};
use super::super::token::{TokenFetch, TokenStep};
use super::super::upload_probe::UploadProbe;
use super::super::{
    Credentials, HttpResponse, HttpResult, Machine, Method, RegistryError, RequestId, Transmit,
};
use super::{Endpoint, EnvelopeError, Failure, Report, Scheme, Step, StepName, MAX_BODY_TEXT};

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
    /// Probes `repository` at `endpoint` with `credentials` (anonymous:
    /// the probe only checks that none are needed).
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

    /// What was found so far (all of it once finished).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The finished report.
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

    fn after_ping(&mut self, url: &str, result: HttpResult) {
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
                                let realm = resolve_location(&v2, &realm);
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

    fn after_token(&mut self, result: HttpResult) {
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

    fn after_login(&mut self, url: &str, result: HttpResult) {
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

    fn after_upload(&mut self, url: &str, result: HttpResult) {
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

    fn handle_response(&mut self, id: RequestId, _now_ms: u64, result: HttpResult) {
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
