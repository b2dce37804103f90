//! Manifest and tag operations, and the upload probe.

use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_core::reference::Repository;
use airlock_core::registry::http::{HttpResponse, Method};
use airlock_core::registry::manifest_get::GetManifest;
use airlock_core::registry::manifest_head::HeadManifest;
use airlock_core::registry::manifest_put::PutManifest;
use airlock_core::registry::op::{OpOutput, UploadProbeOutcome};
use airlock_core::registry::tags_list::{parse_next_link, ListTags};
use airlock_core::registry::upload_probe::UploadProbe;
use airlock_core::registry::RegistryError;
use airlock_testkit::scenario::{resp, OneOp, RespExt, Scenario};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[]}"#;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn repo() -> Repository {
    Repository::parse("reg.example/dst/x").unwrap()
}

fn manifest_url(reference: &str) -> String {
    format!("https://reg.example/v2/dst/x/manifests/{reference}")
}

/// `PUT dst/x:v1` of [`MANIFEST`].
fn put_v1() -> OneOp {
    OneOp::new(PutManifest::new(
        repo(),
        "v1",
        OCI_MANIFEST,
        Arc::new(MANIFEST.to_vec()),
    ))
}

/// Pings, then answers `method dst/x:reference` with `answer`.
fn answer(m: &mut OneOp, method: Method, reference: &str, answer: HttpResponse) {
    Scenario::new()
        .ping_ok("reg.example")
        .expect(method, &manifest_url(reference), answer)
        .run(m);
}

