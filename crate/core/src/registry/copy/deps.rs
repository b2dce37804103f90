//! What waits for what: items and child manifests wait for their children
//! and blobs; a finished dependency releases its waiters.

use crate::digest::Digest;
use crate::plan::{BlobSource, PlannedManifest};

use super::events::{CopyEvent, ItemRef};
use super::state::{BlobState, ChildPhase, ChildState, ItemPhase, NodeId, Work};
use super::CopySession;

impl CopySession {
    /// Registers `node` as waiting for everything `manifest` references;
    /// returns how many of those are not present yet.
    pub(super) fn register_deps(&mut self, node: NodeId, manifest: &PlannedManifest) -> usize {
        let mut pending = 0;
        for child in &manifest.children {
            match self.children.get_mut(&child.digest) {
                Some(c) if c.phase == ChildPhase::Done => {}
                Some(c) => {
                    c.waiters.push(node);
                    pending += 1;
                }
                None => {
                    self.children.insert(
                        child.digest,
                        ChildState {
                            manifest: child.clone(),
                            phase: ChildPhase::Heading,
                            pending: 0,
                            waiters: vec![node],
                        },
                    );
                    self.queue.push_back(Work::ChildHead(child.digest));
                    pending += 1;
                }
            }
        }
        for blob in &manifest.blobs {
            if blob.source == BlobSource::Skip {
                continue;
            }
            match self.blobs.get_mut(&blob.digest) {
                Some(b) if b.done => {}
                Some(b) => {
                    b.waiters.push(node);
                    pending += 1;
                }
                None if self.present.contains(&blob.digest) => {
                    self.blobs.insert(
                        blob.digest,
                        BlobState {
                            blob: blob.clone(),
                            done: true,
                            waiters: Vec::new(),
                        },
                    );
                    self.known_present(blob.digest, blob.size);
                }
                None => {
                    self.blobs.insert(
                        blob.digest,
                        BlobState {
                            blob: blob.clone(),
                            done: false,
                            waiters: vec![node],
                        },
                    );
                    self.queue.push_back(Work::Blob(blob.digest));
                    pending += 1;
                }
            }
        }
        pending
    }

    /// One dependency of `node` is present; PUT it once all are.
    pub(super) fn dep_done(&mut self, node: NodeId) {
        match node {
            NodeId::Item(r) => {
                if let Some(s) = self.items.get_mut(&r) {
                    s.pending = s.pending.saturating_sub(1);
                    if s.pending == 0 && s.phase == ItemPhase::Deps {
                        s.phase = ItemPhase::Putting;
                        self.queue.push_back(Work::PutItem(r));
                    }
                }
            }
            NodeId::Child(d) => {
                if let Some(c) = self.children.get_mut(&d) {
                    c.pending = c.pending.saturating_sub(1);
                    if c.pending == 0 && c.phase == ChildPhase::Deps {
                        c.phase = ChildPhase::Putting;
                        self.queue.push_back(Work::PutChild(d));
                    }
                }
            }
        }
    }

    /// The child manifest `d` is present: release its waiters.
    pub(super) fn child_done(&mut self, d: Digest) {
        let waiters = match self.children.get_mut(&d) {
            Some(c) => {
                c.phase = ChildPhase::Done;
                std::mem::take(&mut c.waiters)
            }
            None => return,
        };
        for w in waiters {
            self.dep_done(w);
        }
    }

    /// The blob `d` is present: release its waiters; returns its size.
    pub(super) fn blob_done(&mut self, d: Digest) -> u64 {
        let (size, waiters) = match self.blobs.get_mut(&d) {
            Some(b) => {
                b.done = true;
                (b.blob.size, std::mem::take(&mut b.waiters))
            }
            None => (0, Vec::new()),
        };
        for w in waiters {
            self.dep_done(w);
        }
        size
    }

    /// The child manifest `d` is absent: wait for its dependencies, then
    /// PUT it.
    pub(super) fn start_child(&mut self, d: Digest) {
        let manifest = self.children[&d].manifest.clone();
        let pending = self.register_deps(NodeId::Child(d), &manifest);
        if let Some(c) = self.children.get_mut(&d) {
            c.pending = pending;
            if pending == 0 {
                c.phase = ChildPhase::Putting;
                self.queue.push_back(Work::PutChild(d));
            } else {
                c.phase = ChildPhase::Deps;
            }
        }
    }

    /// The item's upload tag does not point at it: wait for its
    /// dependencies, then PUT it.
    pub(super) fn start_content(&mut self, r: ItemRef) {
        let manifest = self.item(r).manifest.clone();
        let pending = self.register_deps(NodeId::Item(r), &manifest);
        if let Some(s) = self.items.get_mut(&r) {
            s.pending = pending;
            if pending == 0 {
                s.phase = ItemPhase::Putting;
                self.queue.push_back(Work::PutItem(r));
            } else {
                s.phase = ItemPhase::Deps;
            }
        }
    }

    /// After extra tag `i` of `r`: the next one (HEAD first when the item
    /// was skipped), or the item is done.
    pub(super) fn next_extra_tag(&mut self, r: ItemRef, i: usize, check_first: bool) {
        if i + 1 < self.item(r).tags.len() {
            self.queue.push_back(if check_first {
                Work::ExtraTagHead(r, i + 1)
            } else {
                Work::PutExtraTag(r, i + 1)
            });
        } else {
            self.item_done(r);
        }
    }

    /// The item and all its tags are present: count and report it.
    pub(super) fn item_done(&mut self, r: ItemRef) {
        let reference = self.display(&self.upload_ref(r));
        if let Some(s) = self.items.get_mut(&r) {
            if s.phase == ItemPhase::Done {
                return;
            }
            s.phase = ItemPhase::Done;
            if s.skipped {
                self.summary.items_skipped += 1;
                self.events
                    .push_back(CopyEvent::ItemSkipped { item: r, reference });
            } else {
                self.summary.items_pushed += 1;
                self.events
                    .push_back(CopyEvent::ItemPushed { item: r, reference });
            }
        }
        self.unit_done();
    }
}
