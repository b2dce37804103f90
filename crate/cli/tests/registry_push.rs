#![cfg(not(target_arch = "wasm32"))]
//! Pushing plans to a real Distribution registry (no auth).

use std::path::{Path, PathBuf};

use airlock_cli::transport::{run_read, NativeConfig, NativeTransport};
use airlock_core::digest::Digest;
use airlock_core::plan::{BlobSource, RelocationPlan};
use airlock_core::reference::Reference;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::copy::{CopyError, CopyEvent, CopyOptions, CopySummary};
use airlock_core::registry::read::{Read, ReadOutput};
use airlock_core::registry::{Client, ClientConfig};

use airlock_testkit::support::*;

/// Pushes `plan` anonymously with the default options, its tar-entry blobs
/// read from the file `tar`, passing every event to `on_event`.
fn push_from_tar(
    plan: &RelocationPlan,
    tar: &Path,
    on_event: &mut dyn FnMut(&CopyEvent),
) -> Result<CopySummary, CopyError> {
    let t = NativeTransport::new(&NativeConfig::default())
        .unwrap()
        .with_tar_path(tar)
        .unwrap();
    copy_anonymous(&t, plan, CopyOptions::default(), on_event)
}

#[test]
fn push_plan_then_rerun_skips_everything() {
    let reg = TestRegistry::start(Auth::None);
    let repo = reg.repo("dst/app");
    let plan = small_plan(&repo);

    let (r, events) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_eq!(s.items_pushed, 2);
    assert_eq!(s.blobs_uploaded, 7, "{s:?}");
    assert_eq!(s.manifests_pushed, 4);
    assert_eq!(s.tags_pushed, 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, CopyEvent::BlobProgress { .. }))
            || s.bytes_uploaded < 1 << 20
    );
    assert_plan_present(&reg, &plan);
    let mut tags = reg.tags("dst/app");
    tags.sort();
    let mut want: Vec<String> = plan
        .items
        .iter()
        .map(|i| i.tags[0].clone())
        .chain(["v1".to_string()])
        .collect();
    want.sort();
    assert_eq!(tags, want);
    assert_eq!(reg.assert_tags_complete("dst/app"), 3);

    // Second run: everything skipped, one HEAD per item and tag plus the
    // ping (and its http fallback) and the one tag list read before the
    // upload step.
    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap();
    assert_eq!(s.items_skipped, 2);
    assert_eq!(s.items_pushed, 0);
    assert_eq!(s.blobs_uploaded + s.blobs_present + s.blobs_mounted, 0);
    assert_eq!(s.tags_skipped, 1);
    assert!(s.requests <= 2 + 1 + 2 + 1, "{s:?}");
}

#[test]
fn chunked_uploads_work_against_distribution() {
    let reg = TestRegistry::start(Auth::None);
    let repo = reg.repo("dst/chunked");
    let big = bytes(7, 300_000);
    let m = image(br#"{"architecture":"amd64","os":"linux"}"#, &[&big]);
    let plan = one_image_plan(&repo, m);
    let (r, _) = copy(
        &plan,
        Box::new(AnonymousKeychain),
        CopyOptions {
            chunk_size: Some(64 * 1024),
            ..Default::default()
        },
    );
    r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_plan_present(&reg, &plan);
    assert_eq!(reg.blob("dst/chunked", &Digest::of(&big)).unwrap(), big);
}

/// Writes `file` to `src.tar` in a fresh directory and plans one image
/// (config `config`) for `repo` of `reg` whose layer `layer` is read from
/// that file at `offset`: the directory, the plan and the file's path.
fn layer_read_from_file(
    reg: &TestRegistry,
    repo: &str,
    file: &[u8],
    offset: u64,
    config: &[u8],
    layer: &[u8],
) -> (TempDir, RelocationPlan, PathBuf) {
    let dir = TempDir::new("tar-entry");
    let path = dir.path().join("src.tar");
    std::fs::write(&path, file).unwrap();
    let mut m = image(config, &[layer]);
    m.blobs[1].source = BlobSource::TarEntry {
        offset,
        size: layer.len() as u64,
    };
    (dir, one_image_plan(&reg.repo(repo), m), path)
}

#[test]
fn tar_entry_blobs_stream_from_the_file() {
    let reg = TestRegistry::start(Auth::None);
    let layer = bytes(9, 2_500_000);
    let mut file_bytes = b"HEADER-PADDING".to_vec();
    let offset = file_bytes.len() as u64;
    file_bytes.extend(&layer);
    file_bytes.extend(b"TRAILER");
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let (_dir, plan, path) =
        layer_read_from_file(&reg, "dst/tar", &file_bytes, offset, config, &layer);
    let mut progress = Vec::new();
    let r = push_from_tar(&plan, &path, &mut |e| {
        if let CopyEvent::BlobProgress { bytes_sent, .. } = e {
            progress.push(*bytes_sent);
        }
    });
    let s = r.unwrap();
    assert_eq!(
        s.bytes_uploaded,
        layer.len() as u64 + plan.items[0].manifest.blobs[0].size
    );
    assert!(progress.contains(&(layer.len() as u64)), "{progress:?}");
    assert_eq!(reg.blob("dst/tar", &Digest::of(&layer)).unwrap(), layer);
}

#[test]
fn corrupt_tar_entry_is_reported_before_the_upload_completes() {
    let reg = TestRegistry::start(Auth::None);
    let layer = bytes(11, 10_000);
    let mut on_disk = layer.clone();
    on_disk[5000] ^= 0xff;
    let (_dir, plan, path) = layer_read_from_file(&reg, "dst/corrupt", &on_disk, 0, b"{}", &layer);
    let r = push_from_tar(&plan, &path, &mut |_| {});
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("error verifying sha256 checksum after reading 10000 bytes"),
        "{e}"
    );
    assert!(
        e.starts_with(&format!("pushing blob {}", Digest::of(&layer))),
        "{e}"
    );
    assert!(reg.blob("dst/corrupt", &Digest::of(&layer)).is_none());
}

