//! How a copy runs: its settings and its cancel handle.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::digest::Digest;
use crate::reference::Repository;

/// Settings for a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    /// Operations in flight at once (imgpkg `--concurrency`, default 5).
    pub concurrency: usize,
    /// Upload blobs larger than this in `PATCH` chunks; `None` or 0: one
    /// `PUT`, in chunks only when a proxy refuses the body with 413 (the
    /// size found is then kept for the rest of the copy).
    pub chunk_size: Option<u64>,
    /// Try cross-repository mounts for blobs whose source is a repository
    /// on the destination registry, and for those in `mount_known`.
    pub mount: bool,
    /// Blobs the destination registry is known to hold in another of its
    /// repositories (an earlier push of the same run, a receipt): each is
    /// mounted from there with `POST ?mount=&from=` before it is uploaded
    /// (a refused mount falls back to the upload, silently).
    pub mount_known: BTreeMap<Digest, Repository>,
    /// List the destination's tags once before the upload (one
    /// `GET …/tags/list`): an item, extra or final tag the list does not
    /// show is pushed without a `HEAD` first, and a repository that shows
    /// none of the plan's upload tags (or does not exist: `404 NAME_UNKNOWN`)
    /// counts as fresh (see `fresh_check_min_size`). If the list fails the
    /// copy checks everything, as without it.
    pub list_tags: bool,
    /// In a fresh repository, blobs smaller than this are uploaded without
    /// a `HEAD` first and child manifests are PUT by digest without one —
    /// except the first `concurrency` blobs, which are checked: if one of
    /// them is there (an interrupted earlier copy of the same plan), the
    /// repository is not fresh and everything after is checked. Larger
    /// blobs are always checked. 0 checks every blob.
    pub fresh_check_min_size: u64,
    /// When an item's upload tag is read back after the upload step (as
    /// imgpkg does).
    pub verify: VerifyAfterWrite,
}

/// Reading each upload tag back after writing it (step 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyAfterWrite {
    /// A `HEAD` for every item pushed.
    Always,
    /// A `HEAD` only for items whose `PUT` response did not name the digest
    /// sent in `Docker-Content-Digest` (a mismatch there already fails the
    /// push); a registry that confirms the digest is not asked again.
    #[default]
    Unconfirmed,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            concurrency: 5,
            chunk_size: None,
            mount: true,
            mount_known: BTreeMap::new(),
            list_tags: true,
            fresh_check_min_size: 1 << 20,
            verify: VerifyAfterWrite::Unconfirmed,
        }
    }
}

/// Cancels a running [`CopySession`](super::CopySession) from outside its
/// driver (another thread, a signal handler, a button). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// Asks the session to stop: it sends no new requests and finishes with
    /// [`CopyError::Cancelled`](super::CopyError::Cancelled).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](CancelHandle::cancel) was called on this handle or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
