//! What the destination's tag list, read once before the upload, answers
//! without a request: a tag it does not show is absent; a repository that
//! shows none of the plan's upload tags is fresh (see
//! [`CopyOptions`](super::CopyOptions)); an upload tag whose `PUT` response
//! named the item's digest needs no read-back; a blob the caller already
//! found present (a thin import's check) needs no request at all. The first blobs of a fresh
//! repository are still checked, to notice an interrupted earlier copy.

use std::collections::HashSet;

use crate::digest::Digest;

use super::super::error::RegistryError;
use super::super::op::{BlobOutcome, OpOutput};
use super::events::CopyEvent;
use super::options::VerifyAfterWrite;
use super::state::Work;
use super::CopySession;

impl CopySession {
    /// The tag list arrived, or failed: refused credentials end the copy
    /// (every other request would be refused too); any other failure (a
    /// registry that does not list tags, or not to these credentials)
    /// leaves nothing assumed.
    pub(super) fn on_tags_listed(&mut self, result: Result<OpOutput, RegistryError>) {
        self.known_tags = match result {
            Ok(OpOutput::Tags(tags)) => Some(tags.into_iter().collect()),
            Err(e) if e.status() == Some(404) && e.has_code("NAME_UNKNOWN") => Some(HashSet::new()),
            Err(e) if e.is_denied() && e.status() != Some(403) => {
                let action = self.action(&Work::ListTags);
                return self.fail(action, e);
            }
            _ => None,
        };
        self.fresh = self.known_tags.as_ref().is_some_and(|known| {
            !self
                .plan
                .items
                .iter()
                .chain(&self.plan.locations)
                .flat_map(|it| &it.tags)
                .any(|t| known.contains(t))
        });
        self.start_upload();
    }

    /// Whether the blob operation being started checks existence first.
    /// In a fresh repository only large blobs and the first `concurrency`
    /// blobs are checked: those are the blobs an interrupted earlier copy of
    /// the same plan started first, so if it left any blob behind one of
    /// them is there, which ends freshness (see [`Self::saw_present_blob`]).
    pub(super) fn must_check_blob(&self, size: u64) -> bool {
        !self.fresh
            || size >= self.options.fresh_check_min_size
            || self.blobs_started <= self.options.concurrency.max(1)
    }

    /// A blob the caller found present before the copy (see
    /// [`CopySession::with_present_blobs`]): counted and reported as
    /// present, with no request. It says nothing about freshness.
    pub(super) fn known_present(&mut self, digest: Digest, size: u64) {
        self.summary.blobs_present += 1;
        self.events.push_back(CopyEvent::BlobDone {
            digest,
            size,
            outcome: BlobOutcome::Present,
        });
    }

    /// A blob was already there: the repository is not fresh after all.
    pub(super) fn saw_present_blob(&mut self) {
        self.fresh = false;
    }

    fn tag_absent(&self, tag: &str) -> bool {
        self.known_tags
            .as_ref()
            .is_some_and(|known| !known.contains(tag))
    }

    /// Does `work` without a request when what is known answers it;
    /// returns whether it did.
    pub(super) fn answer_locally(&mut self, work: &Work) -> bool {
        match *work {
            Work::ResolveTag(r)
                if self
                    .item(r)
                    .tags
                    .first()
                    .is_some_and(|t| self.tag_absent(t)) =>
            {
                self.on_resolved(r, None)
            }
            Work::ExtraTagHead(r, i) if self.tag_absent(&self.item(r).tags[i]) => {
                self.on_extra_tag_head(r, i, None)
            }
            Work::TagHead(i) if self.tag_absent(&self.plan.tags[i].tag) => {
                self.on_tag_head(i, None)
            }
            Work::ChildHead(d) if self.fresh && self.options.fresh_check_min_size > 0 => {
                self.on_child_head(d, None)
            }
            Work::Verify(r)
                if self.options.verify == VerifyAfterWrite::Unconfirmed
                    && self.items.get(&r).is_some_and(|s| s.confirmed) =>
            {
                let reference = self.display(&self.upload_ref(r));
                self.events.push_back(CopyEvent::Verified { reference });
                self.unit_done();
            }
            _ => return false,
        }
        true
    }
}
