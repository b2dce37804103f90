//! What a copy reports: its steps, progress events, the final summary.

use crate::digest::Digest;

use super::super::op::BlobOutcome;
use super::super::upload_chunks::UploadMode;

/// The four steps of a copy, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CopyStep {
    /// Step 1: items, their children and blobs are pushed, each finished by its upload tag.
    Upload,
    /// Step 2: every upload tag pushed is checked to point at its item's digest.
    Verify,
    /// Step 3: the bundles' locations images are pushed, then their extra tags.
    Locations,
    /// Step 4: the source's original tags are set.
    Tags,
    /// Every step succeeded.
    Done,
}

/// An item of the plan: `Item(i)` is `plan.items[i]`, `Locations(i)` is
/// `plan.locations[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemRef {
    /// `plan.items[i]`.
    Item(usize),
    /// `plan.locations[i]`.
    Locations(usize),
}

/// Progress reported by the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEvent {
    /// A step began; steps come in [`CopyStep`] order.
    StepStarted(CopyStep),
    /// The item's upload tag already pointed at its digest.
    ItemSkipped {
        /// Which item.
        item: ItemRef,
        /// The reference checked (`REPO:upload-tag`).
        reference: String,
    },
    /// The item's manifest (and extra tags) were pushed.
    ItemPushed {
        /// Which item.
        item: ItemRef,
        /// The reference it was pushed as (`REPO:upload-tag`).
        reference: String,
    },
    /// Body bytes sent so far for a blob upload.
    BlobProgress {
        /// The blob's digest.
        digest: Digest,
        /// Body bytes sent so far.
        bytes_sent: u64,
        /// The blob's size, in bytes.
        size: u64,
    },
    /// A blob is in place: it was present, mounted or uploaded.
    BlobDone {
        /// The blob's digest.
        digest: Digest,
        /// Its size, in bytes.
        size: u64,
        /// How it got there.
        outcome: BlobOutcome,
    },
    /// A manifest was PUT (by digest or tag).
    ManifestPushed {
        /// The reference it was PUT as (`REPO@sha256:...` or `REPO:tag`).
        reference: String,
    },
    /// Step 2 confirmed an upload tag points at its item's digest.
    Verified {
        /// The tagged reference checked.
        reference: String,
    },
    /// A tag already pointed at its digest and was not PUT again.
    TagSkipped {
        /// The tagged reference.
        reference: String,
    },
    /// A tag was PUT (an extra tag in steps 1 and 3, an original tag in step 4).
    TagPushed {
        /// The tagged reference.
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
    /// Blobs uploaded (POST then PUT or PATCH).
    pub blobs_uploaded: u64,
    /// Blobs the destination already had (`HEAD` 200).
    pub blobs_present: u64,
    /// Blobs mounted from another repository of the registry.
    pub blobs_mounted: u64,
    /// Body bytes sent for the uploaded blobs.
    pub bytes_uploaded: u64,
    /// Manifests PUT (by digest or by tag).
    pub manifests_pushed: u64,
    /// Tags PUT.
    pub tags_pushed: u64,
    /// Tags that already pointed at their digest.
    pub tags_skipped: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests retried after a transient failure.
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
    /// Adds `other` (another plan's push, in a run of several) to this
    /// summary: counts add up; the upload mode is the later chunked one,
    /// if any (a fallback found by any plan is what the run used).
    pub fn absorb(&mut self, other: &CopySummary) {
        macro_rules! add {
            ($to:ident, $from:ident; $($count:ident),*) => { $($to.$count += $from.$count;)* };
        }
        add!(self, other; items_pushed, items_skipped, blobs_uploaded, blobs_present,
            blobs_mounted, bytes_uploaded, manifests_pushed, tags_pushed, tags_skipped,
            requests, retries, chunked_blobs, upload_resumes);
        if matches!(other.upload_mode, UploadMode::Chunked { .. }) {
            self.upload_mode = other.upload_mode;
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::upload_chunks::ChunkReason;

    #[test]
    fn absorb_adds_every_count_and_keeps_a_chunked_mode() {
        let one = |n: u64| CopySummary {
            items_pushed: n,
            items_skipped: n,
            blobs_uploaded: n,
            blobs_present: n,
            blobs_mounted: n,
            bytes_uploaded: n,
            manifests_pushed: n,
            tags_pushed: n,
            tags_skipped: n,
            requests: n,
            retries: n,
            upload_mode: UploadMode::Monolithic,
            chunked_blobs: n,
            upload_resumes: n,
        };
        let mut total = one(1);
        let chunked = UploadMode::Chunked {
            chunk_size: 8 << 20,
            reason: ChunkReason::Requested,
        };
        total.absorb(&CopySummary {
            upload_mode: chunked,
            ..one(2)
        });
        assert_eq!(
            total,
            CopySummary {
                upload_mode: chunked,
                ..one(3)
            }
        );
        // A later monolithic plan does not undo the chunked mode.
        total.absorb(&one(1));
        assert_eq!(total.upload_mode, chunked);
        assert_eq!(total.requests, 4);
    }
}
