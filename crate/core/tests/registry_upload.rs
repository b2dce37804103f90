use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_core::plan::BlobSource;
use airlock_core::reference::Repository;
use airlock_core::registry::blob_upload::{UploadBlob, UploadOptions};
use airlock_core::registry::http::{
    HttpResponse, Method, RequestBody, TransportError, TransportErrorKind,
};
use airlock_core::registry::op::{BlobOutcome, OpOutput};
use airlock_core::registry::upload_chunks::{ChunkReason, UploadMode};
use airlock_core::registry::RegistryError;
use airlock_testkit::scenario::{resp, OneOp, RespExt, Scenario};

const HOST: &str = "reg.example";

fn repo() -> Repository {
    Repository::parse("reg.example/dst/x").unwrap()
}

const UPLOADS: &str = "https://reg.example/v2/dst/x/blobs/uploads/";

/// The digest of [`blob`], escaped as in a query.
fn digest_query() -> String {
    blob().0.to_string().replace(':', "%3A")
}

/// `HEAD` URL of [`blob`].
fn blob_url() -> String {
    format!("https://reg.example/v2/dst/x/blobs/{}", blob().0)
}

/// The closing `PUT` of upload `session` (an upload URL, maybe with a
/// query), naming [`blob`]'s digest.
fn put_url(session: &str) -> String {
    let sep = if session.contains('?') { '&' } else { '?' };
    format!("{session}{sep}digest={}", digest_query())
}

/// The `POST` that mounts [`blob`] from `src/y`.
fn mount_url() -> String {
    format!("{UPLOADS}?mount={}&from=src%2Fy", digest_query())
}

/// `202 Accepted` with the upload's `Location`.
fn accepted(location: &str) -> HttpResponse {
    resp(202).h("Location", location)
}

/// `location` made absolute against `https://reg.example`.
fn absolute(location: &str) -> String {
    if location.starts_with('/') {
        format!("https://reg.example{location}")
    } else {
        location.to_string()
    }
}

/// Mounting from `reg.example/src/y` first; `check_exists`: a `HEAD`
/// before that.
fn mounting_from_src_y(check_exists: bool) -> UploadOptions {
    UploadOptions {
        check_exists,
        mount_from: Some(Repository::parse("reg.example/src/y").unwrap()),
        chunk_size: None,
    }
}

/// A default upload of [`blob`], the registry answering as `script` says
/// after the ping: the upload's output.
fn upload_after_ping(script: impl FnOnce(Scenario) -> Scenario) -> Result<OpOutput, RegistryError> {
    let mut m = upload(UploadOptions::default());
    script(Scenario::new().ping_ok(HOST)).run(&mut m);
    m.output()
}

/// What a finished upload of [`blob`] reports.
fn uploaded() -> OpOutput {
    OpOutput::Blob(BlobOutcome::Uploaded {
        bytes: 10,
        mode: UploadMode::Monolithic,
        resumes: 0,
    })
}

/// Upload steps on top of [`Scenario`].
trait UploadScript {
    /// `POST post` answered 202 at `location`, then the closing `PUT`
    /// there (with the digest) answered `put`.
    fn post_then_put(self, post: &str, location: &str, put: HttpResponse) -> Scenario;
}

impl UploadScript for Scenario {
    fn post_then_put(self, post: &str, location: &str, put: HttpResponse) -> Scenario {
        self.expect(Method::Post, post, accepted(location)).expect(
            Method::Put,
            &put_url(&absolute(location)),
            put,
        )
    }
}

fn blob() -> (Digest, Arc<Vec<u8>>) {
    let data = Arc::new(b"0123456789".to_vec());
    (Digest::of(&data), data)
}

fn upload(opts: UploadOptions) -> OneOp {
    let (d, data) = blob();
    OneOp::new(UploadBlob::new(
        repo(),
        d,
        10,
        BlobSource::Inline(data),
        opts,
    ))
}

fn check() -> UploadOptions {
    UploadOptions {
        check_exists: true,
        ..Default::default()
    }
}