#[test]
fn get_by_digest_verifies_content() {
    let good = Digest::of(MANIFEST);
    let mut m = OneOp::new(GetManifest::new(repo(), good.to_string(), "pull"));
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Get,
            &manifest_url(&good.to_string()),
            resp(200)
                .h("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(MANIFEST),
        )
        .run(&mut m);
    assert!(log[1]
        .1
        .header("accept")
        .unwrap()
        .contains("application/vnd.oci.image.index.v1+json"));
    match m.output().unwrap() {
        OpOutput::Manifest(Some(f)) => {
            assert_eq!(f.digest, good);
            assert_eq!(f.raw, MANIFEST);
            assert_eq!(f.media_type, "application/vnd.oci.image.manifest.v1+json");
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn get_by_digest_rejects_other_content() {
    let want = Digest::of(b"something else");
    let mut m = OneOp::new(GetManifest::new(repo(), want.to_string(), "pull"));
    answer(
        &mut m,
        Method::Get,
        &want.to_string(),
        resp(200).body(MANIFEST),
    );
    match m.output().unwrap_err() {
        RegistryError::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, want);
            assert_eq!(actual, Digest::of(MANIFEST));
        }
        e => panic!("{e}"),
    }
}

#[test]
fn get_by_tag_checks_docker_content_digest_and_guesses_media_type() {
    // MANIFEST served as plain JSON, as some registries do.
    let get_v1 = |answer_with: HttpResponse| {
        let mut m = OneOp::new(GetManifest::new(repo(), "v1", "pull"));
        let served = answer_with
            .h("Content-Type", "application/json")
            .body(MANIFEST);
        answer(&mut m, Method::Get, "v1", served);
        m.output()
    };
    let other = Digest::of(b"x").to_string();
    assert!(matches!(
        get_v1(resp(200).h("Docker-Content-Digest", &other)),
        Err(RegistryError::DigestMismatch { .. })
    ));
    match get_v1(resp(200)).unwrap() {
        OpOutput::Manifest(Some(f)) => {
            assert_eq!(f.media_type, "application/vnd.oci.image.manifest.v1+json")
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn head_without_digest_header_falls_back_to_get() {
    let mut m = OneOp::new(HeadManifest::new(repo(), "v1", "pull"));
    Scenario::new()
        .ping_ok("reg.example")
        .expect(Method::Head, &manifest_url("v1"), resp(200))
        .expect(Method::Get, &manifest_url("v1"), resp(200).body(MANIFEST))
        .run(&mut m);
    match m.output().unwrap() {
        OpOutput::ManifestDescriptor(Some(d)) => {
            assert_eq!(d.digest, Digest::of(MANIFEST));
            assert_eq!(d.size, MANIFEST.len() as u64);
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn head_404_is_absent_without_get() {
    let mut m = OneOp::new(HeadManifest::new(repo(), "v1", "pull"));
    answer(&mut m, Method::Head, "v1", resp(404));
    assert_eq!(m.output().unwrap(), OpOutput::ManifestDescriptor(None));
}

#[test]
fn put_sends_media_type_and_raw_bytes() {
    let raw = Arc::new(MANIFEST.to_vec());
    let d = Digest::of(MANIFEST);
    let mut m = OneOp::new(PutManifest::new(repo(), "v1", OCI_MANIFEST, raw.clone()));
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Put,
            &manifest_url("v1"),
            resp(201).h("Docker-Content-Digest", &d.to_string()),
        )
        .run(&mut m);
    assert_eq!(
        log[1].1.header("content-type"),
        Some("application/vnd.oci.image.manifest.v1+json")
    );
    assert_eq!(
        log[1].1.body,
        airlock_core::registry::RequestBody::Bytes(raw)
    );
    assert_eq!(m.output().unwrap(), OpOutput::ManifestPut(d));
}

#[test]
fn put_with_other_docker_content_digest_fails() {
    let mut m = put_v1();
    answer(
        &mut m,
        Method::Put,
        "v1",
        resp(201).h(
            "Docker-Content-Digest",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ),
    );
    let e = m.output().unwrap_err();
    assert!(matches!(e, RegistryError::PushedDigestMismatch { .. }));
    assert!(e.to_string().contains("reg.example/dst/x:v1"), "{e}");
}

#[test]
fn put_error_with_non_json_body() {
    let mut m = put_v1();
    answer(
        &mut m,
        Method::Put,
        "v1",
        resp(413).body(b"<html><body>Request Entity Too Large</body></html>"),
    );
    assert_eq!(
        m.output().unwrap_err().to_string(),
        "PUT https://reg.example/v2/dst/x/manifests/v1: unexpected status code 413 Request Entity Too Large: <html><body>Request Entity Too Large</body></html>"
    );
}

#[test]
fn put_error_envelope_is_typed() {
    let mut m = put_v1();
    answer(&mut m, Method::Put, "v1", resp(400).body(br#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:abc"}]}"#));
    let e = m.output().unwrap_err();
    assert!(e.has_code("MANIFEST_BLOB_UNKNOWN"));
    assert_eq!(e.status(), Some(400));
}

#[test]
fn tags_follow_link_pagination() {
    let mut m = OneOp::new(ListTags::new(repo()));
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Get,
            "https://reg.example/v2/dst/x/tags/list?n=1000",
            resp(200)
                .h("Link", r#"</v2/dst/x/tags/list?last=b&n=1000>; rel="next""#)
                .body(br#"{"name":"dst/x","tags":["a","b"]}"#),
        )
        .expect(
            Method::Get,
            "https://reg.example/v2/dst/x/tags/list?last=b&n=1000",
            resp(200).body(br#"{"name":"dst/x","tags":["c"]}"#),
        )
        .run(&mut m);
    assert_eq!(log.len(), 3);
    assert_eq!(
        m.output().unwrap(),
        OpOutput::Tags(vec!["a".into(), "b".into(), "c".into()])
    );
}

#[test]
fn link_header_parsing() {
    assert_eq!(
        parse_next_link(r#"</v2/x/tags/list?n=1&last=a>; rel="next""#).as_deref(),
        Some("/v2/x/tags/list?n=1&last=a")
    );
    assert_eq!(
        parse_next_link(r#"<http://h/p>; rel=prev, <http://h/q>; rel=next"#).as_deref(),
        Some("http://h/q")
    );
    assert_eq!(parse_next_link(r#"<http://h/p>; rel="prev""#), None);
}

/// An upload probe of `dst/x`, the registry answering its `POST` with
/// `post`, then as `then` adds: the probe's output.
fn probe_upload(
    post: HttpResponse,
    then: impl FnOnce(Scenario) -> Scenario,
) -> Result<OpOutput, RegistryError> {
    let mut m = OneOp::new(UploadProbe::new(repo()));
    let posted = Scenario::new().ping_ok("reg.example").expect(
        Method::Post,
        "/v2/dst/x/blobs/uploads/",
        post,
    );
    then(posted).run(&mut m);
    m.output()
}

#[test]
fn upload_probe_starts_an_upload_and_cancels_it() {
    let mut m = OneOp::new(UploadProbe::new(repo()));
    let session = "https://reg.example/v2/dst/x/blobs/uploads/u1?_state=s";
    let started = resp(202).h("Location", "/v2/dst/x/blobs/uploads/u1?_state=s");
    let log = Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Post,
            "https://reg.example/v2/dst/x/blobs/uploads/",
            started,
        )
        .expect(Method::Delete, session, resp(204))
        .run(&mut m);
    assert_eq!(log.len(), 3);
    assert_eq!(
        m.output().unwrap(),
        OpOutput::UploadProbe(UploadProbeOutcome::Started {
            location: session.into(),
            cancelled: true,
        })
    );
}

#[test]
fn upload_probe_reports_a_refused_delete_and_a_hidden_location() {
    let started = resp(202).h("Location", "https://reg.example/v2/dst/x/blobs/uploads/u2");
    let out = probe_upload(started, |s| {
        s.expect(Method::Delete, "/v2/dst/x/blobs/uploads/u2", resp(405))
    });
    assert!(matches!(
        out.unwrap(),
        OpOutput::UploadProbe(UploadProbeOutcome::Started {
            cancelled: false,
            ..
        })
    ));

    assert_eq!(
        probe_upload(resp(202), |s| s).unwrap(),
        OpOutput::UploadProbe(UploadProbeOutcome::NoLocation)
    );
}

#[test]
fn upload_probe_without_push_permission_keeps_the_envelope_and_deletes_nothing() {
    let denied = resp(403).body(
        br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
    );
    let err = probe_upload(denied, |s| s).unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.has_code("DENIED"), "{err}");
    assert_eq!(
        err.to_string(),
        "POST https://reg.example/v2/dst/x/blobs/uploads/: DENIED: requested access to the resource is denied"
    );
}
