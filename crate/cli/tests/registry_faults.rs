#![cfg(not(target_arch = "wasm32"))]
//! Copies that meet failures: a fault-injecting proxy, and a registry
//! killed in the middle of a copy.

use airlock_core::plan::{ItemKind, PlannedTag, RelocationPlan};
use airlock_core::reference::Repository;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::copy::{CopyError, CopyEvent, CopyOptions, CopySummary};

use airlock_testkit::support::*;

/// `n` images of `layers` layers of `size` bytes each (one layer shared by
/// all), each tagged `t<i>`.
fn many_images(repo: &Repository, n: usize, layers: usize, size: usize) -> RelocationPlan {
    let shared = bytes(1000, size);
    let mut items = Vec::new();
    let mut tags = Vec::new();
    for i in 0..n {
        let own: Vec<Vec<u8>> = (0..layers)
            .map(|l| bytes((i * 100 + l) as u64, size))
            .collect();
        let mut refs: Vec<&[u8]> = vec![&shared];
        refs.extend(own.iter().map(|v| v.as_slice()));
        let cfg = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"i":"{i}"}}}}}}"#
        );
        let m = image(cfg.as_bytes(), &refs);
        tags.push(PlannedTag {
            tag: format!("t{i}"),
            digest: m.digest,
            media_type: m.media_type.clone(),
            raw: m.raw.clone(),
        });
        items.push(item(repo, ItemKind::Image, m));
    }
    RelocationPlan {
        repository: repo.clone(),
        items,
        locations: vec![],
        tags,
    }
}

#[test]
fn copy_survives_a_fault_injecting_proxy() {
    let reg = TestRegistry::start(Auth::None);
    let seed = std::env::var("AIRLOCK_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let proxy = FaultProxy::start(reg.port, 10, seed);
    let via_proxy = Repository::parse(&format!("{}/dst/app", proxy.host())).unwrap();
    let mut plan = many_images(&via_proxy, 6, 2, 20_000);
    let extra = small_plan(&via_proxy);
    plan.items.extend(extra.items);
    plan.tags.extend(extra.tags);

    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}\nfaults: {:?}", proxy.faults.lock().unwrap()));
    assert!(
        proxy.fault_count() >= 3,
        "faults: {:?}",
        proxy.faults.lock().unwrap()
    );
    assert!(s.retries >= proxy.fault_count() as u64 / 2, "{s:?}");
    eprintln!(
        "seed {seed}: {} requests, {} faults, {s:?}",
        proxy.requests.load(std::sync::atomic::Ordering::SeqCst),
        proxy.fault_count()
    );

    // The final state, read directly from the registry, is complete.
    let mut direct = plan.clone();
    direct.repository = reg.repo("dst/app");
    assert_plan_present(&reg, &direct);
    assert_eq!(
        reg.assert_tags_complete("dst/app"),
        plan.items.len() + plan.tags.len()
    );

    // A second run through the proxy converges to the same state.
    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.items_pushed, 0, "{s:?}");
    assert_plan_present(&reg, &direct);
}

/// Copies `plan` anonymously, `concurrency` operations at once, and kills
/// `reg` at the first event `stop` says to stop at: the copy's result and
/// whether the registry was killed.
fn copy_killing(
    reg: &mut TestRegistry,
    plan: &RelocationPlan,
    concurrency: usize,
    mut stop: impl FnMut(&CopyEvent) -> bool,
) -> (Result<CopySummary, CopyError>, bool) {
    let mut killed = false;
    let options = CopyOptions {
        concurrency,
        ..Default::default()
    };
    let r = copy_anonymous(&transport(), plan, options, &mut |e| {
        if stop(e) && !killed {
            killed = true;
            reg.kill();
        }
    });
    (r, killed)
}

#[test]
fn registry_killed_mid_copy_then_resumed() {
    let mut reg = TestRegistry::start(Auth::None);
    let repo = reg.repo("dst/app");
    let plan = many_images(&repo, 8, 3, 300_000);
    let mut blobs_done = 0;
    let (r, killed) = copy_killing(&mut reg, &plan, 3, |e| {
        if let CopyEvent::BlobDone { .. } = e {
            blobs_done += 1;
        }
        blobs_done == 6
    });
    assert!(killed);
    let e = r
        .expect_err("the copy cannot finish with the registry gone")
        .to_string();
    assert!(e.contains("127.0.0.1"), "{e}");

    reg.restart();
    // No tag points at missing content.
    let partial = reg.assert_tags_complete("dst/app");
    assert!(
        partial < plan.items.len() + plan.tags.len(),
        "the first run should not have completed"
    );

    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert!(
        s.blobs_present >= 1 || s.items_skipped >= 1,
        "the rerun reuses what the first run pushed: {s:?}"
    );
    assert_plan_present(&reg, &plan);
    assert_eq!(
        reg.assert_tags_complete("dst/app"),
        plan.items.len() + plan.tags.len()
    );
}

