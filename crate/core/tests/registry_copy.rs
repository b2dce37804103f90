//! The copy session against an in-memory registry.

use airlock_core::digest::Digest;
use airlock_core::plan::{BlobSource, ItemKind, PlannedTag, RelocationPlan};
use airlock_core::reference::Repository;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::client::{Client, ClientConfig};
use airlock_core::registry::copy::{
    CopyError, CopyEvent, CopyOptions, CopySession, CopyStep, VerifyAfterWrite,
};
use airlock_core::registry::http::Method;
use airlock_core::registry::Machine;
use airlock_testkit::scenario::{FakeRegistry, RespExt};

use airlock_testkit::synth::plans::{image, index, item, one_image_plan};

fn repo() -> Repository {
    Repository::parse("reg.example/dst/x").unwrap()
}

fn plan() -> RelocationPlan {
    let r = repo();
    let shared = b"shared layer".as_slice();
    let a = image(b"{\"config\":\"a\"}", &[shared, b"layer a"]);
    let b = image(b"{\"config\":\"b\"}", &[shared, b"layer b"]);
    let c = image(b"{\"config\":\"c\"}", &[b"layer c"]);
    let idx = index(vec![a, b]);
    let loc = image(b"{\"config\":\"loc\"}", &[b"locations layer"]);
    let idx_item = item(&r, ItemKind::Index, idx.clone());
    let c_item = item(&r, ItemKind::Image, c.clone());
    let loc_tag = format!("{}.image-locations.imgpkg", c.digest.tag_form());
    let mut loc_item = item(&r, ItemKind::Locations, loc);
    loc_item.tags.insert(0, loc_tag);
    RelocationPlan {
        repository: r,
        items: vec![idx_item, c_item],
        locations: vec![loc_item],
        tags: vec![PlannedTag {
            tag: "v1".into(),
            digest: c.digest,
            media_type: c.media_type.clone(),
            raw: c.raw.clone(),
        }],
    }
}

fn session(plan: RelocationPlan, options: CopyOptions) -> CopySession {
    let client = Client::new(ClientConfig::default(), Box::new(AnonymousKeychain));
    CopySession::new(client, plan, options)
}

/// The protocol without the tag list and with every upload tag read back:
/// a `HEAD` before every blob, manifest and tag (what the copy does when
/// the tag list is unavailable).
fn check_all() -> CopyOptions {
    CopyOptions {
        list_tags: false,
        verify: VerifyAfterWrite::Always,
        ..Default::default()
    }
}

fn events(s: &mut CopySession) -> Vec<CopyEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn copies_everything_then_skips_on_rerun() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), check_all());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    // 9 distinct blobs: configs a, b, c, loc; layers shared, a, b, c, loc.
    assert_eq!(summary.blobs_uploaded, 9);
    assert_eq!(summary.items_pushed, 3);
    assert_eq!(summary.manifests_pushed, 5);
    assert_eq!(
        summary.tags_pushed, 2,
        "v1 and the locations image's second tag"
    );
    // The shared layer was uploaded once.
    let shared = Digest::of(b"shared layer");
    let puts = reg
        .requests
        .iter()
        .filter(|(m, u)| *m == Method::Put && u.contains(&shared.to_string().replace(':', "%3A")))
        .count();
    assert_eq!(puts, 1);
    // Everything is there, byte for byte.
    let stored = &reg.manifests["dst/x"];
    for it in p.items.iter().chain(&p.locations) {
        assert_eq!(stored[&it.tags[0]].1, *it.manifest.raw);
        for c in &it.manifest.children {
            assert_eq!(stored[&c.digest.to_string()].1, *c.raw);
        }
    }
    assert_eq!(stored["v1"].1, *p.tags[0].raw);
    let ev = events(&mut s);
    assert!(ev.contains(&CopyEvent::StepStarted(CopyStep::Tags)));

    // Re-run: one HEAD per item, one per extra and final tag, plus the ping.
    let mut s2 = session(p.clone(), check_all());
    let n = reg.drive(&mut s2);
    let summary = s2.result().unwrap().unwrap();
    assert_eq!(summary.items_skipped, 3);
    assert_eq!(summary.items_pushed, 0);
    assert_eq!(summary.blobs_uploaded, 0);
    assert_eq!(
        n,
        1 + 3 + 1 + 1,
        "{:?}",
        &reg.requests[reg.requests.len() - n..]
    );
    assert_eq!(summary.requests, n as u64);
}