#[test]
fn head_present_skips_upload() {
    let mut m = upload(check());
    Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Head,
            &blob_url(),
            resp(200).h("Content-Length", "10"),
        )
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Present));
}

#[test]
fn post_202_then_put_201_keeps_state_query() {
    let (d, _) = blob();
    let mut m = upload(check());
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, &blob_url(), resp(404))
        .post_then_put(
            UPLOADS,
            "https://reg.example/v2/dst/x/blobs/uploads/abc?_state=xyz",
            resp(201),
        )
        .run(&mut m);
    assert_eq!(m.output().unwrap(), uploaded());
    let put = &log.last().unwrap().1;
    assert_eq!(
        put.url,
        format!(
            "https://reg.example/v2/dst/x/blobs/uploads/abc?_state=xyz&digest={}",
            d.to_string().replace(':', "%3A")
        )
    );
    assert_eq!(put.header("content-type"), Some("application/octet-stream"));
    match &put.body {
        RequestBody::Blob(b) => {
            assert_eq!((b.offset, b.length, b.digest), (0, 10, d));
        }
        other => panic!("body {other:?}"),
    }
}

#[test]
fn relative_location_without_query_gets_question_mark() {
    let out =
        upload_after_ping(|s| s.post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/u1", resp(201)));
    assert!(out.is_ok());
}

#[test]
fn missing_location_is_a_protocol_error() {
    let out = upload_after_ping(|s| s.expect(Method::Post, UPLOADS, resp(202)));
    let e = out.unwrap_err().to_string();
    assert!(e.contains("no Location header"), "{e}");
}

#[test]
fn mount_201_is_done() {
    let mut m = upload(mounting_from_src_y(true));
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, &blob_url(), resp(404))
        .expect(Method::Post, &mount_url(), resp(201))
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Mounted));
}

#[test]
fn mount_202_falls_back_to_upload_at_that_location() {
    let mut m = upload(mounting_from_src_y(false));
    Scenario::new()
        .ping_ok(HOST)
        .post_then_put(
            &mount_url(),
            "/v2/dst/x/blobs/uploads/m?_state=1",
            resp(201),
        )
        .run(&mut m);
    assert_eq!(m.output().unwrap(), uploaded());
}

#[test]
fn refused_mount_retries_without_mount() {
    let mut m = upload(mounting_from_src_y(false));
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Post, &mount_url(), resp(404))
        .post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/n", resp(201))
        .run(&mut m);
    assert!(!log[2].1.url.contains("mount"));
    assert!(m.output().is_ok());
}

#[test]
fn chunked_patch_then_empty_put() {
    let mut m = upload(UploadOptions {
        check_exists: false,
        mount_from: None,
        chunk_size: Some(4),
    });
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Post,
            UPLOADS,
            accepted("/v2/dst/x/blobs/uploads/c?_state=0"),
        )
        .expect(
            Method::Patch,
            &format!("{UPLOADS}c?_state=0"),
            accepted("/v2/dst/x/blobs/uploads/c?_state=4").h("Range", "0-3"),
        )
        .expect(
            Method::Patch,
            &format!("{UPLOADS}c?_state=4"),
            accepted("/v2/dst/x/blobs/uploads/c?_state=8"),
        )
        .expect(
            Method::Patch,
            &format!("{UPLOADS}c?_state=8"),
            accepted("/v2/dst/x/blobs/uploads/c?_state=10"),
        )
        .expect(
            Method::Put,
            &put_url(&format!("{UPLOADS}c?_state=10")),
            resp(201),
        )
        .run(&mut m);
    let ranges: Vec<_> = log
        .iter()
        .filter(|(_, r)| r.method == Method::Patch)
        .map(|(_, r)| (r.header("content-range").unwrap().to_string(), r.body.len()))
        .collect();
    assert_eq!(
        ranges,
        vec![("0-3".into(), 4), ("4-7".into(), 4), ("8-9".into(), 2)]
    );
    assert_eq!(log.last().unwrap().1.body, RequestBody::Empty);
    assert_eq!(
        m.output().unwrap(),
        OpOutput::Blob(BlobOutcome::Uploaded {
            bytes: 10,
            mode: UploadMode::Chunked {
                chunk_size: 4,
                reason: ChunkReason::Requested
            },
            resumes: 0,
        })
    );
}

