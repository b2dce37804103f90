//! "Test connection" (`registry::connection`): the probe machine against
//! scripted answers, and the page's endpoint rule.

use airlock_core::reference::Repository;
use airlock_core::registry::connection::endpoint::resolve;
use airlock_core::registry::connection::{Failure, Probe, Scheme, Step, StepName};
use airlock_core::registry::http::HttpRequest;
use airlock_core::registry::{
    Credentials, HttpResponse, HttpResult, Machine, Method, TransportError, TransportErrorKind,
};

type Answer = HttpResult;

/// The page's origin, and the repository most probes test.
const PAGE: &str = "http://127.0.0.1:8080";
const REPO: &str = "reg.example/dst/x";

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
    let endpoint = resolve(repository, page).unwrap();
    Probe::new(
        Repository::parse(repository).unwrap(),
        endpoint,
        credentials,
    )
}

/// A probe of `repository` from `page` with `credentials`, run through
/// `script` (see [`run`]): the probe, and what it sent.
fn probed(
    repository: &str,
    page: &str,
    credentials: Credentials,
    script: Vec<(Method, &str, Answer)>,
) -> (Probe, Vec<HttpRequest>) {
    let mut p = probe(repository, page, credentials);
    let sent = run(&mut p, script);
    (p, sent)
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

/// The probe's last step is `step`, failed with `failure` and `code`.
fn assert_last<'p>(
    p: &'p Probe,
    step: StepName,
    failure: Option<Failure>,
    code: Option<&str>,
) -> &'p Step {
    let s = last(p);
    assert_eq!((s.step, s.failure, s.code), (step, failure, code), "{s:?}");
    s
}

#[test]
fn basic_login_then_an_upload_started_and_cancelled() {
    let (p, sent) = probed(
        REPO,
        PAGE,
        Credentials::basic("u", "p"),
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

#[test]
fn several_challenges_in_one_header_use_the_token_flow() {
    let mut p = probe(REPO, PAGE, Credentials::basic("u", "p"));
    let denied =
        br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
    let sent = run(
        &mut p,
        vec![
            (
                Method::Get,
                "/v2/",
                answer(
                    401,
                    &[(
                        "WWW-Authenticate",
                        r#"Basic realm="x", Bearer realm="https://auth.example/token",service="reg""#,
                    )],
                    b"",
                ),
            ),
            (
                Method::Get,
                "https://auth.example/token?service=reg&scope=repository%3Adst%2Fx%3Apull%2Cpush",
                answer(200, &[], br#"{"token":"tk"}"#),
            ),
            (
                Method::Get,
                "https://reg.example/v2/",
                answer(200, &[], b""),
            ),
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

#[test]
fn anonymous_against_a_login_sends_nothing_more() {
    let (p, _) = probed(
        REPO,
        PAGE,
        Credentials::Anonymous,
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
    assert_last(
        &p,
        StepName::Login,
        Some(Failure::LoginRequired),
        Some("E_AUTH"),
    );
    assert!(!p.report().credentials_sent);
}

#[test]
fn a_hidden_challenge_is_cors_only_across_origins() {
    for (page, code) in [
        ("http://127.0.0.1:8080", "E_CORS"),
        ("https://reg.example", "E_REGISTRY"),
    ] {
        let (p, _) = probed(
            "reg.example/dst/x",
            page,
            Credentials::basic("u", "p"),
            vec![(Method::Get, "/v2/", answer(401, &[], b""))],
        );
        let s = last(&p);
        assert_eq!(
            (s.failure, s.code),
            (Some(Failure::ChallengeHidden), Some(code)),
            "{page}"
        );
    }
}

#[test]
fn unanswered_requests_are_unreachable_or_a_refused_preflight() {
    let (p, _) = probed(
        "127.0.0.1:5000/dst/x",
        PAGE,
        Credentials::Anonymous,
        vec![
            (Method::Get, "https://127.0.0.1:5000/v2/", refused()),
            (Method::Get, "http://127.0.0.1:5000/v2/", refused()),
        ],
    );
    let s = assert_last(
        &p,
        StepName::Ping,
        Some(Failure::Unreachable),
        Some("E_NETWORK"),
    );
    assert_eq!(s.url, "http://127.0.0.1:5000/v2/");

    let (p, _) = probed(
        "127.0.0.1:5000/dst/x",
        PAGE,
        Credentials::basic("u", "p"),
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
    assert_last(
        &p,
        StepName::Login,
        Some(Failure::Preflight),
        Some("E_CORS"),
    );
}

#[test]
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
        let (p, _) = probed(
            REPO,
            PAGE,
            Credentials::basic("u", "p"),
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

#[test]
fn an_upload_without_a_visible_location_is_cors() {
    let (p, _) = probed(
        "reg.example/dst/x",
        "https://reg.example",
        Credentials::Anonymous,
        vec![
            (Method::Get, "/v2/", answer(200, &[], b"")),
            (Method::Post, "/blobs/uploads/", answer(202, &[], b"")),
        ],
    );
    assert_last(
        &p,
        StepName::Upload,
        Some(Failure::NoLocation),
        Some("E_CORS"),
    );
    assert_eq!(p.report().scheme, Some(Scheme::None));
}

#[test]
fn same_origin_when_the_page_host_is_the_registry() {
    let ep = resolve("127.0.0.1:8080/dst/app", "http://127.0.0.1:8080").unwrap();
    assert_eq!(ep.base, "http://127.0.0.1:8080");
    assert!(ep.same_origin);
    assert_eq!(ep.path, "dst/app");
    let ep = resolve("registry.corp:443/a/b", "https://registry.corp:443").unwrap();
    assert_eq!(ep.base, "https://registry.corp:443");
}

#[test]
fn ggcr_scheme_rule_otherwise() {
    let ep = resolve("127.0.0.1:5000/dst/x", "http://127.0.0.1:8080").unwrap();
    assert_eq!(ep.base, "http://127.0.0.1:5000");
    assert!(!ep.same_origin);
    let ep = resolve("registry.corp/team/app", "http://127.0.0.1:8080").unwrap();
    assert_eq!(ep.base, "https://registry.corp");
    assert_eq!(ep.name, "registry.corp/team/app");
    let ep = resolve("nginx", "http://127.0.0.1:8080").unwrap();
    assert_eq!(ep.base, "https://index.docker.io");
    assert_eq!(ep.path, "library/nginx");
}
