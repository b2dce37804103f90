#![cfg(not(target_arch = "wasm32"))]
//! Chunked and resumable uploads through real parts: nginx with
//! `client_max_body_size 8m` in front of Distribution (the 413 fallback), a
//! front with chunk rules (minimum 5 MiB, maximum 16 MiB), a connection cut
//! in the middle of a chunk, and the registry restarted in the middle of a
//! chunked blob. Each push is compared with a push of the same tar straight
//! into another registry.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use airlock_testkit::registry_state::{walk, Walked};
use airlock_testkit::support::*;
use airlock_testkit::synth::{big_bundle, BigOptions};

const BIN: &str = env!("CARGO_BIN_EXE_airlock");
const MIB: u64 = 1 << 20;

/// A bundle of one image with `layers` incompressible layers of `size` bytes.
fn bundle_tar(dir: &TempDir, layers: usize, size: u64, seed: u64) -> String {
    let path = dir.path().join("bundle.tar");
    big_bundle(BigOptions {
        images: 1,
        layers,
        layer_size: size,
        seed,
    })
    .write_to(&path)
    .unwrap();
    path.display().to_string()
}

/// A fresh directory (its name has `tag`) holding a [`bundle_tar`], and a
/// registry to push it to.
fn bundle_and_registry(
    tag: &str,
    layers: usize,
    size: u64,
    seed: u64,
) -> (TempDir, String, TestRegistry) {
    let dir = TempDir::new(tag);
    let tar = bundle_tar(&dir, layers, size, seed);
    (dir, tar, TestRegistry::start(Auth::None))
}

fn push(tar: &str, dest: &str, extra: &[&str]) -> Output {
    let mut args = vec!["copy", "--tar", tar, "--to-repo", dest];
    args.extend_from_slice(extra);
    run_airlock(BIN, &args)
}

/// Pushes `tar` to `host/dst/app` in chunks of 8 MiB: the push's stderr.
fn push_in_8mib_chunks(tar: &str, host: &str) -> String {
    let dest = format!("{host}/dst/app");
    ok(&push(tar, &dest, &["--upload-chunk-size", "8MiB"]))
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "airlock failed:\n{stderr}");
    stderr
}

/// The same tar pushed straight into a fresh registry.
fn reference(tar: &str) -> Walked {
    let reg = TestRegistry::start(Auth::None);
    ok(&push(tar, &format!("{}/dst/app", reg.host()), &[]));
    walk(&reg, "dst/app")
}

fn nginx(reg: &TestRegistry, max_body: &str, request_buffering: bool) -> Nginx {
    Nginx::start(
        &reg.host(),
        &NginxOptions {
            max_body: max_body.into(),
            request_buffering,
        },
    )
}

#[test]
fn nginx_8m_limit_push_completes_through_the_413_fallback() {
    let (_dir, tar, reg) = bundle_and_registry("chunks-nginx", 2, 24 * MIB, 11);
    let proxy = nginx(&reg, "8m", false);
    let stderr = ok(&push(&tar, &format!("{}/dst/app", proxy.host()), &[]));
    assert!(
        stderr.contains("in chunks of 8.0 MiB (after a 413"),
        "{stderr}"
    );
    let access = proxy.access_log();
    assert!(
        access.contains("\" 413 "),
        "no 413 in nginx's log:\n{access}"
    );
    assert!(access.contains("\"PATCH "), "{access}");
    assert_eq!(walk(&reg, "dst/app"), reference(&tar));
}

#[test]
fn upload_chunk_size_sends_chunks_without_a_413() {
    let (_dir, tar, reg) = bundle_and_registry("chunks-flag", 2, 24 * MIB, 12);
    let proxy = nginx(&reg, "8m", false);
    let stderr = push_in_8mib_chunks(&tar, &proxy.host());
    assert!(
        stderr.contains("2 blobs in chunks of 8.0 MiB (as requested)"),
        "{stderr}"
    );
    let access = proxy.access_log();
    assert!(!access.contains("\" 413 "), "{access}");
    assert_eq!(access.matches("\"PATCH ").count(), 6, "{access}");
    assert_eq!(walk(&reg, "dst/app"), reference(&tar));
}

#[test]
fn bad_chunk_sizes_are_refused_before_anything_is_pushed() {
    let out = run_airlock(
        BIN,
        &[
            "copy",
            "--tar",
            "x.tar",
            "--to-repo",
            "127.0.0.1:1/x",
            "--upload-chunk-size",
            "8 parsecs",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid size \"8 parsecs\""), "{stderr}");
}