#[test]
fn tags_are_put_only_after_their_content() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(
        p.clone(),
        CopyOptions {
            concurrency: 3,
            ..check_all()
        },
    );
    reg.drive(&mut s);
    assert!(s.result().unwrap().is_ok());
    // For every manifest PUT, every blob and child it references was
    // uploaded earlier.
    let idx = &p.items[0].manifest;
    let pos =
        |pred: &dyn Fn(&(Method, String)) -> bool| reg.requests.iter().position(pred).unwrap();
    let idx_put = pos(&|(m, u)| *m == Method::Put && u.ends_with(&p.items[0].tags[0]));
    for c in &idx.children {
        let child_put = pos(&|(m, u)| *m == Method::Put && u.ends_with(&c.digest.to_string()));
        assert!(child_put < idx_put);
        for b in &c.blobs {
            let blob_put = pos(&|(m, u)| {
                *m == Method::Put && u.contains(&b.digest.to_string().replace(':', "%3A"))
            });
            assert!(blob_put < child_put);
        }
    }
    // Locations after verification, final tag last.
    let verify_heads = reg
        .requests
        .iter()
        .filter(|(m, u)| *m == Method::Head && u.ends_with(&p.items[1].tags[0]))
        .count();
    assert_eq!(verify_heads, 2, "resolve + verify");
    let loc_put = pos(&|(m, u)| *m == Method::Put && u.ends_with(&p.locations[0].tags[0]));
    let last_verify = reg
        .requests
        .iter()
        .rposition(|(m, u)| *m == Method::Head && u.ends_with(&p.items[1].tags[0]))
        .unwrap();
    assert!(last_verify < loc_put);
    let v1 = pos(&|(m, u)| *m == Method::Put && u.ends_with("/manifests/v1"));
    assert!(loc_put < v1);
}

#[test]
fn concurrency_is_bounded() {
    struct Counting<'a> {
        inner: &'a mut CopySession,
        in_flight: usize,
        max: usize,
    }
    impl Machine for Counting<'_> {
        fn poll_transmit(&mut self, now: u64) -> Option<airlock_core::registry::Transmit> {
            let t = self.inner.poll_transmit(now);
            if t.is_some() {
                self.in_flight += 1;
                self.max = self.max.max(self.in_flight);
            }
            t
        }
        fn handle_response(
            &mut self,
            id: u64,
            now: u64,
            r: Result<airlock_core::registry::HttpResponse, airlock_core::registry::TransportError>,
        ) {
            self.in_flight -= 1;
            self.inner.handle_response(id, now, r)
        }
        fn poll_timeout(&self) -> Option<u64> {
            self.inner.poll_timeout()
        }
        fn is_finished(&self) -> bool {
            self.inner.is_finished()
        }
    }
    let mut reg = FakeRegistry::new();
    let mut s = session(
        plan(),
        CopyOptions {
            concurrency: 2,
            ..Default::default()
        },
    );
    let mut c = Counting {
        inner: &mut s,
        in_flight: 0,
        max: 0,
    };
    reg.drive(&mut c);
    assert!(c.max <= 2, "max in flight {}", c.max);
    assert!(s.result().unwrap().is_ok());
}

#[test]
fn survives_server_errors() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    for n in [1usize, 3, 4, 9, 15, 22, 30] {
        reg.faults.insert(n, 500);
    }
    reg.faults.insert(12, 429);
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert!(summary.retries >= 8, "{summary:?}");
    let stored = &reg.manifests["dst/x"];
    assert_eq!(stored["v1"].1, *p.tags[0].raw);
    for it in p.items.iter().chain(&p.locations) {
        assert_eq!(stored[&it.tags[0]].1, *it.manifest.raw);
    }
}