/// `tag digest` lines of every tag in `repo`, sorted.
fn tag_state(reg: &TestRegistry, repo: &str) -> Vec<String> {
    let mut tags = reg.tags(repo);
    tags.sort();
    tags.into_iter()
        .map(|t| {
            let raw = reg.manifest(repo, &t).expect("listed tag resolves");
            format!("{t} {}", airlock_core::digest::Digest::of(&raw))
        })
        .collect()
}

/// Every tag that resolves points at a manifest whose blobs are all there.
/// A tag the killed registry was writing at that instant may be unreadable
/// (Distribution's filesystem driver does not write tag links atomically):
/// that tag points at nothing, which the rerun repairs.
fn assert_no_tag_points_at_incomplete_content(reg: &TestRegistry, repo: &str, n: usize) {
    for t in reg.tags(repo) {
        let Some(raw) = reg.manifest(repo, &t) else {
            continue;
        };
        let m = airlock_core::manifest::Manifest::parse(raw, None).unwrap();
        let airlock_core::manifest::Manifest::Image(img) = m else {
            panic!("stop point {n}: {t} is not an image")
        };
        for d in std::iter::once(&img.config).chain(&img.layers) {
            let b = reg.blob(repo, &d.digest).unwrap_or_else(|| {
                panic!("stop point {n}: {t} points at missing blob {}", d.digest)
            });
            assert_eq!(
                airlock_core::digest::Digest::of(&b),
                d.digest,
                "stop point {n}: {t}"
            );
        }
    }
}

/// The registry is stopped at several points of a copy (early and late in
/// the blob uploads, among the manifests, in the tagging step); after each
/// stop every tag present points at complete content, and after a restart
/// a second run completes with exactly the state of an uninterrupted copy.
#[test]
fn registry_stopped_at_several_points_then_resumed_matches_a_clean_copy() {
    enum When {
        BlobsDone(usize),
        ManifestsPushed(usize),
        TagsPushed(usize),
    }
    let points = [
        When::BlobsDone(1),
        When::BlobsDone(17),
        When::ManifestsPushed(3),
        When::TagsPushed(2),
    ];
    let mut reg = TestRegistry::start(Auth::None);

    // The reference: an uninterrupted copy into its own repository.
    let clean = reg.repo("dst/clean");
    let (r, _) = copy(
        &many_images(&clean, 6, 3, 200_000),
        Box::new(AnonymousKeychain),
        CopyOptions::default(),
    );
    r.unwrap();
    let want = tag_state(&reg, "dst/clean");
    assert_eq!(want.len(), 12, "6 upload tags + 6 original tags");

    for (n, when) in points.iter().enumerate() {
        let path = format!("dst/stopped{n}");
        let repo = reg.repo(&path);
        let plan = many_images(&repo, 6, 3, 200_000);
        let (mut blobs, mut manifests, mut tags) = (0, 0, 0);
        let (r, killed) = copy_killing(&mut reg, &plan, 2, |e| {
            match e {
                CopyEvent::BlobDone { .. } => blobs += 1,
                CopyEvent::ManifestPushed { .. } => manifests += 1,
                CopyEvent::TagPushed { .. } => tags += 1,
                _ => return false,
            }
            match when {
                When::BlobsDone(k) => blobs == *k,
                When::ManifestsPushed(k) => manifests == *k,
                When::TagsPushed(k) => tags == *k,
            }
        });
        assert!(killed, "stop point {n} was reached");
        assert!(
            r.is_err(),
            "stop point {n}: the copy cannot finish without the registry"
        );
        reg.restart();
        assert_no_tag_points_at_incomplete_content(&reg, &path, n);
        assert!(
            reg.tags(&path).len() < want.len(),
            "stop point {n}: the first run must not have completed"
        );

        let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
        r.unwrap_or_else(|e| panic!("stop point {n}: rerun failed: {e}\n{}", reg.log()));
        assert_plan_present(&reg, &plan);
        assert_eq!(tag_state(&reg, &path), want, "stop point {n}");
    }
}
