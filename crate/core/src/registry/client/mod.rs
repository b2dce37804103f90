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
//!
//! Files: this one holds the client's state and public API; `readiness`
//! pings registries, fetches tokens and picks credentials; `calls` moves
//! each call through its requests.

mod calls;
mod readiness;

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::reference::{Registry, Repository};

use super::auth::{AuthError, Credentials, Keychain};
use super::error::RegistryError;
use super::http::{HttpRequest, HttpResult, RequestBody};
use super::op::{OpOutput, OpRequest, Operation};
use super::ping::{Ping, PingResult};
use super::retry::RetryPolicy;
use super::token::TokenFetch;

/// Identifies a started operation.
pub type CallId = u64;
/// Identifies one HTTP request handed to the transport.
pub type RequestId = u64;

/// A request for the transport, with the id to report its result under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Report the request's result under this id.
    pub id: RequestId,
    /// The request to perform.
    pub request: HttpRequest,
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// An operation finished.
    Completed {
        /// The call (from [`Client::start`]).
        call: CallId,
        /// Its output, or why it failed after retries.
        result: Result<OpOutput, RegistryError>,
    },
    /// The transport sent body bytes of a call's current request: for a
    /// blob range (an upload chunk), the blob bytes up to where the request
    /// stands; otherwise the request's bytes so far.
    Progress {
        /// The call.
        call: CallId,
        /// Body bytes sent so far (see above).
        bytes_sent: u64,
    },
}

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// When and how often failed requests are retried.
    pub retry: RetryPolicy,
    /// Allow plain HTTP for every registry (`--registry-insecure`).
    pub insecure: bool,
    /// The `User-Agent` header sent unless a request sets one.
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
    /// Requests retried after a transient failure.
    pub retries: u64,
    /// Token endpoint requests made.
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
    /// A client with no calls; credentials are asked of `keychain` once per repository when first
    /// needed.
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

    /// The settings it was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// Starts an operation; its result arrives as [`ClientEvent::Completed`].
    pub fn start(&mut self, op: impl Operation + 'static) -> CallId {
        self.start_boxed(Box::new(op))
    }

    /// [`start`](Client::start) for an operation already boxed.
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

    /// The next finished call or progress report, in order; `None` when there is none.
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

    /// Body bytes sent so far for request `id`. A request whose body is a
    /// range of a blob (an upload chunk) reports the blob bytes up to
    /// where it stands: the range's offset is added.
    pub fn handle_progress(&mut self, id: RequestId, bytes_sent: u64) {
        if let Some(Owner::Call(call)) = self.owners.get(&id) {
            let offset = match self.calls.get(call).and_then(|c| c.current.as_ref()) {
                Some(OpRequest {
                    body: RequestBody::Blob(b),
                    ..
                }) => b.offset,
                _ => 0,
            };
            self.events.push_back(ClientEvent::Progress {
                call: *call,
                bytes_sent: offset + bytes_sent,
            });
        }
    }

    /// The result of request `id`.
    pub fn handle_response(&mut self, id: RequestId, now: u64, result: HttpResult) {
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
}