#[test]
fn partial_state_resumes_children_by_digest() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    // Drop the index tag only: the rerun HEADs the children by digest and
    // PUTs just the index.
    reg.manifests
        .get_mut("dst/x")
        .unwrap()
        .remove(&p.items[0].tags[0]);
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.manifests_pushed, 1);
    assert_eq!(summary.blobs_uploaded, 0);
    assert_eq!(summary.items_pushed, 1);
}

#[test]
fn errors_name_the_operation_and_reference() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    // Request 0 is the ping; fail the first HEAD and its GET fallback.
    reg.faults.insert(1, 400);
    reg.faults.insert(2, 400);
    let mut s = session(
        p,
        CopyOptions {
            concurrency: 1,
            ..check_all()
        },
    );
    reg.drive(&mut s);
    let e = s.result().unwrap().unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("checking reg.example/dst/x:sha256-"),
        "{msg}"
    );
    assert!(msg.contains("unexpected status code 400"), "{msg}");
}

#[test]
fn blob_errors_say_which_blob_went_where() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(
        p.clone(),
        CopyOptions {
            concurrency: 1,
            ..check_all()
        },
    );
    reg.fail_matching
        .push((Method::Head, "/blobs/sha256:".into(), 403));
    reg.drive(&mut s);
    let msg = s.result().unwrap().unwrap_err().to_string();
    assert!(msg.starts_with("pushing blob sha256:"), "{msg}");
    assert!(
        msg.contains(" to reg.example/dst/x: HEAD https://reg.example/v2/dst/x/blobs/sha256:"),
        "{msg}"
    );
}

#[test]
fn cancel_stops_issuing_requests() {
    let mut reg = FakeRegistry::new();
    let mut s = session(plan(), CopyOptions::default());
    let t = s.poll_transmit(0).unwrap();
    let r = reg.handle(&t.request);
    s.handle_response(t.id, 0, Ok(r));
    s.cancel();
    assert!(s.poll_transmit(0).is_none());
    assert!(s.is_finished());
    assert_eq!(s.result().unwrap().unwrap_err(), CopyError::Cancelled);
}

#[test]
fn skip_sources_are_not_uploaded_and_tar_entries_are() {
    let r = repo();
    let tar = b"....TARDATA....".to_vec();
    let layer = &tar[4..11];
    let mut m = image(b"{}", &[layer, b"foreign"]);
    m.blobs[1].source = BlobSource::TarEntry { offset: 4, size: 7 };
    m.blobs[2].source = BlobSource::Skip;
    let p = one_image_plan(&r, m);
    let mut reg = FakeRegistry::new();
    reg.tar = tar.clone();
    let mut s = session(p, CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_uploaded, 2);
    assert!(reg.blobs.contains_key(&Digest::of(layer)));
    assert!(!reg.blobs.contains_key(&Digest::of(b"foreign")));
}

#[test]
fn same_registry_sources_are_mounted() {
    let r = repo();
    let m = image(b"{}", &[b"L"]);
    let mut m2 = m.clone();
    for b in &mut m2.blobs {
        b.source = BlobSource::Registry {
            repository: Repository::parse("reg.example/src/y").unwrap(),
        };
    }
    let p = one_image_plan(&r, m2);
    let mut reg = FakeRegistry::new();
    for b in &m.blobs {
        if let BlobSource::Inline(v) = &b.source {
            reg.blobs.insert(b.digest, v.to_vec());
        }
    }
    // Blobs live in the "source repo" only: the fake registry is global, so
    // make the HEADs miss.
    reg.fail_matching
        .push((Method::Head, "/blobs/sha256:".into(), 404));
    reg.fail_matching
        .push((Method::Head, "/blobs/sha256:".into(), 404));
    let mut s = session(
        p,
        CopyOptions {
            concurrency: 1,
            ..Default::default()
        },
    );
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_mounted, 2, "{summary:?} {:?}", reg.requests);
    assert!(reg.requests.iter().any(|(m, u)| *m == Method::Post
        && u.contains("mount=sha256")
        && u.contains("from=src%2Fy")));
}

