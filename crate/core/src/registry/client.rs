//! The client: runs [`Operation`]s against registries, adding what ggcr's
//! transport decorators add (ping and scheme choice, Basic and bearer
//! authentication with a token cache, retries with backoff, redirects), as a
//! sans-IO machine driven by a transport.
//!
//! ```text
//!            start(op) ─┐
//!                        ▼
//!   ┌──────────── call: Ready ─────────────┐
//!   │ registry unknown → ping (GET /v2/)   │ wait
//!   │ bearer challenge → token (GET realm) │ wait
//!   ▼                                      │
//!  InFlight ──response──┬─ 401 (token used / new challenge) → forget token, resend
//!                       ├─ 3xx (GET/HEAD) → follow Location (auth only on the same origin)
//!                       ├─ 5xx/429/408 or connection error → Sleeping(retry at T) → Ready
//!                       └─ else → op.handle_response → next request or Completed
//! ```
//!
//! Driving it (see [`Machine`](super::Machine)):
//! `poll_transmit(now)` until `None`, perform each [`Transmit`] and report it
//! with `handle_response(id, now, result)`, wake up at `poll_timeout()`, and
//! collect [`ClientEvent`]s with `poll_event()`. `now` is milliseconds on any
//! monotonic clock the driver likes.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::plan::BlobSource;
use crate::reference::{Registry, Repository};

use super::auth::{
    parse_www_authenticate, repository_scope, AuthError, Challenge, Credentials, Keychain,
    PULL_ACTIONS,
};
use super::error::RegistryError;
use super::http::is_retryable_status;
use super::http::{
    resolve_location, url_origin, HttpRequest, HttpResponse, Method, RequestBody, TransportError,
};
use super::op::{blob_path, OpOutput, OpRequest, Operation, RetryMode, Target};
use super::ping::{Ping, PingResult, PingStep};
use super::retry::RetryPolicy;
use super::token::{TokenFetch, TokenStep};

/// Identifies a started operation.
pub type CallId = u64;
/// Identifies one HTTP request handed to the transport.
pub type RequestId = u64;

/// A request for the transport, with the id to report its result under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub id: RequestId,
    pub request: HttpRequest,
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// An operation finished.
    Completed {
        call: CallId,
        result: Result<OpOutput, RegistryError>,
    },
    /// The transport sent this many body bytes of a call's current request
    /// (cumulative for that request).
    Progress { call: CallId, bytes_sent: u64 },
}

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub retry: RetryPolicy,
    /// Allow plain HTTP for every registry (`--registry-insecure`).
    pub insecure: bool,
    pub user_agent: String,
    /// Added to every registry request (not to token requests).
    pub extra_headers: Vec<(String, String)>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retry: RetryPolicy::default(),
            insecure: false,
            user_agent: concat!("airlock/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_headers: Vec::new(),
        }
    }
}

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Every request handed to the transport (pings and tokens included).
    pub requests: u64,
    pub retries: u64,
    pub token_fetches: u64,
}

type TokenKey = (String, String);

enum RegistryEntry {
    Pinging {
        ping: Ping,
        tries: u32,
        sleeping_until: Option<u64>,
    },
    Ready(PingResult),
    Failed(RegistryError),
}

enum TokenEntry {
    Fetching {
        fetch: TokenFetch,
        tries: u32,
        sleeping_until: Option<u64>,
    },
    Ready {
        header: String,
        expires_at: u64,
    },
    Failed(RegistryError),
}

