//! One call's life: prepare its request (auth, URL), send it, and react to
//! the answer (re-auth, redirect, retry, or hand it to the operation).

use crate::plan::BlobSource;

use super::super::auth::{parse_www_authenticate, repository_scope, Challenge, PULL_ACTIONS};
use super::super::error::RegistryError;
use super::super::http::{
    is_retryable_status, resolve_location, url_origin, HttpRequest, HttpResult, Method, RequestBody,
};
use super::super::op::{blob_path, OpOutput, OpRequest, RetryMode, Target};
use super::{
    Auth, Call, CallId, Client, ClientEvent, Owner, Phase, RegistryEntry, Transmit, MAX_REDIRECTS,
};
impl Client {
    pub(super) fn complete(&mut self, id: CallId, result: Result<OpOutput, RegistryError>) {
        self.events
            .push_back(ClientEvent::Completed { call: id, result });
    }

    /// Moves a call forward; returns a transmit when it sends a request.
    pub(super) fn advance(&mut self, id: CallId, now: u64) -> Option<Transmit> {
        let mut call = self.calls.remove(&id)?;
        match call.phase {
            Phase::InFlight(_) => {
                self.calls.insert(id, call);
                return None;
            }
            Phase::Sleeping(t) if now < t => {
                self.calls.insert(id, call);
                return None;
            }
            _ => call.phase = Phase::Ready,
        }
        if call.current.is_none() && !self.take_next_request(id, &mut call) {
            return None;
        }
        match self.prepare(&mut call, now) {
            Ok(Some(request)) => {
                let rid = self.next_request;
                self.next_request += 1;
                self.owners.insert(rid, Owner::Call(id));
                self.stats.requests += 1;
                call.phase = Phase::InFlight(rid);
                call.tries += 1;
                call.url = request.url.clone();
                self.calls.insert(id, call);
                Some(Transmit { id: rid, request })
            }
            Ok(None) => {
                self.calls.insert(id, call);
                None
            }
            Err(e) => {
                self.complete(id, Err(e));
                None
            }
        }
    }

    pub(super) fn set_request(&self, call: &mut Call, r: OpRequest) {
        call.current = Some(r);
        call.tries = 0;
        call.auth_retries = 0;
        call.redirects = 0;
    }

    /// Builds the HTTP request for the call's current request, or `None`
    /// while waiting for a ping or a token.
    pub(super) fn prepare(
        &mut self,
        call: &mut Call,
        now: u64,
    ) -> Result<Option<HttpRequest>, RegistryError> {
        let Some(ping) = self.registry_ready(call.repository.registry())? else {
            return Ok(None);
        };
        let repository = call.repository.clone();
        let scopes = call.scopes.clone();
        let (auth, key) = match self.authorization(&repository, &scopes, &ping.challenge, now)? {
            Auth::Wait => return Ok(None),
            Auth::Header(h, k) => (h, k),
        };
        let req = call.current.clone().expect("prepare without a request");
        let mut body = req.body.clone();
        if let RequestBody::Blob(blob) = &mut body {
            if let (BlobSource::Registry { repository: src }, None) = (&blob.source, &blob.fetch) {
                let src = src.clone();
                let Some(src_ping) = self.registry_ready(src.registry())? else {
                    return Ok(None);
                };
                let src_scopes = vec![repository_scope(&src, PULL_ACTIONS)];
                let src_auth =
                    match self.authorization(&src, &src_scopes, &src_ping.challenge, now)? {
                        Auth::Wait => return Ok(None),
                        Auth::Header(h, _) => h,
                    };
                let mut headers = vec![("User-Agent".to_string(), self.config.user_agent.clone())];
                if let Some(h) = src_auth {
                    headers.push(("Authorization".into(), h));
                }
                blob.fetch = Some(Box::new(HttpRequest {
                    method: Method::Get,
                    url: format!("{}{}", src_ping.base, blob_path(&src, &blob.digest)),
                    headers,
                    body: RequestBody::Empty,
                    max_response_body: u64::MAX,
                    sink: None,
                }));
            }
        }
        let url = match &req.target {
            Target::Path(p) => format!("{}{}", ping.base, p),
            Target::Url(u) => u.clone(),
        };
        let mut headers = req.headers.clone();
        headers.push(("User-Agent".into(), self.config.user_agent.clone()));
        headers.extend(self.config.extra_headers.iter().cloned());
        // Credentials go to the registry's own origin only.
        if let Some(h) = auth {
            if url_origin(&url).is_some() && url_origin(&url) == url_origin(&ping.base) {
                headers.push(("Authorization".into(), h));
            }
        }
        call.used_token = key;
        Ok(Some(HttpRequest {
            method: req.method,
            url,
            headers,
            body,
            max_response_body: req.max_response_body,
            sink: req.sink.clone(),
        }))
    }

