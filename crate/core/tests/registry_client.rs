//! Ping, authentication and retry behaviour of the client.

use airlock_core::reference::Repository;
use airlock_core::registry::auth::{Credentials, StaticKeychain};
use airlock_core::registry::blob_head::HeadBlob;
use airlock_core::registry::client::ClientConfig;
use airlock_core::registry::http::{HttpResponse, Method, TransportError, TransportErrorKind};
use airlock_core::registry::manifest_head::HeadManifest;
use airlock_core::registry::op::{OpOutput, Operation};
use airlock_testkit::scenario::{resp, OneOp, RespExt, Scenario};

const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const PING: &str = "https://reg.example/v2/";
const REALM: &str = "https://auth.example/token";

fn repo(s: &str) -> Repository {
    Repository::parse(s).unwrap()
}

fn manifest_url(reference: &str) -> String {
    format!("https://reg.example/v2/dst/x/manifests/{reference}")
}

fn blob_url(digest: &str) -> String {
    format!("https://reg.example/v2/dst/x/blobs/{digest}")
}

/// The token request for `actions` (e.g. `pull,push`) on `dst/x`.
fn token_url(actions: &str) -> String {
    format!(
        "{REALM}?service=reg.example&scope=repository%3Adst%2Fx%3A{}",
        actions.replace(',', "%2C")
    )
}

