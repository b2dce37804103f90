//! The copy session's chunked uploads: a 413 fallback found once is kept
//! for the rest of the push, and the summary says which mode was used.

use airlock_core::plan::RelocationPlan;
use airlock_core::reference::Repository;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::client::{Client, ClientConfig};
use airlock_core::registry::copy::{CopyOptions, CopySession};
use airlock_core::registry::http::Method;
use airlock_core::registry::upload_chunks::{ChunkReason, UploadMode};
use airlock_testkit::scenario::FakeRegistry;
use airlock_testkit::synth::plans::{image, one_image_plan};

const MIB: usize = 1 << 20;

/// One image with three 1 MiB layers.
fn plan() -> RelocationPlan {
    let r = Repository::parse("reg.example/dst/x").unwrap();
    let layers: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; MIB]).collect();
    let refs: Vec<&[u8]> = layers.iter().map(|l| l.as_slice()).collect();
    let img = image(b"{\"config\":\"big\"}", &refs);
    one_image_plan(&r, img)
}

fn run(reg: &mut FakeRegistry, options: CopyOptions) -> airlock_core::registry::CopySummary {
    let client = Client::new(ClientConfig::default(), Box::new(AnonymousKeychain));
    let p = plan();
    let mut s = CopySession::new(client, p.clone(), options);
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    for b in p.unique_blobs() {
        assert_eq!(
            reg.blobs.get(&b.digest).map(|v| v.len() as u64),
            Some(b.size)
        );
    }
    summary
}

#[test]
fn a_413_fallback_is_kept_for_the_rest_of_the_push() {
    let mut reg = FakeRegistry::new();
    reg.max_body = Some(600 << 10);
    let summary = run(
        &mut reg,
        CopyOptions {
            concurrency: 1,
            ..Default::default()
        },
    );
    let put_large = reg
        .requests
        .iter()
        .filter(|(m, u)| *m == Method::Put && u.contains("/blobs/uploads/"))
        .count();
    // Three layers and the config: one refused PUT, then chunks.
    assert_eq!(put_large, 4 + 1, "{:?}", reg.requests);
    assert_eq!(summary.chunked_blobs, 3, "{summary:?}");
    assert_eq!(
        summary.upload_mode,
        UploadMode::Chunked {
            chunk_size: 512 << 10,
            reason: ChunkReason::TooLarge
        }
    );
    let patches = reg
        .requests
        .iter()
        .filter(|(m, _)| *m == Method::Patch)
        .count();
    assert_eq!(patches, 6);
}

#[test]
fn a_requested_chunk_size_is_reported_as_requested() {
    let mut reg = FakeRegistry::new();
    let summary = run(
        &mut reg,
        CopyOptions {
            chunk_size: Some(256 << 10),
            ..Default::default()
        },
    );
    assert_eq!(summary.chunked_blobs, 3);
    assert_eq!(
        summary.upload_mode,
        UploadMode::Chunked {
            chunk_size: 256 << 10,
            reason: ChunkReason::Requested
        }
    );
}

#[test]
fn without_limits_uploads_stay_monolithic() {
    let mut reg = FakeRegistry::new();
    let summary = run(&mut reg, CopyOptions::default());
    assert_eq!(summary.chunked_blobs, 0);
    assert_eq!(summary.upload_mode, UploadMode::Monolithic);
    assert!(!reg.requests.iter().any(|(m, _)| *m == Method::Patch));
}

#[test]
fn blobs_known_in_another_repository_are_mounted_from_there() {
    let mut reg = FakeRegistry::new();
    let first = run(&mut reg, CopyOptions::default());
    assert_eq!(first.blobs_uploaded, 4);
    // The same image into another repository of the registry, told where
    // the blobs are.
    let mut p = plan();
    let x = p.repository.clone();
    p.repository = Repository::parse("reg.example/dst/y").unwrap();
    let known = p
        .unique_blobs()
        .iter()
        .map(|b| (b.digest, x.clone()))
        .collect();
    let client = Client::new(ClientConfig::default(), Box::new(AnonymousKeychain));
    let mut s = CopySession::new(
        client,
        p,
        CopyOptions {
            mount_known: known,
            ..Default::default()
        },
    );
    let before = reg.requests.len();
    reg.drive(&mut s);
    let second = s.result().unwrap().unwrap();
    assert_eq!(
        (second.blobs_mounted, second.blobs_uploaded),
        (4, 0),
        "{second:?}"
    );
    assert!(reg.requests[before..]
        .iter()
        .any(|(m, u)| *m == Method::Post
            && u.contains("mount=sha256")
            && u.contains("from=dst%2Fx")));
    assert!(!reg.requests[before..]
        .iter()
        .any(|(m, _)| *m == Method::Patch));
}