    pub(super) fn handle_call_response(
        &mut self,
        id: CallId,
        mut call: Call,
        now: u64,
        result: HttpResult,
    ) -> Option<Call> {
        let policy = self.config.retry;
        let req = call.current.clone()?;
        call.phase = Phase::Ready;
        if let Ok(resp) = &result {
            // Authentication refresh.
            if resp.status == 401 && call.auth_retries == 0 {
                let new = parse_www_authenticate(resp.header_all("www-authenticate"));
                let registry = call.repository.registry().clone();
                let mut changed = false;
                if let (Some(new), Some(RegistryEntry::Ready(p))) =
                    (new, self.registries.get_mut(&registry))
                {
                    if let Challenge::Bearer {
                        scope: Some(scope), ..
                    } = &new
                    {
                        for s in scope.split(' ') {
                            if !s.is_empty() && !call.scopes.iter().any(|c| c == s) {
                                call.scopes.push(s.to_string());
                                changed = true;
                            }
                        }
                    }
                    let strip = |c: &Challenge| match c {
                        Challenge::Bearer { realm, service, .. } => Challenge::Bearer {
                            realm: realm.clone(),
                            service: service.clone(),
                            scope: None,
                        },
                        other => other.clone(),
                    };
                    if strip(&p.challenge) != strip(&new) {
                        p.challenge = strip(&new);
                        changed = true;
                    }
                }
                if let Some(key) = call.used_token.take() {
                    self.tokens.remove(&key);
                    changed = true;
                }
                if changed {
                    call.auth_retries += 1;
                    return Some(call);
                }
            }
            // Redirects.
            if matches!(resp.status, 301 | 302 | 303 | 307 | 308)
                && req.follow_redirects
                && call.redirects < MAX_REDIRECTS
            {
                if let Some(loc) = resp.header("location") {
                    let next = resolve_location(&call.url, loc);
                    if let Some(cur) = call.current.as_mut() {
                        cur.target = Target::Url(next);
                    }
                    call.redirects += 1;
                    return Some(call);
                }
            }
        }
        // Retries.
        let delay = match &result {
            Ok(resp) if is_retryable_status(resp.status) => {
                Some(policy.delay_after_response(call.tries.max(1), resp))
            }
            Err(e) if e.is_temporary() => Some(policy.backoff_ms(call.tries.max(1))),
            _ => None,
        };
        if let Some(delay) = delay {
            let attempts = match req.retry {
                RetryMode::Resend => call.tries,
                RetryMode::Restart => call.restarts + 1,
            };
            if policy.may_retry(attempts) {
                self.stats.retries += 1;
                if req.retry == RetryMode::Restart {
                    call.restarts += 1;
                    call.op.restart();
                    call.current = None;
                }
                call.phase = Phase::Sleeping(now + delay);
                return Some(call);
            }
        }
        // Hand the answer to the operation.
        let url = call.url.clone();
        call.op.handle_response(&url, result);
        call.current = None;
        self.take_next_request(id, &mut call).then_some(call)
    }

    /// Sets the operation's next request on the call; when it has none,
    /// completes the call with the operation's output instead. Whether
    /// there is a request.
    fn take_next_request(&mut self, id: CallId, call: &mut Call) -> bool {
        match call.op.poll_transmit() {
            Some(r) => {
                self.set_request(call, r);
                true
            }
            None => {
                let out = call
                    .op
                    .poll_output()
                    .unwrap_or_else(|| Err(RegistryError::NoResult { what: "operation" }));
                self.complete(id, out);
                false
            }
        }
    }
}