#[test]
fn chunked_uploads_reach_the_same_state() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(
        p.clone(),
        CopyOptions {
            chunk_size: Some(4),
            ..Default::default()
        },
    );
    reg.drive(&mut s);
    assert!(s.result().unwrap().is_ok());
    assert!(reg.requests.iter().any(|(m, _)| *m == Method::Patch));
    for b in p.unique_blobs() {
        assert!(reg.blobs.contains_key(&b.digest));
    }
}

#[test]
fn immutable_locations_tag_is_accepted_when_one_exists() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    assert!(s.result().unwrap().is_ok());
    // Replace the locations plan with another image under the same tags,
    // and make the registry refuse the PUT as immutable.
    let mut p2 = p.clone();
    let other = image(b"{\"config\":\"loc2\"}", &[b"other locations layer"]);
    p2.locations[0].manifest = other;
    let loc_tag = p2.locations[0].tags[0].clone();
    let mut s = session(p2.clone(), CopyOptions::default());
    struct Immutable<'a>(&'a mut FakeRegistry, String);
    impl Immutable<'_> {
        fn drive(&mut self, m: &mut CopySession) {
            let mut pending = std::collections::VecDeque::new();
            loop {
                while let Some(t) = m.poll_transmit(0) {
                    pending.push_back(t);
                }
                if m.is_finished() {
                    return;
                }
                let t = pending.pop_front().expect("stalled");
                let r = if t.request.method == Method::Put && t.request.url.ends_with(&self.1) {
                    airlock_testkit::scenario::resp(400).body(br#"{"errors":[{"code":"TAG_INVALID","message":"manifest tag is immutable"}]}"#)
                } else {
                    self.0.handle(&t.request)
                };
                m.handle_response(t.id, 0, Ok(r));
            }
        }
    }
    Immutable(&mut reg, format!("/manifests/{loc_tag}")).drive(&mut s);
    assert!(s.result().unwrap().is_ok(), "{:?}", s.result());

    // Without an existing image the refusal is an error.
    let mut p3 = p2.clone();
    p3.locations[0].tags[0] = "sha256-0000.image-locations.imgpkg".into();
    let mut reg = FakeRegistry::new();
    let mut s = session(p3, CopyOptions::default());
    Immutable(
        &mut reg,
        "/manifests/sha256-0000.image-locations.imgpkg".into(),
    )
    .drive(&mut s);
    let e = s.result().unwrap().unwrap_err().to_string();
    assert!(
        e.starts_with(
            "Pushing locations image to 'reg.example/dst/x:sha256-0000.image-locations.imgpkg': "
        ),
        "{e}"
    );
    assert!(e.contains("immutable"), "{e}");
}

#[test]
fn cancel_handle_stops_a_running_session() {
    let mut reg = FakeRegistry::new();
    let mut s = session(plan(), CopyOptions::default());
    let handle = s.cancel_handle();
    let t = s.poll_transmit(0).unwrap();
    handle.cancel();
    assert!(s.is_finished());
    let r = reg.handle(&t.request);
    s.handle_response(t.id, 0, Ok(r));
    assert!(s.poll_transmit(0).is_none());
    assert_eq!(s.result().unwrap().unwrap_err(), CopyError::Cancelled);
}

/// Requests by kind: `(ping, tags/list, manifest HEAD, manifest PUT,
/// blob HEAD, upload POST, upload PUT)`.
fn kinds(requests: &[(Method, String)]) -> [usize; 7] {
    let mut k = [0; 7];
    for (m, u) in requests {
        let i = match (m, u.as_str()) {
            (_, u) if u.ends_with("/v2/") => 0,
            (_, u) if u.contains("/tags/list") => 1,
            (Method::Head, u) if u.contains("/manifests/") => 2,
            (Method::Put, u) if u.contains("/manifests/") => 3,
            (Method::Head, u) if u.contains("/blobs/sha256:") => 4,
            (Method::Post, u) if u.contains("/blobs/uploads/") => 5,
            (Method::Put, u) if u.contains("/blobs/uploads/") => 6,
            other => panic!("unexpected request {other:?}"),
        };
        k[i] += 1;
    }
    k
}

