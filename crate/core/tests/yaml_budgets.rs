#![cfg(not(target_arch = "wasm32"))]
//! Hostile YAML against the lock-file reader: each input must be refused (or
//! read) without large allocations (times are printed, not asserted: speed
//! belongs in benchmarks, and this machine is shared). One test function, so the
//! process's peak resident memory measures one input at a time. Where
//! memory cannot be measured (no Linux /proc) the test fails.

use std::time::Instant;

use airlock_core::lock::{ImagesLock, LockErrorKind};
use airlock_testkit::synth;

/// Resident memory in bytes from /proc (Linux): (current, peak since the
/// last reset). Panics when it cannot be read: the budgets below must be
/// measured, not skipped.
fn rss() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_else(|e| panic!("cannot measure memory: reading /proc/self/status: {e}"));
    let field = |name: &str| -> usize {
        let kb: Option<usize> = status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
        kb.unwrap_or_else(|| panic!("cannot measure memory: no {name} in /proc/self/status")) * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak-RSS mark (Linux 4.0+: writing 5 to clear_refs); panics
/// when it cannot.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap_or_else(|e| {
        panic!("cannot measure memory: resetting the peak in /proc/self/clear_refs: {e}")
    });
}

const MIB: usize = 1024 * 1024;

/// Parses `doc`, returning the result, the time taken and how far resident
/// memory rose above where it was.
fn measure(doc: &[u8]) -> (Result<ImagesLock, airlock_core::lock::LockError>, usize) {
    reset_peak();
    let (before, _) = rss();
    let start = Instant::now();
    let result = ImagesLock::parse(doc, "hostile.yml");
    let elapsed = start.elapsed();
    let (_, peak) = rss();
    let grew = peak.saturating_sub(before);
    eprintln!(
        "{} bytes in: {:?}, resident memory +{} KiB, {}",
        doc.len(),
        elapsed,
        grew / 1024,
        match &result {
            Ok(lock) => format!("{} images", lock.images.len()),
            Err(e) => e.message().lines().last().unwrap_or_default().to_string(),
        }
    );
    (result, grew)
}

#[test]
fn hostile_inputs_are_refused_fast_with_bounded_memory() {
    // 1. Billion laughs: 10^9 strings if expanded.
    let (result, peak) = measure(synth::alias_bomb_yml().as_bytes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), LockErrorKind::Yaml);
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error converting YAML to JSON: yaml: document contains excessive aliasing"
    );
    assert!(peak < 8 * MIB, "billion laughs allocated {peak} bytes");

    // 2. Few aliases of a large string: refused on the bytes they would copy.
    let big = "x".repeat(MIB);
    let mut doc = format!(
        "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nbig: &big {big}\nfill: ["
    );
    doc.push_str(&vec!["0"; 2000].join(","));
    doc.push_str("]\ncopies: [");
    doc.push_str(&vec!["*big"; 200].join(","));
    doc.push_str("]\n");
    let (result, peak) = measure(doc.as_bytes());
    let err = result.unwrap_err();
    assert!(
        err.message()
            .ends_with("yaml: document contains excessive aliasing"),
        "{err}"
    );
    assert!(peak < 64 * MIB, "string aliases allocated {peak} bytes");

    // 3. Deep nesting, flow and block: an error, not a stack overflow.
    for doc in [
        "[".repeat(100_000),
        "{a: ".repeat(100_000),
        format!("{}x\n", "- ".repeat(2_000)),
        (0..2_000)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect::<String>(),
    ] {
        let (result, peak) = measure(doc.as_bytes());
        let err = result.unwrap_err();
        assert!(
            matches!(err.kind(), LockErrorKind::Syntax | LockErrorKind::Yaml),
            "{}",
            err.message()
        );
        assert!(peak < 64 * MIB, "deep nesting allocated {peak} bytes");
    }

    // 4. Depth built out of aliases: each level nests the previous one.
    let mut doc = String::from(
        "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nl0: &l0 [[[[[[[[[[x]]]]]]]]]]\n",
    );
    for i in 1..30 {
        doc.push_str(&format!("l{i}: &l{i} [[[[[[[[[[*l{}]]]]]]]]]]\n", i - 1));
    }
    let (result, _) = measure(doc.as_bytes());
    let err = result.unwrap_err();
    assert!(err.message().contains("nested too deeply"), "{err}");

    // 5. Wide documents are fine: a lock with 20,000 images and a mapping
    //    with 50,000 keys read in reasonable time (no quadratic key checks).
    let digest = "sha256:4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0";
    let mut doc =
        String::from("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n");
    for i in 0..20_000 {
        doc.push_str(&format!("- image: registry.example.com/app{i}@{digest}\n  annotations:\n    kbld.carvel.dev/id: app{i}:v1\n"));
    }
    let (result, _) = measure(doc.as_bytes());
    assert_eq!(result.unwrap().images.len(), 20_000);
    let mut doc = format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: a.io/bb@{digest}\n  annotations:\n");
    for i in 0..50_000 {
        doc.push_str(&format!("    k{i}: v\n"));
    }
    let (result, _) = measure(doc.as_bytes());
    let lock = result.unwrap();
    assert_eq!(lock.images[0].annotations.len(), 50_000);
    let start = Instant::now();
    let out = lock.to_yaml();
    assert!(out.contains("    k49999: v\n"));
    println!("writing 50k keys: {:?}", start.elapsed());

    // 6. Too many nodes: a 12 MiB flat list of three million scalars.
    let doc = "- x\n".repeat(3 * MIB);
    let (result, peak) = measure(doc.as_bytes());
    let err = result.unwrap_err();
    assert!(err.message().contains("too many nodes"), "{err}");
    assert!(peak < 512 * MIB, "3M nodes allocated {peak} bytes");

    // 7. Over the size cap: refused before parsing.
    let doc = vec![b' '; 16 * MIB + 1];
    let (result, peak) = measure(&doc);
    assert_eq!(result.unwrap_err().kind(), LockErrorKind::TooLarge);
    assert!(peak < MIB);
}
