//! One job per blob check, on all cores: largest blobs first (so the
//! threads finish together), one read buffer per thread, results in the
//! checks' order. Used to hash (and compress) the layers of OCI layouts
//! and docker-archives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use airlock_core::verify::BlobCheck;

/// Read buffer per thread.
const BUFFER: usize = 256 << 10;

/// `job` for every check; `results[i]` is `job(&checks[i])`.
pub fn each_check<T: Send>(
    checks: &[BlobCheck],
    job: impl Fn(&BlobCheck, &mut [u8]) -> T + Sync,
) -> Vec<T> {
    let mut order: Vec<usize> = (0..checks.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(checks[i].size));
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(checks.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(checks.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; BUFFER];
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = job(&checks[i], &mut buf);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
