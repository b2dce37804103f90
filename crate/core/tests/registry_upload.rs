use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_core::plan::BlobSource;
use airlock_core::reference::Repository;
use airlock_core::registry::blob_upload::{UploadBlob, UploadOptions};
use airlock_core::registry::http::{Method, RequestBody, TransportError, TransportErrorKind};
use airlock_core::registry::op::{BlobOutcome, OpOutput};
use airlock_testkit::scenario::{resp, OneOp, RespExt, Scenario};

const HOST: &str = "reg.example";

fn repo() -> Repository {
    Repository::parse("reg.example/dst/x").unwrap()
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
    let (d, _) = blob();
    let mut m = upload(check());
    Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Head,
            &format!("/v2/dst/x/blobs/{d}"),
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
        .expect(Method::Head, "/blobs/sha256:", resp(404))
        .expect(
            Method::Post,
            "https://reg.example/v2/dst/x/blobs/uploads/",
            resp(202).h(
                "Location",
                "https://reg.example/v2/dst/x/blobs/uploads/abc?_state=xyz",
            ),
        )
        .expect(
            Method::Put,
            "/uploads/abc?_state=xyz&digest=sha256%3A",
            resp(201),
        )
        .run(&mut m);
    assert_eq!(
        m.output().unwrap(),
        OpOutput::Blob(BlobOutcome::Uploaded { bytes: 10 })
    );
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
    let mut m = upload(UploadOptions::default());
    Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Post,
            "/blobs/uploads/",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/u1"),
        )
        .expect(
            Method::Put,
            "https://reg.example/v2/dst/x/blobs/uploads/u1?digest=sha256%3A",
            resp(201),
        )
        .run(&mut m);
    assert!(m.output().is_ok());
}

#[test]
fn missing_location_is_a_protocol_error() {
    let mut m = upload(UploadOptions::default());
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Post, "/blobs/uploads/", resp(202))
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert!(e.contains("no Location header"), "{e}");
}

#[test]
fn mount_201_is_done() {
    let (d, _) = blob();
    let mut m = upload(UploadOptions {
        check_exists: true,
        mount_from: Some(Repository::parse("reg.example/src/y").unwrap()),
        chunk_size: None,
    });
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, "/blobs/", resp(404))
        .expect(
            Method::Post,
            &format!(
                "/v2/dst/x/blobs/uploads/?mount={}&from=src%2Fy",
                d.to_string().replace(':', "%3A")
            ),
            resp(201),
        )
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Mounted));
}

#[test]
fn mount_202_falls_back_to_upload_at_that_location() {
    let mut m = upload(UploadOptions {
        check_exists: false,
        mount_from: Some(Repository::parse("reg.example/src/y").unwrap()),
        chunk_size: None,
    });
    Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Post,
            "?mount=",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/m?_state=1"),
        )
        .expect(Method::Put, "/uploads/m?_state=1&digest=", resp(201))
        .run(&mut m);
    assert_eq!(
        m.output().unwrap(),
        OpOutput::Blob(BlobOutcome::Uploaded { bytes: 10 })
    );
}

#[test]
fn refused_mount_retries_without_mount() {
    let mut m = upload(UploadOptions {
        check_exists: false,
        mount_from: Some(Repository::parse("reg.example/src/y").unwrap()),
        chunk_size: None,
    });
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Post, "?mount=", resp(404))
        .expect(
            Method::Post,
            "/blobs/uploads/",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/n"),
        )
        .expect(Method::Put, "/uploads/n?digest=", resp(201))
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
            "/blobs/uploads/",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/c?_state=0"),
        )
        .expect(
            Method::Patch,
            "/uploads/c?_state=0",
            resp(202)
                .h("Location", "/v2/dst/x/blobs/uploads/c?_state=4")
                .h("Range", "0-3"),
        )
        .expect(
            Method::Patch,
            "/uploads/c?_state=4",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/c?_state=8"),
        )
        .expect(
            Method::Patch,
            "/uploads/c?_state=8",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/c?_state=10"),
        )
        .expect(Method::Put, "/uploads/c?_state=10&digest=", resp(201))
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
        OpOutput::Blob(BlobOutcome::Uploaded { bytes: 10 })
    );
}

#[test]
fn dropped_put_restarts_from_head() {
    let mut m = upload(check());
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Head, "/blobs/", resp(404))
        .expect(
            Method::Post,
            "/blobs/uploads/",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/a?_state=1"),
        )
        .expect_err(
            Method::Put,
            "/uploads/a",
            TransportError::new(TransportErrorKind::Io, "connection reset"),
        )
        .expect(Method::Head, "/blobs/", resp(404))
        .expect(
            Method::Post,
            "/blobs/uploads/",
            resp(202).h("Location", "/v2/dst/x/blobs/uploads/b?_state=1"),
        )
        .expect(Method::Put, "/uploads/b", resp(201))
        .run(&mut m);
    // The restart waited for the backoff.
    assert_eq!(log[3].0, 0);
    assert_eq!(log[4].0, 100);
    assert!(m.output().is_ok());
}

#[test]
fn lost_upload_session_restarts() {
    let mut m = upload(UploadOptions::default());
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Post, "/blobs/uploads/", resp(202).h("Location", "/v2/dst/x/blobs/uploads/a"))
        .expect(Method::Put, "/uploads/a", resp(404).body(br#"{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry"}]}"#))
        .expect(Method::Head, "/blobs/", resp(200))
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Present));
}

#[test]
fn digest_invalid_is_reported_with_code() {
    let mut m = upload(UploadOptions::default());
    Scenario::new()
        .ping_ok(HOST)
        .expect(Method::Post, "/blobs/uploads/", resp(202).h("Location", "/v2/dst/x/blobs/uploads/a"))
        .expect(Method::Put, "/uploads/a", resp(400).body(br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#))
        .run(&mut m);
    let e = m.output().unwrap_err();
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
        .expect(
            Method::Post,
            "https://reg.example/v2/dst/x/blobs/uploads/",
            resp(202).h("Location", "https://storage.example/upload/1?sig=abc"),
        )
        .expect(
            Method::Put,
            "https://storage.example/upload/1?sig=abc&digest=",
            resp(201),
        )
        .run(&mut m);
    assert_eq!(log[1].1.header("authorization"), Some("Basic dTpw"));
    assert_eq!(log[2].1.header("authorization"), None);
    assert!(m.output().is_ok());
}