#[test]
fn a_front_with_chunk_rules_gets_chunks_it_accepts() {
    let dir = TempDir::new("chunks-front");
    let tar = bundle_tar(&dir, 2, 24 * MIB, 13);
    let expected = reference(&tar);
    // (flags, what the summary says)
    let cases: [(&[&str], &str); 3] = [
        (&[], "in chunks of 16.0 MiB (after a 413"),
        (
            &["--upload-chunk-size", "1MiB"],
            "in chunks of 5.0 MiB (as requested)",
        ),
        (
            &["--upload-chunk-size", "20MiB"],
            "in chunks of 10.0 MiB (after a 416",
        ),
    ];
    for (flags, says) in cases {
        let reg = TestRegistry::start(Auth::None);
        let front = ChunkFront::start(reg.port, 5 * MIB, 16 * MIB);
        let stderr = ok(&push(&tar, &format!("{}/dst/app", front.host()), flags));
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
        let log = front.log();
        assert!(
            log.chunks.iter().all(|c| *c <= 16 * MIB),
            "{flags:?}: {log:?}"
        );
        // Under the minimum only as a blob's last chunk (two chunked blobs).
        let short = log.chunks.iter().filter(|c| **c < 5 * MIB).count();
        assert!(short <= 2, "{flags:?}: {log:?}");
        assert_eq!(walk(&reg, "dst/app"), expected, "{flags:?}");
    }
}

/// A fault proxy that cuts the `cut_at`-th PATCH (1-based) after half its
/// body, and counts the PATCH body bytes it forwards.
fn cutting_proxy(upstream_port: u16, cut_at: usize) -> (FaultProxy, Arc<AtomicU64>) {
    let patches = Arc::new(AtomicUsize::new(0));
    let patch_bytes = Arc::new(AtomicU64::new(0));
    let counted = patch_bytes.clone();
    let proxy = FaultProxy::start_scripted(
        upstream_port,
        Arc::new(move |_, line, len| {
            if !line.starts_with("PATCH ") {
                return Fault::Forward;
            }
            let n = patches.fetch_add(1, Ordering::SeqCst) + 1;
            if n == cut_at {
                counted.fetch_add(len / 2, Ordering::SeqCst);
                Fault::CutBody(len / 2)
            } else {
                counted.fetch_add(len, Ordering::SeqCst);
                Fault::Forward
            }
        }),
    );
    (proxy, patch_bytes)
}

#[test]
fn a_cut_in_the_middle_of_a_chunk_resends_at_most_that_chunk() {
    // Fault proxy → nginx (buffering request bodies, its default) →
    // Distribution: the cut chunk never reaches the registry, whose
    // session still stands at the chunk's start.
    let (_dir, tar, reg) = bundle_and_registry("chunks-cut", 1, 64 * MIB, 14);
    let front = nginx(&reg, "0", true);
    let (proxy, patch_bytes) = cutting_proxy(front.port, 3);
    let stderr = push_in_8mib_chunks(&tar, &proxy.host());
    assert!(
        stderr.contains("1 resumed where the upload stood"),
        "{stderr}"
    );
    let sent = patch_bytes.load(Ordering::SeqCst);
    // The blob once, plus the half chunk that was cut.
    assert!(
        sent <= 64 * MIB + 8 * MIB,
        "{sent} PATCH bytes forwarded; faults: {:?}",
        proxy.faults.lock().unwrap()
    );
    assert_eq!(walk(&reg, "dst/app"), reference(&tar));
}

#[test]
fn a_cut_chunk_that_reached_distribution_starts_the_blob_again() {
    // Straight into Distribution, the half chunk is written; Distribution
    // then refuses the session (its size no longer matches `_state`) and
    // the blob starts again: the push still completes.
    let (_dir, tar, reg) = bundle_and_registry("chunks-cut-direct", 1, 32 * MIB, 15);
    let (proxy, patch_bytes) = cutting_proxy(reg.port, 2);
    push_in_8mib_chunks(&tar, &proxy.host());
    assert!(patch_bytes.load(Ordering::SeqCst) > 32 * MIB);
    assert_eq!(walk(&reg, "dst/app"), reference(&tar));
}

#[test]
fn the_registry_restarted_in_the_middle_of_a_chunked_blob() {
    let (dir, tar, reg) = bundle_and_registry("chunks-restart", 1, 64 * MIB, 16);
    let reg = Arc::new(Mutex::new(reg));
    let port = reg.lock().unwrap().port;
    let (tx, rx) = mpsc::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let patches = AtomicUsize::new(0);
    // The 4th PATCH: tell the test, which kills the registry while the
    // chunk is on its way, then starts it again.
    let proxy = FaultProxy::start_scripted(
        port,
        Arc::new(move |_, line, _| {
            if line.starts_with("PATCH ") && patches.fetch_add(1, Ordering::SeqCst) == 3 {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
            Fault::Forward
        }),
    );
    let mut child = Command::new(BIN)
        .args([
            "copy",
            "--tar",
            &tar,
            "--to-repo",
            &format!("{}/dst/app", proxy.host()),
            "--upload-chunk-size",
            "8MiB",
        ])
        .env("HOME", "/nonexistent-airlock-test-home")
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the push never reached its 4th chunk");
    std::thread::sleep(Duration::from_millis(20));
    reg.lock().unwrap().restart();
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(status.success(), "{stderr}");
    let reg = reg.lock().unwrap();
    assert_eq!(walk(&reg, "dst/app"), reference(&tar));
}
