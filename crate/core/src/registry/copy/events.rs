//! What a copy reports: its steps, progress events, the final summary.

use crate::digest::Digest;

use super::super::op::BlobOutcome;
use super::super::upload_chunks::UploadMode;

/// The four steps of a copy, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CopyStep {
    Upload,
    Verify,
    Locations,
    Tags,
    Done,
}

/// An item of the plan: `Item(i)` is `plan.items[i]`, `Locations(i)` is
/// `plan.locations[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemRef {
    Item(usize),
    Locations(usize),
}

/// Progress reported by the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEvent {
    StepStarted(CopyStep),
    /// The item's upload tag already pointed at its digest.
    ItemSkipped {
        item: ItemRef,
        reference: String,
    },
    /// The item's manifest (and extra tags) were pushed.
    ItemPushed {
        item: ItemRef,
        reference: String,
    },
    /// Body bytes sent so far for a blob upload.
    BlobProgress {
        digest: Digest,
        bytes_sent: u64,
        size: u64,
    },
    BlobDone {
        digest: Digest,
        size: u64,
        outcome: BlobOutcome,
    },
    /// A manifest was PUT (by digest or tag).
    ManifestPushed {
        reference: String,
    },
    Verified {
        reference: String,
    },
    TagSkipped {
        reference: String,
    },
    TagPushed {
        reference: String,
    },
}

/// Totals, available at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopySummary {
    /// Items (images, indexes, bundles, signatures, locations) pushed.
    pub items_pushed: u64,
    /// Items whose upload tag already pointed at them.
    pub items_skipped: u64,
    pub blobs_uploaded: u64,
    pub blobs_present: u64,
    pub blobs_mounted: u64,
    pub bytes_uploaded: u64,
    pub manifests_pushed: u64,
    pub tags_pushed: u64,
    pub tags_skipped: u64,
    pub requests: u64,
    pub retries: u64,
    /// How blobs were uploaded: monolithic unless some blob went in
    /// chunks; then the chunk size in use at the end and why (a fallback
    /// reason wins over "requested").
    pub upload_mode: UploadMode,
    /// Blobs uploaded in `PATCH` chunks.
    pub chunked_blobs: u64,
    /// Times a chunked upload continued where its session stood after a
    /// failure instead of starting the blob again.
    pub upload_resumes: u64,
}

impl CopySummary {
    /// How blobs went, when not all as one `PUT` each, e.g. `uploads: 3
    /// blobs in chunks of 8.0 MiB (after a 413 (request body too large)
    /// answer); 1 resumed where the upload stood`. `None` when every blob
    /// went in one request.
    pub fn upload_note(&self) -> Option<String> {
        let UploadMode::Chunked { chunk_size, reason } = self.upload_mode else {
            return None;
        };
        let mut line = format!(
            "uploads: {} blobs in chunks of {} ({})",
            self.chunked_blobs,
            crate::inspect::human_size(chunk_size),
            reason.describe()
        );
        if self.upload_resumes > 0 {
            line.push_str(&format!(
                "; {} resumed where the upload stood",
                self.upload_resumes
            ));
        }
        Some(line)
    }
}
