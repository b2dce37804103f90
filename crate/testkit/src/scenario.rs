//! Test support: drive machines deterministically against scripted
//! responses ([`Scenario`]: each request must have exactly the expected
//! method and URL) or an in-memory fake registry ([`FakeRegistry`]), on a
//! fake clock.

use std::collections::{BTreeMap, HashMap, VecDeque};

use airlock_core::digest::Digest;
use airlock_core::plan::BlobSource;

use airlock_core::registry::auth::{AnonymousKeychain, Keychain};
use airlock_core::registry::client::{CallId, Client, ClientConfig, Transmit};
use airlock_core::registry::error::RegistryError;
use airlock_core::registry::http::{
    HttpRequest, HttpResponse, HttpResult, Method, RequestBody, TransportError,
};
use airlock_core::registry::on_client::OnClient;
use airlock_core::registry::op::{OpOutput, Operation};
use airlock_core::registry::Machine;

/// A response builder.
pub fn resp(status: u16) -> HttpResponse {
    HttpResponse::new(status, Vec::new(), Vec::new())
}

pub trait RespExt {
    fn h(self, k: &str, v: &str) -> Self;
    fn body(self, b: &[u8]) -> Self;
}

impl RespExt for HttpResponse {
    fn h(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    fn body(mut self, b: &[u8]) -> Self {
        self.body = b.to_vec();
        self
    }
}

/// One expected request and the answer to give.
pub struct Step {
    /// The request's method.
    pub method: Method,
    /// The request's URL, exactly: a full URL (`https://host/path?query`),
    /// or, starting with `/`, the URL's path and query (any origin).
    pub url: String,
    /// What the transport answers.
    pub answer: HttpResult,
}

impl Step {
    /// Whether `url` is the URL this step expects (see [`Step::url`]).
    pub fn matches_url(&self, url: &str) -> bool {
        if self.url.starts_with('/') {
            path_and_query(url) == self.url
        } else {
            url == self.url
        }
    }
}

/// The path and query of an absolute URL (`/` when it has no path).
pub fn path_and_query(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
}

/// A scripted exchange: requests must arrive in order, each with exactly
/// the method and URL of its step (see [`Step::url`]); anything else fails
/// the test with the expected and the actual request.
#[derive(Default)]
pub struct Scenario {
    steps: VecDeque<Step>,
}

impl Scenario {
    /// An empty script.
    pub fn new() -> Scenario {
        Scenario::default()
    }

    /// Expects `method url` (exactly, see [`Step::url`]) and answers it.
    pub fn expect(mut self, method: Method, url: &str, answer: HttpResponse) -> Scenario {
        self.steps.push_back(Step {
            method,
            url: url.to_string(),
            answer: Ok(answer),
        });
        self
    }

    /// Expects `method url` (exactly) and fails it with a transport error.
    pub fn expect_err(mut self, method: Method, url: &str, err: TransportError) -> Scenario {
        self.steps.push_back(Step {
            method,
            url: url.to_string(),
            answer: Err(err),
        });
        self
    }

    /// `GET /v2/` answering 200 (the client pings first).
    pub fn ping_ok(self, host: &str) -> Scenario {
        self.expect(Method::Get, &format!("https://{host}/v2/"), resp(200))
    }

