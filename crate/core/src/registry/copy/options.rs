//! How a copy runs: its settings and its cancel handle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Settings for a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    /// Operations in flight at once (imgpkg `--concurrency`, default 5).
    pub concurrency: usize,
    /// Upload blobs larger than this in `PATCH` chunks; `None`: one `PUT`.
    pub chunk_size: Option<u64>,
    /// Try cross-repository mounts for blobs whose source is a repository
    /// on the destination registry.
    pub mount: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            concurrency: 5,
            chunk_size: None,
            mount: true,
        }
    }
}

/// Cancels a running [`CopySession`](super::CopySession) from outside its
/// driver (another thread, a signal handler, a button). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
