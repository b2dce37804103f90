//! What the session does when an operation finishes: one handler per kind
//! of work, after the failures that are not failures (a tag we may not
//! read, an immutable locations tag) are sorted out.

use crate::digest::Digest;

use super::super::client::CallId;
use super::super::error::RegistryError;
use super::super::op::{BlobOutcome, ManifestDescriptor, OpOutput};
use super::super::upload_chunks::{ChunkReason, UploadMode};
use super::error::CopyError;
use super::events::{CopyEvent, ItemRef};
use super::state::{ItemPhase, Work};
use super::CopySession;

impl CopySession {
    pub(super) fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        let Some(work) = self.running.remove(&call) else {
            return;
        };
        if work == Work::ListTags {
            return self.on_tags_listed(result);
        }
        let output = match result {
            Ok(o) => o,
            Err(e) => match Self::absent_if_forbidden(&work, e) {
                Ok(o) => o,
                Err(e) => return self.on_failed(work, e),
            },
        };
        match (work, output) {
            (Work::ResolveTag(r), OpOutput::ManifestDescriptor(d)) => self.on_resolved(r, d),
            (Work::ChildHead(d), OpOutput::ManifestDescriptor(f)) => self.on_child_head(d, f),
            (Work::Blob(d), OpOutput::Blob(outcome)) => self.on_blob(d, outcome),
            (Work::PutChild(d), OpOutput::ManifestPut(_)) => self.on_child_put(d),
            (Work::PutItem(r), OpOutput::ManifestPut(_)) => self.on_item_put(r, false),
            (Work::PutItem(r), OpOutput::ManifestPutConfirmed(_)) => self.on_item_put(r, true),
            (Work::ExtraTagHead(r, i), OpOutput::ManifestDescriptor(d)) => {
                self.on_extra_tag_head(r, i, d)
            }
            (Work::PutExtraTag(r, i), OpOutput::ManifestPut(_)) => self.on_extra_tag_put(r, i),
            (Work::Verify(r), OpOutput::ManifestDescriptor(d)) => self.on_verify(r, d),
            (Work::TagHead(i), OpOutput::ManifestDescriptor(d)) => self.on_tag_head(i, d),
            (Work::TagPut(i), OpOutput::ManifestPut(_)) => self.on_tag_put(i),
            (Work::ExistingLocations(r, i), OpOutput::ManifestDescriptor(d)) => {
                self.on_existing_locations(r, i, d)
            }
            (work, out) => {
                let action = self.action(&work);
                self.fail(
                    action,
                    RegistryError::unexpected(&out, "in the copy session"),
                );
            }
        }
    }

    /// A tag we may not read is treated as absent, as ggcr does. So is a
    /// tag or child manifest the registry still fails to read after the
    /// retries (5xx): a registry killed while it rewrote a manifest's links
    /// (Distribution's filesystem driver does not write them atomically)
    /// answers 500 for every tag of that manifest, and pushing it again
    /// (content first, as always) repairs them.
    fn absent_if_forbidden(work: &Work, e: RegistryError) -> Result<OpOutput, RegistryError> {
        let status = e.status().unwrap_or(0);
        match work {
            Work::ResolveTag(_) | Work::ExtraTagHead(..) | Work::TagHead(_)
                if status == 403 || status >= 500 =>
            {
                Ok(OpOutput::ManifestDescriptor(None))
            }
            Work::ChildHead(_) if status >= 500 => Ok(OpOutput::ManifestDescriptor(None)),
            _ => Err(e),
        }
    }

    /// imgpkg: a locations image refused by an immutable-tag registry is
    /// fine if one can be read there already; any other failure ends the
    /// copy.
    fn on_failed(&mut self, work: Work, e: RegistryError) {
        let action = self.action(&work);
        let tag_index = match work {
            Work::PutItem(r @ ItemRef::Locations(_)) => Some((r, 0)),
            Work::PutExtraTag(r @ ItemRef::Locations(_), i) => Some((r, i)),
            _ => None,
        };
        if let Some((r, i)) = tag_index {
            if e.is_immutable_tag() {
                self.refused.insert((r, i), (action, e));
                self.queue.push_back(Work::ExistingLocations(r, i));
                return;
            }
        }
        self.fail(action, e)
    }

    /// The item's upload tag: skip the item if it already points at it.
    pub(super) fn on_resolved(&mut self, r: ItemRef, found: Option<ManifestDescriptor>) {
        let digest = self.item(r).manifest.digest;
        if found.map(|d| d.digest) != Some(digest) {
            return self.start_content(r);
        }
        let extra = self.item(r).tags.len() > 1;
        if let Some(s) = self.items.get_mut(&r) {
            s.skipped = true;
            s.phase = ItemPhase::ExtraTags;
        }
        if extra {
            self.queue.push_back(Work::ExtraTagHead(r, 1));
        } else {
            self.item_done(r);
        }
    }

    /// A child manifest by digest: present, or push it after its deps.
    pub(super) fn on_child_head(&mut self, d: Digest, found: Option<ManifestDescriptor>) {
        if found.map(|f| f.digest) == Some(d) {
            self.child_done(d);
        } else {
            self.start_child(d);
        }
    }

    fn on_blob(&mut self, d: Digest, outcome: BlobOutcome) {
        let size = self.blobs.get(&d).map(|b| b.blob.size).unwrap_or(0);
        match outcome {
            BlobOutcome::Present => {
                self.summary.blobs_present += 1;
                self.saw_present_blob();
            }
            BlobOutcome::Mounted => self.summary.blobs_mounted += 1,
            BlobOutcome::Uploaded {
                bytes,
                mode,
                resumes,
            } => {
                self.summary.blobs_uploaded += 1;
                self.summary.bytes_uploaded += bytes;
                self.summary.upload_resumes += u64::from(resumes);
                self.on_upload_mode(mode);
            }
        }
        self.events.push_back(CopyEvent::BlobDone {
            digest: d,
            size,
            outcome,
        });
        self.blob_done(d);
    }

    /// A chunked upload: later blobs of this push use the chunk size it
    /// ended with (a fallback found the size that passes this registry).
    fn on_upload_mode(&mut self, mode: UploadMode) {
        let UploadMode::Chunked { chunk_size, reason } = mode else {
            return;
        };
        self.summary.chunked_blobs += 1;
        if reason != ChunkReason::Requested {
            self.chunk_size = Some(chunk_size);
        }
        let keep = matches!(
            self.summary.upload_mode,
            UploadMode::Chunked { reason: r, .. } if r != ChunkReason::Requested
        ) && reason == ChunkReason::Requested;
        if !keep {
            self.summary.upload_mode = mode;
        }
    }

    fn on_child_put(&mut self, d: Digest) {
        self.summary.manifests_pushed += 1;
        self.events.push_back(CopyEvent::ManifestPushed {
            reference: format!("{}@{d}", self.repo().name()),
        });
        self.child_done(d);
    }

    /// The item is PUT by its upload tag; its extra tags follow.
    fn on_item_put(&mut self, r: ItemRef, confirmed: bool) {
        self.summary.manifests_pushed += 1;
        self.events.push_back(CopyEvent::ManifestPushed {
            reference: self.display(&self.upload_ref(r)),
        });
        let extra = self.item(r).tags.len() > 1;
        if let Some(s) = self.items.get_mut(&r) {
            s.pushed = true;
            s.confirmed = confirmed;
            if extra {
                s.phase = ItemPhase::ExtraTags;
            }
        }
        if extra {
            self.queue.push_back(Work::PutExtraTag(r, 1));
        } else {
            self.item_done(r);
        }
    }

    /// Extra tag `i` of a skipped item: PUT it unless it has the digest.
    pub(super) fn on_extra_tag_head(
        &mut self,
        r: ItemRef,
        i: usize,
        found: Option<ManifestDescriptor>,
    ) {
        let digest = self.item(r).manifest.digest;
        if found.map(|d| d.digest) == Some(digest) {
            self.summary.tags_skipped += 1;
            self.next_extra_tag(r, i, true);
        } else {
            self.queue.push_back(Work::PutExtraTag(r, i));
        }
    }

    fn on_extra_tag_put(&mut self, r: ItemRef, i: usize) {
        self.summary.tags_pushed += 1;
        let reference = self.display(&self.item(r).tags[i]);
        self.events.push_back(CopyEvent::TagPushed { reference });
        let skipped = self.items.get(&r).is_some_and(|s| s.skipped);
        self.next_extra_tag(r, i, skipped);
    }

    /// Step 2: the upload tag must point at the item's digest.
    pub(super) fn on_verify(&mut self, r: ItemRef, found: Option<ManifestDescriptor>) {
        let expected = self.item(r).manifest.digest;
        let reference = self.display(&self.upload_ref(r));
        match found {
            Some(d) if d.digest == expected => {
                self.events.push_back(CopyEvent::Verified { reference });
                self.unit_done();
            }
            other => self.fail_with(CopyError::VerifyMismatch {
                reference,
                expected,
                actual: other
                    .map(|d| d.digest.to_string())
                    .unwrap_or_else(|| "<missing>".into()),
            }),
        }
    }

    /// Step 4: PUT the tag unless it already has the digest.
    pub(super) fn on_tag_head(&mut self, i: usize, found: Option<ManifestDescriptor>) {
        if found.map(|d| d.digest) == Some(self.plan.tags[i].digest) {
            self.summary.tags_skipped += 1;
            let reference = self.display(&self.plan.tags[i].tag);
            self.events.push_back(CopyEvent::TagSkipped { reference });
            self.unit_done();
        } else {
            self.queue.push_back(Work::TagPut(i));
        }
    }

    fn on_tag_put(&mut self, i: usize) {
        self.summary.tags_pushed += 1;
        let reference = self.display(&self.plan.tags[i].tag);
        self.events.push_back(CopyEvent::TagPushed { reference });
        self.unit_done();
    }

    /// After an immutable-tag refusal: a locations image already there is
    /// fine; otherwise the refusal ends the copy.
    fn on_existing_locations(&mut self, r: ItemRef, i: usize, found: Option<ManifestDescriptor>) {
        let refused = self.refused.remove(&(r, i));
        match (found, refused) {
            (Some(_), _) => {
                if i == 0 {
                    if let Some(s) = self.items.get_mut(&r) {
                        s.skipped = true;
                    }
                }
                let skipped = self.items.get(&r).is_some_and(|s| s.skipped);
                self.next_extra_tag(r, i, skipped);
            }
            (None, Some((action, e))) => self.fail(action, e),
            (None, None) => {}
        }
    }
}