    /// Runs `m` to completion; returns the requests sent and the times (ms)
    /// they were sent at. Panics on an unexpected request or leftovers.
    pub fn run<M: Machine>(mut self, m: &mut M) -> Vec<(u64, HttpRequest)> {
        let mut now = 0u64;
        let mut log = Vec::new();
        let mut pending: VecDeque<Transmit> = VecDeque::new();
        for _ in 0..10_000 {
            while let Some(t) = m.poll_transmit(now) {
                pending.push_back(t);
            }
            if m.is_finished() && pending.is_empty() {
                assert!(
                    self.steps.is_empty(),
                    "scenario finished with {} expected requests left (next: {} {})",
                    self.steps.len(),
                    self.steps[0].method,
                    self.steps[0].url
                );
                return log;
            }
            if let Some(t) = pending.pop_front() {
                let n = log.len();
                let step = self.steps.pop_front().unwrap_or_else(|| {
                    panic!(
                        "request {n}: unexpected {} {} (script exhausted)",
                        t.request.method, t.request.url
                    )
                });
                assert!(
                    t.request.method == step.method && step.matches_url(&t.request.url),
                    "request {n}:\n  expected {} {}\n  actual   {} {}",
                    step.method,
                    step.url,
                    t.request.method,
                    t.request.url
                );
                log.push((now, t.request.clone()));
                m.handle_response(t.id, now, step.answer);
                continue;
            }
            if m.is_finished() {
                return log;
            }
            match m.poll_timeout() {
                Some(t) => now = now.max(t),
                None => panic!("machine stalled: no request, no timeout, not finished"),
            }
        }
        panic!("scenario did not finish");
    }
}

/// A machine running one operation on a client.
pub struct OneOp {
    pub client: Client,
    call: CallId,
    pub result: Option<Result<OpOutput, RegistryError>>,
}

impl OneOp {
    pub fn new(op: impl Operation + 'static) -> OneOp {
        OneOp::with(op, ClientConfig::default(), Box::new(AnonymousKeychain))
    }

    pub fn with(
        op: impl Operation + 'static,
        config: ClientConfig,
        keychain: Box<dyn Keychain>,
    ) -> OneOp {
        let mut client = Client::new(config, keychain);
        let call = client.start(op);
        OneOp {
            client,
            call,
            result: None,
        }
    }

    /// Runs `op` anonymously on a client that gives up after `max_tries` tries.
    pub fn with_tries(op: impl Operation + 'static, max_tries: u32) -> OneOp {
        let config = ClientConfig {
            retry: airlock_core::registry::RetryPolicy {
                max_tries,
                ..Default::default()
            },
            ..ClientConfig::default()
        };
        OneOp::with(op, config, Box::new(AnonymousKeychain))
    }

    pub fn restart_with(&mut self, op: impl Operation + 'static) {
        self.call = self.client.start(op);
        self.result = None;
    }

    pub fn output(&self) -> Result<OpOutput, RegistryError> {
        self.result.clone().expect("operation finished")
    }
}

impl OnClient for OneOp {
    airlock_core::client_in_field!(client);

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        if call == self.call {
            self.result = Some(result);
        }
    }
    fn is_done(&self) -> bool {
        self.result.is_some()
    }
}

/// An in-memory registry speaking enough of the distribution protocol for
/// the copy session (no auth), with request counting and fault injection.
#[derive(Default)]
pub struct FakeRegistry {
    pub blobs: HashMap<Digest, Vec<u8>>,
    /// repo -> reference (tag or digest) -> (media type, bytes)
    pub manifests: HashMap<String, BTreeMap<String, (String, Vec<u8>)>>,
    uploads: HashMap<String, Vec<u8>>,
    next_upload: u64,
    pub requests: Vec<(Method, String)>,
    /// Bytes of the "tar" that TarEntry sources read from.
    pub tar: Vec<u8>,
    /// Answer the n-th request (0-based) with this status instead.
    pub faults: HashMap<usize, u16>,
    /// Answer the first request matching (method, URL substring) with this
    /// status instead (each rule applies once).
    pub fail_matching: Vec<(Method, String, u16)>,
    /// Answer requests whose body is larger with 413 (a proxy's
    /// `client_max_body_size`), without looking at them.
    pub max_body: Option<u64>,
}

impl FakeRegistry {
    pub fn new() -> FakeRegistry {
        FakeRegistry::default()
    }

