//! Queued work as registry operations: which operation, with what
//! reference, and how a failure describes it.

use crate::plan::BlobSource;

use super::super::auth::PUSH_ACTIONS;
use super::super::blob_upload::{UploadBlob, UploadOptions};
use super::super::manifest_head::HeadManifest;
use super::super::manifest_put::PutManifest;
use super::super::op::Operation;
use super::super::tags_list::ListTags;
use super::events::ItemRef;
use super::state::Work;
use super::CopySession;

impl CopySession {
    /// The registry operation that performs `work`.
    fn operation(&self, work: &Work) -> Box<dyn Operation> {
        let repo = self.repo().clone();
        match work {
            Work::ResolveTag(r) | Work::Verify(r) => {
                Box::new(HeadManifest::new(repo, self.upload_ref(*r), PUSH_ACTIONS))
            }
            Work::ChildHead(d) => Box::new(HeadManifest::new(repo, d.to_string(), PUSH_ACTIONS)),
            Work::ListTags => Box::new(ListTags::new(repo).with_actions(PUSH_ACTIONS)),
            Work::ExistingLocations(r, i) => Box::new(HeadManifest::new(
                repo,
                self.item(*r).tags[*i].clone(),
                PUSH_ACTIONS,
            )),
            Work::ExtraTagHead(r, i) => Box::new(HeadManifest::new(
                repo,
                self.item(*r).tags[*i].clone(),
                PUSH_ACTIONS,
            )),
            Work::TagHead(i) => Box::new(HeadManifest::new(
                repo,
                self.plan.tags[*i].tag.clone(),
                PUSH_ACTIONS,
            )),
            Work::Blob(d) => {
                let b = &self.blobs[d].blob;
                let known = self
                    .options
                    .mount_known
                    .get(&b.digest)
                    .filter(|r| *r != &repo && r.registry() == repo.registry());
                let mount_from = match (&b.source, known) {
                    _ if !self.options.mount => None,
                    (BlobSource::Registry { repository }, _)
                        if repository.registry() == repo.registry() =>
                    {
                        Some(repository.clone())
                    }
                    (_, Some(r)) => Some(r.clone()),
                    _ => None,
                };
                // A blob known in another repository is mounted straight
                // away: the mount answers 201 whether or not it is here.
                let from_known = known.is_some() && mount_from.as_ref() == known;
                Box::new(UploadBlob::new(
                    repo,
                    b.digest,
                    b.size,
                    b.source.clone(),
                    UploadOptions {
                        check_exists: !from_known && self.must_check_blob(b.size),
                        mount_from,
                        chunk_size: self.chunk_size,
                    },
                ))
            }
            Work::PutItem(r) => {
                let m = &self.item(*r).manifest;
                Box::new(
                    PutManifest::new(
                        repo,
                        self.upload_ref(*r),
                        m.media_type.clone(),
                        m.raw.clone(),
                    )
                    .confirming(),
                )
            }
            Work::PutExtraTag(r, i) => {
                let item = self.item(*r);
                Box::new(PutManifest::new(
                    repo,
                    item.tags[*i].clone(),
                    item.manifest.media_type.clone(),
                    item.manifest.raw.clone(),
                ))
            }
            Work::PutChild(d) => {
                let m = &self.children[d].manifest;
                Box::new(PutManifest::new(
                    repo,
                    d.to_string(),
                    m.media_type.clone(),
                    m.raw.clone(),
                ))
            }
            Work::TagPut(i) => {
                let t = &self.plan.tags[*i];
                Box::new(PutManifest::new(
                    repo,
                    t.tag.clone(),
                    t.media_type.clone(),
                    t.raw.clone(),
                ))
            }
        }
    }

    /// What `work` does, for error messages (imgpkg's wording where it has one).
    pub(super) fn action(&self, work: &Work) -> String {
        let repo = self.repo().name();
        match work {
            Work::ListTags => format!("checking {repo} (listing its tags)"),
            Work::ResolveTag(r) => format!("checking {}", self.display(&self.upload_ref(*r))),
            Work::Verify(r) => format!("verifying {}", self.display(&self.upload_ref(*r))),
            Work::ChildHead(d) => format!("checking {repo}@{d}"),
            Work::ExtraTagHead(r, i) => {
                format!("checking {}", self.display(&self.item(*r).tags[*i]))
            }
            Work::TagHead(i) => format!("checking {}", self.display(&self.plan.tags[*i].tag)),
            Work::ExistingLocations(r, i) => {
                format!("checking {}", self.display(&self.item(*r).tags[*i]))
            }
            Work::Blob(d) => format!("pushing blob {d} to {repo}"),
            Work::PutItem(r) | Work::PutExtraTag(r, _) => {
                let reference = match work {
                    Work::PutExtraTag(_, i) => self.display(&self.item(*r).tags[*i]),
                    _ => self.display(&self.upload_ref(*r)),
                };
                if matches!(r, ItemRef::Locations(_)) {
                    format!("Pushing locations image to '{reference}'")
                } else {
                    format!("pushing manifest {reference}")
                }
            }
            Work::PutChild(d) => format!("pushing manifest {repo}@{d}"),
            Work::TagPut(i) => format!("tagging {}", self.display(&self.plan.tags[*i].tag)),
        }
    }

    /// Starts queued work while fewer than `concurrency` operations run.
    /// Work the tag list already answers is done without a request (and
    /// the steps move on if that finished one).
    pub(super) fn start_queued(&mut self) {
        let limit = self.options.concurrency.max(1);
        loop {
            let mut answered = false;
            while self.error.is_none() && self.running.len() < limit {
                let Some(work) = self.queue.pop_front() else {
                    break;
                };
                if self.answer_locally(&work) {
                    answered = true;
                    continue;
                }
                if matches!(work, Work::Blob(_)) {
                    self.blobs_started += 1;
                }
                let op = self.operation(&work);
                let id = self.client.start_boxed(op);
                self.running.insert(id, work);
            }
            if !answered {
                break;
            }
            self.advance_steps();
        }
    }
}