enum Owner {
    Call(CallId),
    Ping(Registry),
    Token(TokenKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ready,
    Sleeping(u64),
    InFlight(RequestId),
}

struct Call {
    op: Box<dyn Operation>,
    repository: Repository,
    scopes: Vec<String>,
    current: Option<OpRequest>,
    url: String,
    phase: Phase,
    tries: u32,
    restarts: u32,
    auth_retries: u32,
    redirects: u32,
    used_token: Option<TokenKey>,
}

enum Auth {
    Header(Option<String>, Option<TokenKey>),
    Wait,
}

const MAX_REDIRECTS: u32 = 10;

/// The sans-IO registry client (see the module doc).
pub struct Client {
    config: ClientConfig,
    keychain: Box<dyn Keychain>,
    credentials: HashMap<Repository, Result<Credentials, AuthError>>,
    registries: HashMap<Registry, RegistryEntry>,
    tokens: HashMap<TokenKey, TokenEntry>,
    calls: BTreeMap<CallId, Call>,
    owners: HashMap<RequestId, Owner>,
    outbox: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
    next_call: CallId,
    next_request: RequestId,
    stats: ClientStats,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("calls", &self.calls.len())
            .field("in_flight", &self.owners.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Client {
    pub fn new(config: ClientConfig, keychain: Box<dyn Keychain>) -> Client {
        Client {
            config,
            keychain,
            credentials: HashMap::new(),
            registries: HashMap::new(),
            tokens: HashMap::new(),
            calls: BTreeMap::new(),
            owners: HashMap::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            next_call: 1,
            next_request: 1,
            stats: ClientStats::default(),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// Starts an operation; its result arrives as [`ClientEvent::Completed`].
    pub fn start(&mut self, op: impl Operation + 'static) -> CallId {
        self.start_boxed(Box::new(op))
    }

    pub fn start_boxed(&mut self, op: Box<dyn Operation>) -> CallId {
        let id = self.next_call;
        self.next_call += 1;
        let call = Call {
            repository: op.repository().clone(),
            scopes: op.scopes(),
            op,
            current: None,
            url: String::new(),
            phase: Phase::Ready,
            tries: 0,
            restarts: 0,
            auth_retries: 0,
            redirects: 0,
            used_token: None,
        };
        self.calls.insert(id, call);
        id
    }

    /// Operations started and not yet completed.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Requests handed out and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.owners.len()
    }

    /// Drops every operation (their results are never reported) and ignores
    /// answers to requests already sent.
    pub fn abort_all(&mut self) {
        self.calls.clear();
        self.outbox.clear();
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The earliest time (ms) a sleeping retry becomes due.
    pub fn poll_timeout(&self) -> Option<u64> {
        let calls = self.calls.values().filter_map(|c| match c.phase {
            Phase::Sleeping(t) => Some(t),
            _ => None,
        });
        let pings = self.registries.values().filter_map(|r| match r {
            RegistryEntry::Pinging { sleeping_until, .. } => *sleeping_until,
            _ => None,
        });
        let tokens = self.tokens.values().filter_map(|t| match t {
            TokenEntry::Fetching { sleeping_until, .. } => *sleeping_until,
            _ => None,
        });
        calls.chain(pings).chain(tokens).min()
    }

    /// The next request to perform, if any is ready at `now`.
    pub fn poll_transmit(&mut self, now: u64) -> Option<Transmit> {
        if let Some(t) = self.outbox.pop_front() {
            return Some(t);
        }
        self.wake_internal(now);
        if let Some(t) = self.outbox.pop_front() {
            return Some(t);
        }
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            if let Some(t) = self.advance(id, now) {
                return Some(t);
            }
            if let Some(t) = self.outbox.pop_front() {
                return Some(t);
            }
        }
        None
    }

    /// Body bytes sent so far for request `id`.
    pub fn handle_progress(&mut self, id: RequestId, bytes_sent: u64) {
        if let Some(Owner::Call(call)) = self.owners.get(&id) {
            self.events.push_back(ClientEvent::Progress {
                call: *call,
                bytes_sent,
            });
        }
    }

    /// The result of request `id`.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        now: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        match self.owners.remove(&id) {
            None => {}
            Some(Owner::Ping(registry)) => self.handle_ping(registry, now, result),
            Some(Owner::Token(key)) => self.handle_token(key, now, result),
            Some(Owner::Call(cid)) => {
                if let Some(call) = self.calls.remove(&cid) {
                    if let Some(call) = self.handle_call_response(cid, call, now, result) {
                        self.calls.insert(cid, call);
                    }
                }
            }
        }
    }

    fn push_transmit(&mut self, owner: Owner, mut request: HttpRequest) -> RequestId {
        if request.header("user-agent").is_none() {
            request
                .headers
                .push(("User-Agent".into(), self.config.user_agent.clone()));
        }
        let id = self.next_request;
        self.next_request += 1;
        self.owners.insert(id, owner);
        self.stats.requests += 1;
        self.outbox.push_back(Transmit { id, request });
        id
    }

    fn wake_internal(&mut self, now: u64) {
        let mut to_send = Vec::new();
        for (reg, entry) in self.registries.iter_mut() {
            if let RegistryEntry::Pinging {
                ping,
                sleeping_until,
                ..
            } = entry
            {
                if matches!(sleeping_until, Some(t) if *t <= now) {
                    *sleeping_until = None;
                    to_send.push((Owner::Ping(reg.clone()), ping.poll_transmit()));
                }
            }
        }
        for (key, entry) in self.tokens.iter_mut() {
            if let TokenEntry::Fetching {
                fetch,
                sleeping_until,
                ..
            } = entry
            {
                if matches!(sleeping_until, Some(t) if *t <= now) {
                    *sleeping_until = None;
                    to_send.push((Owner::Token(key.clone()), fetch.poll_transmit()));
                }
            }
        }
        for (owner, req) in to_send {
            if matches!(owner, Owner::Token(_)) {
                self.stats.token_fetches += 1;
            }
            self.push_transmit(owner, req);
        }
    }

    fn handle_ping(
        &mut self,
        registry: Registry,
        now: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        let policy = self.config.retry;
        let Some(RegistryEntry::Pinging { ping, tries, .. }) = self.registries.get_mut(&registry)
        else {
            return;
        };
        match ping.handle_response(result) {
            PingStep::Done(r) => {
                self.registries.insert(registry, RegistryEntry::Ready(r));
            }
            PingStep::Next => {
                let req = ping.poll_transmit();
                self.push_transmit(Owner::Ping(registry), req);
            }
            PingStep::Temporary(e) => {
                *tries += 1;
                if policy.may_retry(*tries) {
                    ping.reset();
                    let t = *tries;
                    self.stats.retries += 1;
                    if let Some(RegistryEntry::Pinging { sleeping_until, .. }) =
                        self.registries.get_mut(&registry)
                    {
                        *sleeping_until = Some(now + policy.backoff_ms(t));
                    }
                } else {
                    self.registries.insert(registry, RegistryEntry::Failed(e));
                }
            }
            PingStep::Failed(e) => {
                self.registries.insert(registry, RegistryEntry::Failed(e));
            }
        }
    }

    fn handle_token(
        &mut self,
        key: TokenKey,
        now: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        let policy = self.config.retry;
        let Some(TokenEntry::Fetching { fetch, tries, .. }) = self.tokens.get_mut(&key) else {
            return;
        };
        match fetch.handle_response(result) {
            TokenStep::Done(t) => {
                let lifetime = t.expires_in.saturating_mul(1000);
                let margin = (lifetime / 10).min(30_000);
                self.tokens.insert(
                    key,
                    TokenEntry::Ready {
                        header: format!("Bearer {}", t.token),
                        expires_at: now + lifetime - margin,
                    },
                );
            }
            TokenStep::Temporary(e) => {
                *tries += 1;
                if policy.may_retry(*tries) {
                    let t = *tries;
                    self.stats.retries += 1;
                    if let Some(TokenEntry::Fetching { sleeping_until, .. }) =
                        self.tokens.get_mut(&key)
                    {
                        *sleeping_until = Some(now + policy.backoff_ms(t));
                    }
                } else {
                    self.tokens.insert(key, TokenEntry::Failed(e));
                }
            }
            TokenStep::Failed(e) => {
                self.tokens.insert(key, TokenEntry::Failed(e));
            }
        }
    }

    fn credentials_for(&mut self, repository: &Repository) -> Result<Credentials, RegistryError> {
        if !self.credentials.contains_key(repository) {
            let c = self.keychain.resolve(repository);
            self.credentials.insert(repository.clone(), c);
        }
        match &self.credentials[repository] {
            Ok(c) => Ok(c.clone()),
            Err(e) => Err(RegistryError::Credentials {
                registry: repository.registry().to_string(),
                source: Box::new(e.clone()),
            }),
        }
    }

    /// The registry's ping result, starting the ping if needed.
    fn registry_ready(&mut self, registry: &Registry) -> Result<Option<PingResult>, RegistryError> {
        match self.registries.get(registry) {
            Some(RegistryEntry::Ready(p)) => Ok(Some(p.clone())),
            Some(RegistryEntry::Failed(e)) => Err(e.clone()),
            Some(RegistryEntry::Pinging { .. }) => Ok(None),
            None => {
                let ping = Ping::new(registry.clone(), self.config.insecure);
                let req = ping.poll_transmit();
                self.registries.insert(
                    registry.clone(),
                    RegistryEntry::Pinging {
                        ping,
                        tries: 0,
                        sleeping_until: None,
                    },
                );
                self.push_transmit(Owner::Ping(registry.clone()), req);
                Ok(None)
            }
        }
    }

    fn authorization(
        &mut self,
        repository: &Repository,
        scopes: &[String],
        challenge: &Challenge,
        now: u64,
    ) -> Result<Auth, RegistryError> {
        let creds = self.credentials_for(repository)?;
        if let Credentials::RegistryToken(t) = &creds {
            return Ok(Auth::Header(Some(format!("Bearer {t}")), None));
        }
        match challenge {
            Challenge::None => Ok(Auth::Header(None, None)),
            Challenge::Basic { .. } => Ok(Auth::Header(creds.basic_header(), None)),
            Challenge::Bearer { realm, service, .. } => {
                let mut sorted: Vec<String> = scopes.to_vec();
                sorted.sort();
                sorted.dedup();
                let key = (repository.registry().to_string(), sorted.join(" "));
                match self.tokens.get(&key) {
                    Some(TokenEntry::Ready { header, expires_at }) if now < *expires_at => {
                        Ok(Auth::Header(Some(header.clone()), Some(key)))
                    }
                    Some(TokenEntry::Fetching { .. }) => Ok(Auth::Wait),
                    Some(TokenEntry::Failed(e)) => Err(e.clone()),
                    _ => {
                        let fetch = TokenFetch::new(
                            repository.registry().to_string(),
                            realm.clone(),
                            service.clone(),
                            scopes.to_vec(),
                            creds,
                        );
                        let req = fetch.poll_transmit();
                        self.tokens.insert(
                            key.clone(),
                            TokenEntry::Fetching {
                                fetch,
                                tries: 0,
                                sleeping_until: None,
                            },
                        );
                        self.stats.token_fetches += 1;
                        self.push_transmit(Owner::Token(key), req);
                        Ok(Auth::Wait)
                    }
                }
            }
        }
    }

    fn complete(&mut self, id: CallId, result: Result<OpOutput, RegistryError>) {
        self.events
            .push_back(ClientEvent::Completed { call: id, result });
    }

    /// Moves a call forward; returns a transmit when it sends a request.
    fn advance(&mut self, id: CallId, now: u64) -> Option<Transmit> {
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
        if call.current.is_none() {
            match call.op.poll_transmit() {
                Some(r) => self.set_request(&mut call, r),
                None => {
                    let out = call
                        .op
                        .poll_output()
                        .unwrap_or_else(|| Err(RegistryError::NoResult { what: "operation" }));
                    self.complete(id, out);
                    return None;
                }
            }
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

    fn set_request(&self, call: &mut Call, r: OpRequest) {
        call.current = Some(r);
        call.tries = 0;
        call.auth_retries = 0;
        call.redirects = 0;
    }

    /// Builds the HTTP request for the call's current request, or `None`
    /// while waiting for a ping or a token.
    fn prepare(&mut self, call: &mut Call, now: u64) -> Result<Option<HttpRequest>, RegistryError> {
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

    fn handle_call_response(
        &mut self,
        id: CallId,
        mut call: Call,
        now: u64,
        result: Result<HttpResponse, TransportError>,
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
        match call.op.poll_transmit() {
            Some(r) => {
                self.set_request(&mut call, r);
                Some(call)
            }
            None => {
                let out = call
                    .op
                    .poll_output()
                    .unwrap_or_else(|| Err(RegistryError::NoResult { what: "operation" }));
                self.complete(id, out);
                None
            }
        }
    }
}