#[test]
fn dropped_put_restarts_from_head() {
    let mut m = upload(check());
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, &blob_url(), resp(404))
        .expect(
            Method::Post,
            UPLOADS,
            accepted("/v2/dst/x/blobs/uploads/a?_state=1"),
        )
        .expect_err(
            Method::Put,
            &put_url(&format!("{UPLOADS}a?_state=1")),
            TransportError::new(TransportErrorKind::Io, "connection reset"),
        )
        .expect(Method::Head, &blob_url(), resp(404))
        .post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/b?_state=1", resp(201))
        .run(&mut m);
    // The restart waited for the backoff.
    assert_eq!(log[3].0, 0);
    assert_eq!(log[4].0, 100);
    assert!(m.output().is_ok());
}

#[test]
fn lost_upload_session_restarts() {
    let out = upload_after_ping(|s| {
        s.post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/a", resp(404).body(br#"{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry"}]}"#))
            .expect(Method::Head, &blob_url(), resp(200))
    });
    assert_eq!(out.unwrap(), OpOutput::Blob(BlobOutcome::Present));
}

#[test]
fn digest_invalid_is_reported_with_code() {
    let out = upload_after_ping(|s| {
        s.post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/a", resp(400).body(br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#))
    });
    let e = out.unwrap_err();
    assert!(e.has_code("DIGEST_INVALID"));
    assert!(
        e.to_string()
            .contains("PUT https://reg.example/v2/dst/x/blobs/uploads/a?digest="),
        "{e}"
    );
}

#[test]
fn authorization_never_goes_to_another_origin() {
    use airlock_core::registry::auth::{Credentials, StaticKeychain};
    use airlock_core::registry::client::ClientConfig;
    let (d, data) = blob();
    let mut m = OneOp::with(
        UploadBlob::new(
            repo(),
            d,
            10,
            BlobSource::Inline(data),
            UploadOptions::default(),
        ),
        ClientConfig::default(),
        Box::new(StaticKeychain::new().with(HOST, Credentials::basic("u", "p"))),
    );
    let log = Scenario::new()
        .expect(
            Method::Get,
            "https://reg.example/v2/",
            resp(401).h("WWW-Authenticate", r#"Basic realm="r""#),
        )
        .post_then_put(
            UPLOADS,
            "https://storage.example/upload/1?sig=abc",
            resp(201),
        )
        .run(&mut m);
    assert_eq!(log[1].1.header("authorization"), Some("Basic dTpw"));
    assert_eq!(log[2].1.header("authorization"), None);
    assert!(m.output().is_ok());
}

/// A blob `HEAD` that still fails with a 5xx after the retries is taken as
/// absent and the blob uploaded again: Distribution answers 500 to `HEAD`
/// of a blob whose repository link a full disk left empty, and only an
/// upload rewrites it (`crate/cli/tests/full_disk.rs` shows it for real).
#[test]
fn head_server_error_after_retries_uploads_again() {
    let (d, data) = blob();
    let mut m = OneOp::with_tries(
        UploadBlob::new(repo(), d, 10, BlobSource::Inline(data), check()),
        2,
    );
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, &blob_url(), resp(500))
        .expect(Method::Head, &blob_url(), resp(500))
        .post_then_put(UPLOADS, "/v2/dst/x/blobs/uploads/s1", resp(201))
        .run(&mut m);
    assert_eq!(m.output().unwrap(), uploaded());
    assert_eq!(log.last().unwrap().1.method, Method::Put);
}

/// Any other refusal of the `HEAD` (here 403) still ends
/// the upload with the registry's answer.
#[test]
fn head_forbidden_is_an_error() {
    let mut m = upload(check());
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, &blob_url(), resp(403))
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert!(e.contains("403"), "{e}");
}
