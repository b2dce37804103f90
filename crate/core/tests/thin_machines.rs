//! The thin transfers' sequencing, as the CLI and the page both drive it:
//! `ThinCheck` (the thin import check) and `ReceiptWalk` (making a
//! receipt), through scripted exchanges (each request exactly as expected).

use airlock_core::digest::Digest;
use airlock_core::reference::Repository;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::http::{HttpResponse, Method};
use airlock_core::registry::receipt_walk::ReceiptWalk;
use airlock_core::registry::thin_check::{ThinCheck, ThinCheckError, ThinCheckOutcome};
use airlock_core::registry::{Client, ClientConfig};
use airlock_core::thin::{Omitted, OmittedBlob, Promise, KIND, VERSION};
use airlock_testkit::scenario::{resp, RespExt, Scenario};

fn client() -> Client {
    Client::new(ClientConfig::default(), Box::new(AnonymousKeychain))
}

fn repo(path: &str) -> Repository {
    Repository::parse(&format!("reg.example/{path}")).unwrap()
}

fn digest(c: char) -> Digest {
    Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
}

/// Two omitted layers: `a`, and `b` that the receipt saw in `other/repo`.
fn omitted(registry: &str) -> Omitted {
    let blob = |d: Digest, repositories: Vec<String>| OmittedBlob {
        digest: d.to_string(),
        size: 10,
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
        images: vec!["src.example/app@sha256:1".into()],
        promise: 0,
        repositories,
    };
    Omitted {
        kind: KIND.into(),
        version: VERSION,
        promises: vec![Promise {
            kind: "receipt".into(),
            file: "receipt.json".into(),
            registry: Some(registry.into()),
            created_at: Some("2026-12-02T00:00:00Z".into()),
        }],
        blobs: vec![
            blob(digest('a'), vec!["dst/app".into()]),
            blob(digest('b'), vec!["other/repo".into()]),
        ],
    }
}

fn blob_url(path: &str, d: Digest) -> String {
    format!("/v2/{path}/blobs/{d}")
}

/// The thin check of [`omitted`] into `reg.example/dst/app`, the registry
/// answering the `HEAD`s expected: (repository, layer, answer) in order.
fn thin_check(heads: Vec<(&str, char, HttpResponse)>) -> Result<ThinCheckOutcome, ThinCheckError> {
    let dst = repo("dst/app");
    let mut check = ThinCheck::new(client(), "thin.tar", &omitted("reg.example"), &dst);
    let mut scenario = Scenario::new().ping_ok("reg.example");
    for (path, layer, answer) in heads {
        scenario = scenario.expect(Method::Head, &blob_url(path, digest(layer)), answer);
    }
    scenario.run(&mut check);
    check.take_result().unwrap()
}

#[test]
fn thin_check_heads_the_destination_then_the_receipts_other_repositories() {
    let found = || resp(200).h("Content-Length", "10");
    let outcome = thin_check(vec![
        ("dst/app", 'a', found()),
        ("dst/app", 'b', resp(404)),
        ("other/repo", 'b', found()),
    ])
    .unwrap();
    let dst = repo("dst/app");
    assert_eq!(outcome.found[&digest('a')], dst);
    assert_eq!(outcome.found[&digest('b')], repo("other/repo"));
    assert_eq!(outcome.present(), vec![digest('a')]);
    assert_eq!(outcome.to_mount(), 1);
    assert_eq!(
        outcome.to_string(),
        "thin tar: all 2 omitted layers (20 B) are in the registry (1 to mount from other repositories)"
    );
}

#[test]
fn thin_check_all_present_asks_nothing_more() {
    let outcome = thin_check(vec![
        ("dst/app", 'a', resp(200)),
        ("dst/app", 'b', resp(200)),
    ])
    .unwrap();
    assert_eq!(outcome.present(), vec![digest('a'), digest('b')]);
}

#[test]
fn thin_check_lists_each_missing_layer_with_its_images_and_promise() {
    let err = thin_check(vec![
        ("dst/app", 'a', resp(200)),
        ("dst/app", 'b', resp(404)),
        ("other/repo", 'b', resp(404)),
    ])
    .unwrap_err();
    match &err {
        ThinCheckError::Missing { missing, total, .. } => {
            assert_eq!(*total, 2);
            assert_eq!(missing.len(), 1);
            assert_eq!(missing[0].digest, digest('b').to_string());
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "thin.tar is a thin tar, and 1 of its 2 omitted layer(s) are not in reg.example/dst/app (nor in the repositories its receipts name); nothing was pushed:\n  {} (10 bytes), needed by src.example/app@sha256:1; promised by receipt receipt.json\nImport the tar those layers came with first, or export again against a fresh receipt",
            digest('b')
        )
    );
}

#[test]
fn thin_check_refuses_a_receipt_of_another_registry_without_a_request() {
    let mut check = ThinCheck::new(
        client(),
        "thin.tar",
        &omitted("elsewhere.example"),
        &repo("dst/app"),
    );
    Scenario::new().run(&mut check);
    let err = check.take_result().unwrap().unwrap_err();
    assert!(
        matches!(err, ThinCheckError::OtherRegistry { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("elsewhere.example"), "{err}");
}

#[test]
fn receipt_walk_lists_tags_then_manifests_level_by_level() {
    let layer = digest('c');
    let config = digest('d');
    let image = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":5}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":7}}]}}"#
    );
    let image_digest = Digest::of(image.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{image_digest}","size":{}}}]}}"#,
        image.len()
    );
    let oci = |body: &str, mt: &str| resp(200).h("Content-Type", mt).body(body.as_bytes());
    let mut walk = ReceiptWalk::new(client(), &[repo("dst/app")], "2026-12-02T00:00:00Z", 4);
    Scenario::new()
        .ping_ok("reg.example")
        .expect(
            Method::Get,
            "/v2/dst/app/tags/list?n=1000",
            resp(200).body(br#"{"name":"dst/app","tags":["v2","v1"]}"#),
        )
        .expect(
            Method::Get,
            "/v2/dst/app/manifests/v1",
            oci(&index, "application/vnd.oci.image.index.v1+json"),
        )
        .expect(
            Method::Get,
            "/v2/dst/app/manifests/v2",
            oci(&image, "application/vnd.oci.image.manifest.v1+json"),
        )
        .run(&mut walk);
    let r = walk.take_result().unwrap().unwrap();
    assert_eq!(r.registry, "reg.example");
    let rec = &r.repositories[0];
    assert_eq!(rec.tags.len(), 2);
    assert_eq!(rec.tags["v2"], image_digest);
    // The index's child is v2's image, already seen: no third GET.
    assert_eq!(rec.manifests.len(), 2);
    assert_eq!(rec.blobs.iter().map(|b| b.digest).collect::<Vec<_>>(), {
        let mut v = vec![layer, config];
        v.sort();
        v
    });
    let c = r.counts();
    assert_eq!((c.tags, c.manifests, c.blobs, c.blob_bytes), (2, 2, 2, 12));
}

#[test]
fn receipt_walk_refuses_mixed_registries_and_no_repository() {
    let mut walk = ReceiptWalk::new(
        client(),
        &[repo("a/b"), Repository::parse("other.example/a/b").unwrap()],
        "t",
        4,
    );
    Scenario::new().run(&mut walk);
    assert!(walk
        .take_result()
        .unwrap()
        .unwrap_err()
        .to_string()
        .contains("different registries"));
    let mut walk = ReceiptWalk::new(client(), &[], "t", 4);
    Scenario::new().run(&mut walk);
    assert!(walk.take_result().unwrap().is_err());
}