    fn body_bytes(&self, body: &RequestBody) -> Vec<u8> {
        match body {
            RequestBody::Empty => Vec::new(),
            RequestBody::Bytes(b) => b.to_vec(),
            RequestBody::Blob(b) => {
                let all = match &b.source {
                    BlobSource::Inline(v) => v.to_vec(),
                    BlobSource::TarEntry { offset, size } => {
                        self.tar[*offset as usize..(*offset + *size) as usize].to_vec()
                    }
                    BlobSource::GzipTarEntry { offset, size } => {
                        airlock_core::go::flate::go_gzip_best_speed(
                            &self.tar[*offset as usize..(*offset + *size) as usize],
                        )
                    }
                    BlobSource::Registry { .. } => {
                        self.blobs.get(&b.digest).cloned().unwrap_or_default()
                    }
                    BlobSource::Skip => Vec::new(),
                };
                all[b.offset as usize..(b.offset + b.length) as usize].to_vec()
            }
        }
    }

    pub fn handle(&mut self, req: &HttpRequest) -> HttpResponse {
        let n = self.requests.len();
        self.requests.push((req.method, req.url.clone()));
        if let Some(status) = self.faults.get(&n) {
            return resp(*status);
        }
        if let Some(i) = self
            .fail_matching
            .iter()
            .position(|(m, u, _)| *m == req.method && req.url.contains(u.as_str()))
        {
            let (_, _, status) = self.fail_matching.remove(i);
            return resp(status);
        }
        if self.max_body.is_some_and(|max| req.body.len() > max) {
            return resp(413);
        }
        let url = req.url.clone();
        let path_q = path_and_query(&url);
        let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
        let q = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .map(|v| v.replace("%3A", ":").replace("%2F", "/"))
        };
        if path == "/v2/" {
            return resp(200);
        }
        let rest = path.strip_prefix("/v2/").unwrap_or("");
        if let Some(repo) = rest.strip_suffix("/tags/list") {
            let tags: Vec<String> = self
                .manifests
                .get(repo)
                .map(|m| {
                    m.keys()
                        .filter(|k| !k.starts_with("sha256:"))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if tags.is_empty() {
                return resp(404).body(
                    br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
                );
            }
            let body = serde_json::json!({ "name": repo, "tags": tags }).to_string();
            return resp(200)
                .h("Content-Type", "application/json")
                .body(body.as_bytes());
        }
        if let Some((repo, reference)) = rest.rsplit_once("/manifests/") {
            let repo = repo.to_string();
            match req.method {
                Method::Head | Method::Get => {
                    let Some((mt, raw)) = self
                        .manifests
                        .get(&repo)
                        .and_then(|m| m.get(reference))
                        .cloned()
                    else {
                        return resp(404).body(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#);
                    };
                    let r = resp(200)
                        .h("Content-Type", &mt)
                        .h("Docker-Content-Digest", &Digest::of(&raw).to_string())
                        .h("Content-Length", &raw.len().to_string());
                    return if req.method == Method::Get {
                        r.body(&raw)
                    } else {
                        r
                    };
                }
                Method::Put => {
                    let raw = self.body_bytes(&req.body);
                    let d = Digest::of(&raw);
                    let mt = req.header("content-type").unwrap_or("").to_string();
                    let m = self.manifests.entry(repo).or_default();
                    m.insert(reference.to_string(), (mt.clone(), raw.clone()));
                    m.insert(d.to_string(), (mt, raw));
                    return resp(201).h("Docker-Content-Digest", &d.to_string());
                }
                _ => return resp(405),
            }
        }
        if let Some((_repo, digest)) = rest.rsplit_once("/blobs/") {
            if digest.starts_with("sha256:") {
                let d = Digest::parse(digest).unwrap();
                return match (req.method, self.blobs.get(&d)) {
                    (Method::Head, Some(b)) => resp(200).h("Content-Length", &b.len().to_string()),
                    (Method::Get, Some(b)) => resp(200).body(&b.clone()),
                    _ => resp(404),
                };
            }
        }
        if let Some((repo, upload)) = rest.split_once("/blobs/uploads/") {
            match req.method {
                Method::Post => {
                    if let (Some(m), Some(_from)) = (q("mount"), q("from")) {
                        if self.blobs.contains_key(&Digest::parse(&m).unwrap()) {
                            return resp(201);
                        }
                    }
                    self.next_upload += 1;
                    let id = format!("u{}", self.next_upload);
                    self.uploads.insert(id.clone(), Vec::new());
                    return resp(202).h(
                        "Location",
                        &format!("/v2/{repo}/blobs/uploads/{id}?_state=s{id}"),
                    );
                }
                Method::Patch => {
                    let body = self.body_bytes(&req.body);
                    let Some(u) = self.uploads.get_mut(upload) else {
                        return resp(404);
                    };
                    u.extend(body);
                    return resp(202).h(
                        "Location",
                        &format!("/v2/{repo}/blobs/uploads/{upload}?_state=p"),
                    );
                }
                Method::Put => {
                    let body = self.body_bytes(&req.body);
                    let Some(mut u) = self.uploads.remove(upload) else {
                        return resp(404);
                    };
                    u.extend(body);
                    let d = Digest::parse(&q("digest").unwrap()).unwrap();
                    if Digest::of(&u) != d {
                        return resp(400).body(br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#);
                    }
                    self.blobs.insert(d, u);
                    return resp(201).h("Docker-Content-Digest", &d.to_string());
                }
                _ => return resp(405),
            }
        }
        resp(404)
    }

    /// Runs a machine against this registry on a fake clock, answering
    /// requests in FIFO order. Returns the number of requests answered.
    pub fn drive<M: Machine>(&mut self, m: &mut M) -> usize {
        let start = self.requests.len();
        let mut now = 0;
        let mut pending = VecDeque::new();
        for _ in 0..1_000_000 {
            while let Some(t) = m.poll_transmit(now) {
                pending.push_back(t);
            }
            if m.is_finished() {
                break;
            }
            if let Some(t) = pending.pop_front() {
                let r = self.handle(&t.request);
                m.handle_response(t.id, now, Ok(r));
                continue;
            }
            match m.poll_timeout() {
                Some(t) => now = now.max(t),
                None => panic!("machine stalled"),
            }
        }
        self.requests.len() - start
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::reference::Repository;
    use airlock_core::registry::manifest_head::HeadManifest;

    use super::*;

    fn head_v1() -> OneOp {
        OneOp::new(HeadManifest::new(
            Repository::parse("reg.example/dst/x").unwrap(),
            "v1",
            "pull",
        ))
    }

    #[test]
    fn urls_match_whole_or_by_exact_path_and_query() {
        let step = |url: &str| Step {
            method: Method::Get,
            url: url.into(),
            answer: Ok(resp(200)),
        };
        let url = "https://reg.example/v2/dst/x/tags/list?n=10";
        assert!(step(url).matches_url(url));
        assert!(step("/v2/dst/x/tags/list?n=10").matches_url(url));
        assert!(!step("/v2/dst/x/tags/list").matches_url(url));
        assert!(!step("/tags/list?n=10").matches_url(url));
        assert!(!step("https://reg.example/v2/dst/x/tags/list?n=1").matches_url(url));
        assert!(!step("http://reg.example/v2/dst/x/tags/list?n=10").matches_url(url));
        assert_eq!(path_and_query("https://h"), "/");
    }

    #[test]
    #[should_panic(
        expected = "request 1:\n  expected HEAD /v2/dst/x/manifests/v2\n  actual   HEAD https://reg.example/v2/dst/x/manifests/v1"
    )]
    fn a_different_url_fails_showing_both() {
        Scenario::new()
            .ping_ok("reg.example")
            .expect(Method::Head, "/v2/dst/x/manifests/v2", resp(404))
            .run(&mut head_v1());
    }

    #[test]
    #[should_panic(
        expected = "request 1:\n  expected GET https://reg.example/v2/dst/x/manifests/v1"
    )]
    fn a_different_method_fails_showing_both() {
        Scenario::new()
            .ping_ok("reg.example")
            .expect(
                Method::Get,
                "https://reg.example/v2/dst/x/manifests/v1",
                resp(404),
            )
            .run(&mut head_v1());
    }
}