/// Every manifest PUT comes after the PUTs of the blobs and children it
/// references.
fn assert_content_before_manifests(reg: &FakeRegistry, p: &RelocationPlan) {
    let pos = |pred: &dyn Fn(&(Method, String)) -> bool| reg.requests.iter().position(pred);
    let blob_put = |d: &Digest| {
        pos(&|(m, u)| *m == Method::Put && u.contains(&d.to_string().replace(':', "%3A")))
    };
    for it in p.items.iter().chain(&p.locations) {
        let put = pos(&|(m, u)| *m == Method::Put && u.ends_with(&it.tags[0])).unwrap();
        for b in &it.manifest.blobs {
            assert!(blob_put(&b.digest).unwrap() < put);
        }
        for c in &it.manifest.children {
            let child = pos(&|(m, u)| *m == Method::Put && u.ends_with(&c.digest.to_string()));
            assert!(child.unwrap() < put);
            for b in &c.blobs {
                assert!(blob_put(&b.digest).unwrap() < child.unwrap());
            }
        }
    }
}

#[test]
fn a_fresh_repository_needs_no_existence_checks() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_uploaded, 9);
    assert_eq!(summary.items_pushed, 3);
    // One tag list (404 NAME_UNKNOWN), a HEAD for the first 5 blobs only
    // (as many as run at once), then uploads and PUTs: 9 blobs, 2 children,
    // 3 items, the locations image's second tag and v1. The upload tags are
    // not read back: each PUT response named its digest.
    assert_eq!(kinds(&reg.requests), [1, 1, 0, 7, 5, 9, 9]);
    assert_eq!(summary.requests, 32);
    assert_content_before_manifests(&reg, &p);
    let ev = events(&mut s);
    let verified = ev
        .iter()
        .filter(|e| matches!(e, CopyEvent::Verified { .. }))
        .count();
    assert_eq!(verified, 2, "both items reported verified");
    let stored = &reg.manifests["dst/x"];
    for it in p.items.iter().chain(&p.locations) {
        assert_eq!(stored[&it.tags[0]].1, *it.manifest.raw);
    }
    assert_eq!(stored["v1"].1, *p.tags[0].raw);

    // The same copy checking everything, for comparison.
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), check_all());
    reg.drive(&mut s);
    assert!(s.result().unwrap().is_ok());
    assert_eq!(kinds(&reg.requests), [1, 0, 3 + 2 + 2 + 1, 7, 9, 9, 9]);
}

#[test]
fn a_rerun_reads_the_tag_list_and_the_present_tags_only() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let before = reg.requests.len();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.items_skipped, 3);
    assert_eq!(summary.blobs_uploaded + summary.manifests_pushed, 0);
    // Ping, tag list, 3 upload tags, the locations image's second tag, v1.
    assert_eq!(kinds(&reg.requests[before..]), [1, 1, 5, 0, 0, 0, 0]);
}

#[test]
fn a_partly_filled_repository_checks_blobs_and_sends_only_what_is_missing() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    // Lose the index tag, its first child and that child's own layer.
    let child = &p.items[0].manifest.children[0];
    let stored = reg.manifests.get_mut("dst/x").unwrap();
    stored.remove(&p.items[0].tags[0]);
    stored.remove(&child.digest.to_string());
    reg.blobs.remove(&Digest::of(b"layer a"));
    let before = reg.requests.len();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_uploaded, 1);
    assert_eq!(summary.blobs_present, 2);
    assert_eq!(summary.manifests_pushed, 2, "the child and the index");
    assert_eq!(summary.items_pushed, 1);
    assert_eq!(summary.items_skipped, 2);
    // The index tag is not listed: no HEAD for it. HEADs: item c, the
    // locations image and its second tag, v1, and the two children by
    // digest; the child's config, shared layer and own layer are checked
    // (the repository is not fresh), the missing layer uploaded.
    assert_eq!(kinds(&reg.requests[before..]), [1, 1, 6, 2, 3, 1, 1]);
    let stored = &reg.manifests["dst/x"];
    assert_eq!(stored[&p.items[0].tags[0]].1, *p.items[0].manifest.raw);
    assert_eq!(stored[&child.digest.to_string()].1, *child.raw);
}

