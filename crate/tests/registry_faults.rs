#![cfg(not(target_arch = "wasm32"))]
//! Copies that meet failures: a fault-injecting proxy, and a registry
//! killed in the middle of a copy.

mod support;

use airlock::plan::{ItemKind, PlannedTag, RelocationPlan};
use airlock::reference::Repository;
use airlock::registry::auth::AnonymousKeychain;
use airlock::registry::copy::{CopyEvent, CopyOptions};
use airlock::registry::ClientConfig;

use support::*;

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

#[test]
fn registry_killed_mid_copy_then_resumed() {
    let mut reg = TestRegistry::start(Auth::None);
    let repo = reg.repo("dst/app");
    let plan = many_images(&repo, 8, 3, 300_000);
    let t = transport();
    let mut blobs_done = 0;
    let mut killed = false;
    let (r, _) = {
        let reg_ref = &mut reg;
        copy_with(
            &t,
            &plan,
            Box::new(AnonymousKeychain),
            CopyOptions {
                concurrency: 3,
                ..Default::default()
            },
            ClientConfig::default(),
            &mut |e| {
                if let CopyEvent::BlobDone { .. } = e {
                    blobs_done += 1;
                    if blobs_done == 6 && !killed {
                        killed = true;
                        reg_ref.kill();
                    }
                }
            },
        )
    };
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