#[test]
fn read_helpers_against_distribution() {
    let reg = TestRegistry::start(Auth::None);
    let repo = reg.repo("dst/read");
    let plan = small_plan(&repo);
    copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default())
        .0
        .unwrap();
    let t = transport();
    let client = Client::new(ClientConfig::default(), Box::new(AnonymousKeychain));

    let v1 = Reference::parse(&format!("{}:v1", repo.name())).unwrap();
    let mut r = Read::resolve_digest(client, &v1);
    assert_eq!(
        run_read(&t, &mut r).unwrap(),
        ReadOutput::Digest(Some(plan.tags[0].digest))
    );

    let mut r = Read::fetch_image(r.into_client(), &v1, true);
    match run_read(&t, &mut r).unwrap() {
        ReadOutput::Image(Some(img)) => {
            assert_eq!(img.manifest.raw, *plan.tags[0].raw);
            assert_eq!(img.manifest.media_type, OCI_MANIFEST);
            let cfg = &plan.items[1].manifest.blobs[0];
            assert_eq!(Digest::of(img.config.as_ref().unwrap()), cfg.digest);
        }
        o => panic!("{o:?}"),
    }

    let mut r = Read::exists(
        r.into_client(),
        &repo,
        &plan.items[0].manifest.children[0].digest,
    );
    assert_eq!(run_read(&t, &mut r).unwrap(), ReadOutput::Exists(true));
    let mut r = Read::exists(r.into_client(), &repo, &Digest::of(b"nope"));
    assert_eq!(run_read(&t, &mut r).unwrap(), ReadOutput::Exists(false));

    let mut r = Read::fetch_locations(r.into_client(), &repo, &Digest::of(b"no bundle"));
    assert_eq!(run_read(&t, &mut r).unwrap(), ReadOutput::Locations(None));

    let mut r = Read::list_tags(r.into_client(), &repo);
    match run_read(&t, &mut r).unwrap() {
        ReadOutput::Tags(mut tags) => {
            tags.sort();
            assert_eq!(tags.len(), 3);
            assert!(tags.contains(&"v1".to_string()));
        }
        o => panic!("{o:?}"),
    }
    // With a page size: Distribution 2.8 ignores `n` for tags (pagination
    // came in 3.0) and answers everything at once; the scenario tests cover
    // `Link` pagination.
    let mut r = Read::list_tags_paged(r.into_client(), &repo, 1);
    match run_read(&t, &mut r).unwrap() {
        ReadOutput::Tags(tags) => assert_eq!(tags.len(), 3),
        o => panic!("{o:?}"),
    }
    // Missing manifests are None, not errors.
    let missing = Reference::parse(&format!("{}:absent", repo.name())).unwrap();
    let mut r = Read::fetch_image(r.into_client(), &missing, true);
    assert_eq!(run_read(&t, &mut r).unwrap(), ReadOutput::Image(None));
}

#[test]
fn cross_registry_blobs_are_piped_and_same_registry_blobs_mounted() {
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
    let src_repo = src.repo("src/app");
    let seed = small_plan(&src_repo);
    copy(&seed, Box::new(AnonymousKeychain), CopyOptions::default())
        .0
        .unwrap();

    // Same plan, blobs now sourced from the source registry.
    // Other registry: streamed through.
    let dst_repo = dst.repo("dst/app");
    let p = sourced_from(&seed, &src_repo, &dst_repo);
    let (r, _) = copy(&p, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.blobs_uploaded, 7);
    assert_plan_present(&dst, &p);

    // Same registry, other repo: mounted.
    let same = src.repo("mirror/app");
    let p = sourced_from(&seed, &src_repo, &same);
    let (r, _) = copy(&p, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap();
    assert_eq!(s.blobs_mounted, 7, "{s:?}");
    assert_eq!(s.blobs_uploaded, 0);
    assert_plan_present(&src, &p);
}