/// A 401 asking for a bearer token from [`REALM`].
fn bearer_challenge() -> HttpResponse {
    resp(401).h(
        "WWW-Authenticate",
        &format!(r#"Bearer realm="{REALM}",service="reg.example""#),
    )
}

/// A 401 asking for Basic credentials.
fn basic_challenge() -> HttpResponse {
    resp(401).h("WWW-Authenticate", r#"Basic realm="r""#)
}

fn creds() -> Box<StaticKeychain> {
    Box::new(StaticKeychain::new().with("reg.example", Credentials::basic("alice", "secret")))
}

/// `op` on a client holding alice's credentials.
fn as_alice(op: impl Operation + 'static) -> OneOp {
    OneOp::with(op, ClientConfig::default(), creds())
}

/// `HEAD dst/x:reference` for `actions`, as alice.
fn head_manifest(reference: &str, actions: &'static str) -> OneOp {
    as_alice(HeadManifest::new(
        repo("reg.example/dst/x"),
        reference,
        actions,
    ))
}

/// A first contact with a bearer registry: the ping is challenged and the
/// token for `actions` is issued as `token_json`.
fn bearer_login(actions: &str, token_json: &[u8]) -> Scenario {
    Scenario::new()
        .expect(Method::Get, PING, bearer_challenge())
        .expect(Method::Get, &token_url(actions), resp(200).body(token_json))
}

/// Auth steps on top of [`Scenario`].
trait AuthScript {
    /// `HEAD dst/x:reference` challenged for a bearer token, the token for
    /// `actions` issued as `token_json`, the `HEAD` resent and answered 404.
    fn challenged_head(self, reference: &str, actions: &str, token_json: &[u8]) -> Scenario;
}

impl AuthScript for Scenario {
    fn challenged_head(self, reference: &str, actions: &str, token_json: &[u8]) -> Scenario {
        self.expect(Method::Head, &manifest_url(reference), bearer_challenge())
            .expect(Method::Get, &token_url(actions), resp(200).body(token_json))
            .expect(Method::Head, &manifest_url(reference), resp(404))
    }
}

#[test]
fn bearer_flow_fetches_token_with_basic_creds_and_scope() {
    let mut m = head_manifest("v1", "pull,push");
    let log = bearer_login("pull,push", br#"{"token":"T1","expires_in":300}"#)
        .expect(
            Method::Head,
            &manifest_url("v1"),
            resp(200).h("Docker-Content-Digest", D),
        )
        .run(&mut m);
    assert_eq!(
        log[1].1.header("authorization"),
        Some("Basic YWxpY2U6c2VjcmV0")
    );
    assert_eq!(log[2].1.header("authorization"), Some("Bearer T1"));
    assert!(matches!(
        m.output().unwrap(),
        OpOutput::ManifestDescriptor(Some(_))
    ));
}

#[test]
fn token_is_cached_across_requests_and_refreshed_on_401() {
    let mut m = head_manifest("v1", "pull,push");
    bearer_login("pull,push", br#"{"access_token":"T1"}"#)
        .expect(Method::Head, &manifest_url("v1"), resp(404))
        .run(&mut m);
    // Second operation, same scope: no ping, no token request.
    let r = repo("reg.example/dst/x");
    m.restart_with(HeadManifest::new(r.clone(), "v2", "pull,push"));
    let log = Scenario::new()
        .expect(Method::Head, &manifest_url("v2"), resp(404))
        .run(&mut m);
    assert_eq!(log[0].1.header("authorization"), Some("Bearer T1"));
    // The token is refused (expired): fetched again, request resent once.
    m.restart_with(HeadManifest::new(r, "v3", "pull,push"));
    let log = Scenario::new()
        .challenged_head("v3", "pull,push", br#"{"token":"T2"}"#)
        .run(&mut m);
    assert_eq!(log[2].1.header("authorization"), Some("Bearer T2"));
    assert_eq!(m.client.stats().token_fetches, 2);
}

#[test]
fn token_expiry_triggers_a_new_fetch() {
    let mut m = head_manifest("v1", "pull");
    bearer_login("pull", br#"{"token":"T1","expires_in":1}"#)
        .expect(Method::Head, &manifest_url("v1"), resp(404))
        .run(&mut m);
    // Fake clock restarts at 0 in each run, so drive time forward by a retry:
    // a 503 with Retry-After: 2 moves the clock past the 1 s expiry.
    m.restart_with(HeadManifest::new(repo("reg.example/dst/x"), "v2", "pull"));
    let log = Scenario::new()
        .expect(
            Method::Head,
            &manifest_url("v2"),
            resp(503).h("Retry-After", "2"),
        )
        .expect(
            Method::Get,
            &token_url("pull"),
            resp(200).body(br#"{"token":"T2"}"#),
        )
        .expect(Method::Head, &manifest_url("v2"), resp(404))
        .run(&mut m);
    assert_eq!(log[1].0, 2000);
    assert_eq!(log[2].1.header("authorization"), Some("Bearer T2"));
}

#[test]
fn wrong_password_at_token_realm_is_an_authentication_error() {
    let mut m = head_manifest("v1", "pull,push");
    Scenario::new()
        .expect(Method::Get, PING, bearer_challenge())
        .expect(
            Method::Get,
            &token_url("pull,push"),
            resp(401).body(b"incorrect username or password"),
        )
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert!(e.contains("authentication failed"), "{e}");
    assert!(e.contains("incorrect username or password"), "{e}");
    assert!(e.starts_with("authenticating to reg.example:"), "{e}");
}

#[test]
fn basic_challenge_sends_basic_and_reports_401() {
    let mut m = as_alice(HeadBlob::new(
        repo("reg.example/dst/x"),
        D.parse().unwrap(),
        "pull",
    ));
    let log = Scenario::new()
        .expect(Method::Get, PING, basic_challenge())
        .expect(Method::Head, &blob_url(D), basic_challenge())
        .run(&mut m);
    assert_eq!(
        log[1].1.header("authorization"),
        Some("Basic YWxpY2U6c2VjcmV0")
    );
    let e = m.output().unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(e.is_denied());
}

#[test]
fn anonymous_ping_then_401_on_push_learns_the_challenge() {
    let mut m = head_manifest("v1", "pull,push");
    Scenario::new()
        .expect(Method::Get, PING, resp(200))
        .challenged_head("v1", "pull,push", br#"{"token":"T"}"#)
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::ManifestDescriptor(None));
}

#[test]
fn registry_token_is_sent_as_bearer_without_token_exchange() {
    let kc = StaticKeychain::new().with("reg.example", Credentials::RegistryToken("RT".into()));
    let mut m = OneOp::with(
        HeadManifest::new(repo("reg.example/dst/x"), "v1", "pull"),
        ClientConfig::default(),
        Box::new(kc),
    );
    let log = Scenario::new()
        .expect(Method::Get, PING, bearer_challenge())
        .expect(Method::Head, &manifest_url("v1"), resp(404))
        .run(&mut m);
    assert_eq!(log[1].1.header("authorization"), Some("Bearer RT"));
}

#[test]
fn retry_after_on_429_is_honoured() {
    let mut m = OneOp::new(HeadManifest::new(repo("reg.example/dst/x"), "v1", "pull"));
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Head,
            &manifest_url("v1"),
            resp(429).h("Retry-After", "1"),
        )
        .expect(Method::Head, &manifest_url("v1"), resp(404))
        .run(&mut m);
    assert_eq!(log[2].0, 1000);
    assert_eq!(m.client.stats().retries, 1);
}

#[test]
fn server_error_then_ok_backs_off_100ms_then_200ms() {
    let mut m = OneOp::new(HeadManifest::new(repo("reg.example/dst/x"), "v1", "pull"));
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(Method::Head, &manifest_url("v1"), resp(500))
        .expect_err(
            Method::Head,
            &manifest_url("v1"),
            TransportError::new(TransportErrorKind::Connect, "refused"),
        )
        .expect(
            Method::Head,
            &manifest_url("v1"),
            resp(200).h("Docker-Content-Digest", D),
        )
        .run(&mut m);
    let times: Vec<u64> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![0, 0, 100, 300]);
    assert!(matches!(
        m.output().unwrap(),
        OpOutput::ManifestDescriptor(Some(_))
    ));
}

#[test]
fn retries_give_up_after_max_tries() {
    let mut m = OneOp::with_tries(
        HeadBlob::new(repo("reg.example/dst/x"), D.parse().unwrap(), "pull"),
        2,
    );
    Scenario::new()
        .ping_ok("reg.example")
        .expect(Method::Head, &blob_url(D), resp(503))
        .expect(Method::Head, &blob_url(D), resp(503))
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert!(
        e.contains("unexpected status code 503 Service Unavailable"),
        "{e}"
    );
}

#[test]
fn insecure_by_default_hosts_fall_back_to_http() {
    let mut m = OneOp::new(HeadManifest::new(
        repo("127.0.0.1:5000/dst/x"),
        "v1",
        "pull",
    ));
    let log = Scenario::new()
        .expect_err(
            Method::Get,
            "https://127.0.0.1:5000/v2/",
            TransportError::new(TransportErrorKind::Tls, "not tls"),
        )
        .expect(Method::Get, "http://127.0.0.1:5000/v2/", resp(200))
        .expect(
            Method::Head,
            "http://127.0.0.1:5000/v2/dst/x/manifests/v1",
            resp(404),
        )
        .run(&mut m);
    assert_eq!(log.len(), 3);
}

#[test]
fn public_hosts_do_not_fall_back_to_http() {
    let mut m = OneOp::new(HeadManifest::new(repo("reg.example/dst/x"), "v1", "pull"));
    Scenario::new()
        .expect_err(
            Method::Get,
            PING,
            TransportError::new(TransportErrorKind::Tls, "bad certificate"),
        )
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert_eq!(e, "GET https://reg.example/v2/: bad certificate");
}

#[test]
fn redirects_are_followed_without_credentials_off_origin() {
    use airlock_core::registry::blob_get::GetBlob;
    let body = b"hello".to_vec();
    let d = airlock_core::digest::Digest::of(&body);
    let mut m = as_alice(GetBlob::new(repo("reg.example/dst/x"), d, 1024));
    let log = Scenario::new()
        .expect(Method::Get, PING, basic_challenge())
        .expect(
            Method::Get,
            &blob_url(&d.to_string()),
            resp(307).h("Location", "https://cdn.example/b?sig=1"),
        )
        .expect(
            Method::Get,
            "https://cdn.example/b?sig=1",
            resp(200).body(&body),
        )
        .run(&mut m);
    assert!(log[1].1.header("authorization").is_some());
    assert!(log[2].1.header("authorization").is_none());
    assert_eq!(m.output().unwrap(), OpOutput::BlobBytes(body));
}