#[test]
fn blobs_left_by_an_interrupted_copy_are_noticed() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    // Blobs there, no tag (the tag list says NAME_UNKNOWN): the first blobs
    // checked are there, so every other blob is checked too.
    reg.manifests.clear();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!((summary.blobs_uploaded, summary.blobs_present), (0, 9));
    assert_eq!(reg.manifests["dst/x"]["v1"].1, *p.tags[0].raw);
}

#[test]
fn blobs_sent_again_in_a_fresh_repository_do_no_harm() {
    let p = plan();
    let one = CopyOptions {
        concurrency: 1,
        ..Default::default()
    };
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), one.clone());
    reg.drive(&mut s);
    // The one blob checked (the first) is gone, the others are there but
    // not checked: they are uploaded again, and the copy is complete.
    let first = reg
        .requests
        .iter()
        .find(|(m, u)| *m == Method::Head && u.contains("/blobs/sha256:"))
        .map(|(_, u)| Digest::parse(u.rsplit('/').next().unwrap()).unwrap())
        .unwrap();
    reg.manifests.clear();
    reg.blobs.remove(&first);
    let before = reg.requests.len();
    let mut s = session(p.clone(), one);
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_uploaded, 9);
    assert_eq!(kinds(&reg.requests[before..]), [1, 1, 0, 7, 1, 9, 9]);
    assert!(reg.blobs.contains_key(&first));
    assert_eq!(reg.manifests["dst/x"]["v1"].1, *p.tags[0].raw);
}

#[test]
fn without_a_tag_list_everything_is_checked() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    reg.fail_matching
        .push((Method::Get, "/tags/list".into(), 403));
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_uploaded, 9);
    // Like check_all, but the upload tags confirmed by their PUT are not
    // read back.
    assert_eq!(kinds(&reg.requests), [1, 1, 3 + 2 + 1, 7, 9, 9, 9]);
    assert_content_before_manifests(&reg, &p);
}

#[test]
fn a_tag_the_registry_cannot_read_is_pushed_again() {
    let p = plan();
    let mut reg = FakeRegistry::new();
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    // Item c's upload tag answers 500 to every HEAD and GET (its links
    // half-written by a killed registry): the rerun pushes it again.
    let tag = format!("/manifests/{}", p.items[1].tags[0]);
    for _ in 0..40 {
        reg.fail_matching.push((Method::Head, tag.clone(), 500));
        reg.fail_matching.push((Method::Get, tag.clone(), 500));
    }
    let mut s = session(p.clone(), CopyOptions::default());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!((summary.items_pushed, summary.items_skipped), (1, 2));
    assert_eq!(
        summary.blobs_uploaded, 0,
        "its blobs were checked, not sent"
    );
    assert_eq!(
        reg.manifests["dst/x"][&p.items[1].tags[0]].1,
        *p.items[1].manifest.raw
    );
}

#[test]
fn blobs_the_caller_found_present_need_no_request() {
    // What a thin import's check hands over: blobs it already HEADed.
    let r = repo();
    let m = image(
        b"{\"config\":\"thin\"}",
        &[b"omitted layer", b"other layer"],
    );
    let digests: Vec<Digest> = m.blobs.iter().map(|b| b.digest).collect();
    let mut reg = FakeRegistry::new();
    for b in &m.blobs {
        if let BlobSource::Inline(v) = &b.source {
            reg.blobs.insert(b.digest, v.to_vec());
        }
    }
    let p = one_image_plan(&r, m);
    let mut s = session(p, check_all()).with_present_blobs(digests.clone());
    reg.drive(&mut s);
    let summary = s.result().unwrap().unwrap();
    assert_eq!(summary.blobs_present, digests.len() as u64, "{summary:?}");
    assert_eq!(summary.blobs_uploaded, 0);
    assert_eq!(summary.items_pushed, 1);
    assert!(
        !reg.requests.iter().any(|(_, u)| u.contains("/blobs/")),
        "{:?}",
        reg.requests
    );
}
