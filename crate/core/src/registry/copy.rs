//! The copy session: executes a [`RelocationPlan`] against its destination
//! repository, `concurrency` operations at a time.
//!
//! ```text
//!  step 1 Upload     for each item: HEAD <upload tag>
//!                      ├─ = item digest ─────────────> skipped (1 request)
//!                      └─ else: children (HEAD by digest; if absent: their
//!                         blobs, their children, PUT by digest), blobs
//!                         (HEAD; mount; upload), then PUT by upload tag
//!  step 2 Verify     HEAD every upload tag pushed in step 1 = item digest
//!  step 3 Locations  like step 1, then the extra tags
//!  step 4 Tags       HEAD tag; PUT unless it already has the digest
//! ```
//!
//! A tag is never PUT before everything it references is present; a blob is
//! uploaded once however many manifests need it (the others wait for it).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::digest::Digest;
use crate::plan::{BlobSource, PlannedBlob, PlannedItem, PlannedManifest, RelocationPlan};
use crate::reference::Repository;

use super::auth::PUSH_ACTIONS;
use super::blob_upload::{UploadBlob, UploadOptions};
use super::client::{CallId, Client, ClientEvent, RequestId, Transmit};
use super::error::RegistryError;
use super::http::{HttpResponse, TransportError};
use super::manifest_head::HeadManifest;
use super::manifest_put::PutManifest;
use super::op::{BlobOutcome, OpOutput, Operation};
use super::Machine;

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
}

/// Why a copy failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CopyError {
    /// A registry operation failed; `action` says what was being done and
    /// to which reference.
    #[error("{action}: {source}")]
    Registry {
        action: String,
        #[source]
        source: RegistryError,
    },
    #[error(
        "Expected imported image '{reference}' to have digest '{expected}' but was '{actual}'"
    )]
    VerifyMismatch {
        reference: String,
        expected: Digest,
        actual: String,
    },
    #[error("copy cancelled")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NodeId {
    Item(ItemRef),
    Child(Digest),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemPhase {
    Resolving,
    Deps,
    Putting,
    ExtraTags,
    Done,
}

#[derive(Debug)]
struct ItemState {
    phase: ItemPhase,
    pending: usize,
    pushed: bool,
    skipped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChildPhase {
    Heading,
    Deps,
    Putting,
    Done,
}

#[derive(Debug)]
struct ChildState {
    manifest: PlannedManifest,
    phase: ChildPhase,
    pending: usize,
    waiters: Vec<NodeId>,
}

#[derive(Debug)]
struct BlobState {
    blob: PlannedBlob,
    done: bool,
    waiters: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Work {
    ResolveTag(ItemRef),
    ChildHead(Digest),
    Blob(Digest),
    PutItem(ItemRef),
    PutChild(Digest),
    /// HEAD extra tag `i` of a skipped item, PUT if needed.
    ExtraTagHead(ItemRef, usize),
    PutExtraTag(ItemRef, usize),
    Verify(ItemRef),
    TagHead(usize),
    TagPut(usize),
    /// A locations image tag PUT was refused as immutable: is there one?
    ExistingLocations(ItemRef, usize),
}

/// Cancels a running [`CopySession`] from outside its driver (another
/// thread, a signal handler, a button). Cheap to clone.
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

/// Executes a relocation plan (see the module doc). Drive it as a
/// [`Machine`]; read progress with [`CopySession::poll_event`].
#[derive(Debug)]
pub struct CopySession {
    client: Client,
    plan: RelocationPlan,
    options: CopyOptions,
    step: CopyStep,
    outstanding: usize,
    items: HashMap<ItemRef, ItemState>,
    children: HashMap<Digest, ChildState>,
    blobs: HashMap<Digest, BlobState>,
    queue: VecDeque<Work>,
    running: HashMap<CallId, Work>,
    events: VecDeque<CopyEvent>,
    error: Option<CopyError>,
    summary: CopySummary,
    started: bool,
    /// Immutable-tag refusals waiting for an existence check.
    refused: HashMap<(ItemRef, usize), (String, RegistryError)>,
    cancel: CancelHandle,
}

impl CopySession {
    pub fn new(client: Client, plan: RelocationPlan, options: CopyOptions) -> CopySession {
        CopySession {
            client,
            plan,
            options,
            step: CopyStep::Upload,
            outstanding: 0,
            items: HashMap::new(),
            children: HashMap::new(),
            blobs: HashMap::new(),
            queue: VecDeque::new(),
            running: HashMap::new(),
            events: VecDeque::new(),
            error: None,
            summary: CopySummary::default(),
            started: false,
            refused: HashMap::new(),
            cancel: CancelHandle::default(),
        }
    }

    /// A handle that cancels this session when triggered; the session
    /// notices on its next `poll_transmit`/`handle_response`.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    fn check_cancel(&mut self) {
        if self.cancel.is_cancelled() && self.error.is_none() && self.step != CopyStep::Done {
            self.cancel();
        }
    }

    pub fn plan(&self) -> &RelocationPlan {
        &self.plan
    }

    pub fn step(&self) -> CopyStep {
        self.step
    }

    /// Stops issuing requests; the session finishes with
    /// [`CopyError::Cancelled`].
    pub fn cancel(&mut self) {
        if self.error.is_none() && self.step != CopyStep::Done {
            self.error = Some(CopyError::Cancelled);
        }
        self.client.abort_all();
        self.queue.clear();
        self.running.clear();
    }

    pub fn poll_event(&mut self) -> Option<CopyEvent> {
        self.events.pop_front()
    }

    /// The outcome once finished: the summary, or the first error.
    pub fn result(&self) -> Option<Result<CopySummary, CopyError>> {
        if let Some(e) = &self.error {
            return Some(Err(e.clone()));
        }
        if self.step == CopyStep::Done {
            return Some(Ok(self.summary()));
        }
        self.cancel
            .is_cancelled()
            .then_some(Err(CopyError::Cancelled))
    }

    /// Totals so far.
    pub fn summary(&self) -> CopySummary {
        let stats = self.client.stats();
        CopySummary {
            requests: stats.requests,
            retries: stats.retries,
            ..self.summary
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn into_client(self) -> Client {
        self.client
    }

    fn repo(&self) -> &Repository {
        &self.plan.repository
    }

    fn item(&self, r: ItemRef) -> &PlannedItem {
        match r {
            ItemRef::Item(i) => &self.plan.items[i],
            ItemRef::Locations(i) => &self.plan.locations[i],
        }
    }

    /// The reference the item is pushed by: its upload tag, else its digest.
    fn upload_ref(&self, r: ItemRef) -> String {
        let item = self.item(r);
        item.tags
            .first()
            .cloned()
            .unwrap_or_else(|| item.manifest.digest.to_string())
    }

    fn display(&self, reference: &str) -> String {
        super::manifest_head::display_ref(self.repo(), reference)
    }

    fn fail(&mut self, action: String, source: RegistryError) {
        if self.error.is_none() {
            self.error = Some(CopyError::Registry { action, source });
        }
        self.client.abort_all();
        self.queue.clear();
        self.running.clear();
    }

    // ---- steps -------------------------------------------------------

    fn enter_step(&mut self, step: CopyStep) {
        self.step = step;
        self.events.push_back(CopyEvent::StepStarted(step));
        match step {
            CopyStep::Upload => {
                let refs: Vec<ItemRef> = (0..self.plan.items.len()).map(ItemRef::Item).collect();
                self.start_items(refs);
            }
            CopyStep::Verify => {
                let refs: Vec<ItemRef> = self
                    .items
                    .iter()
                    .filter(|(r, s)| matches!(r, ItemRef::Item(_)) && s.pushed)
                    .map(|(r, _)| *r)
                    .collect();
                let mut refs = refs;
                refs.sort();
                self.outstanding = refs.len();
                for r in refs {
                    self.queue.push_back(Work::Verify(r));
                }
            }
            CopyStep::Locations => {
                let refs: Vec<ItemRef> = (0..self.plan.locations.len())
                    .map(ItemRef::Locations)
                    .collect();
                self.start_items(refs);
            }
            CopyStep::Tags => {
                self.outstanding = self.plan.tags.len();
                for i in 0..self.plan.tags.len() {
                    self.queue.push_back(Work::TagHead(i));
                }
            }
            CopyStep::Done => {}
        }
    }

    fn start_items(&mut self, refs: Vec<ItemRef>) {
        self.outstanding = refs.len();
        for r in refs {
            self.items.insert(
                r,
                ItemState {
                    phase: ItemPhase::Resolving,
                    pending: 0,
                    pushed: false,
                    skipped: false,
                },
            );
            self.queue.push_back(Work::ResolveTag(r));
        }
    }

    fn advance_steps(&mut self) {
        if !self.started {
            self.started = true;
            self.enter_step(CopyStep::Upload);
        }
        while self.error.is_none()
            && self.step != CopyStep::Done
            && self.outstanding == 0
            && self.queue.is_empty()
            && self.running.is_empty()
        {
            let next = match self.step {
                CopyStep::Upload => CopyStep::Verify,
                CopyStep::Verify => CopyStep::Locations,
                CopyStep::Locations => CopyStep::Tags,
                CopyStep::Tags | CopyStep::Done => CopyStep::Done,
            };
            self.enter_step(next);
        }
    }

    // ---- dependencies --------------------------------------------------

    /// Registers `node` as waiting for everything `manifest` references;
    /// returns how many of those are not present yet.
    fn register_deps(&mut self, node: NodeId, manifest: &PlannedManifest) -> usize {
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

    fn dep_done(&mut self, node: NodeId) {
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

    fn child_done(&mut self, d: Digest) {
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

    fn item_done(&mut self, r: ItemRef) {
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
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    fn start_content(&mut self, r: ItemRef) {
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

    // ---- work ----------------------------------------------------------

    fn operation(&self, work: &Work) -> Box<dyn Operation> {
        let repo = self.repo().clone();
        match work {
            Work::ResolveTag(r) | Work::Verify(r) => {
                Box::new(HeadManifest::new(repo, self.upload_ref(*r), PUSH_ACTIONS))
            }
            Work::ChildHead(d) => Box::new(HeadManifest::new(repo, d.to_string(), PUSH_ACTIONS)),
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
                let mount_from = match &b.source {
                    BlobSource::Registry { repository }
                        if self.options.mount && repository.registry() == repo.registry() =>
                    {
                        Some(repository.clone())
                    }
                    _ => None,
                };
                Box::new(UploadBlob::new(
                    repo,
                    b.digest,
                    b.size,
                    b.source.clone(),
                    UploadOptions {
                        check_exists: true,
                        mount_from,
                        chunk_size: self.options.chunk_size,
                    },
                ))
            }
            Work::PutItem(r) => {
                let m = &self.item(*r).manifest;
                Box::new(PutManifest::new(
                    repo,
                    self.upload_ref(*r),
                    m.media_type.clone(),
                    m.raw.clone(),
                ))
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

    fn action(&self, work: &Work) -> String {
        let repo = self.repo().name();
        match work {
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

    fn start_queued(&mut self) {
        let limit = self.options.concurrency.max(1);
        while self.error.is_none() && self.running.len() < limit {
            let Some(work) = self.queue.pop_front() else {
                break;
            };
            let op = self.operation(&work);
            let id = self.client.start_boxed(op);
            self.running.insert(id, work);
        }
    }

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        let Some(work) = self.running.remove(&call) else {
            return;
        };
        let result = match (&work, result) {
            // A tag we may not read is treated as absent, as ggcr does.
            (Work::ResolveTag(_) | Work::ExtraTagHead(..) | Work::TagHead(_), Err(e))
                if e.status() == Some(403) =>
            {
                Ok(OpOutput::ManifestDescriptor(None))
            }
            (_, r) => r,
        };
        let output = match result {
            Ok(o) => o,
            Err(e) => {
                let action = self.action(&work);
                // imgpkg: a locations image refused by an immutable-tag
                // registry is fine if one can be read there already.
                let tag_index = match work {
                    Work::PutItem(r @ ItemRef::Locations(_)) => Some((r, 0)),
                    Work::PutExtraTag(r @ ItemRef::Locations(_), i) => Some((r, i)),
                    _ => None,
                };
                if let Some((r, i)) = tag_index {
                    if e.to_string().to_ascii_lowercase().contains("immutable") {
                        self.refused.insert((r, i), (action, e));
                        self.queue.push_back(Work::ExistingLocations(r, i));
                        return;
                    }
                }
                return self.fail(action, e);
            }
        };
        match (work, output) {
            (Work::ResolveTag(r), OpOutput::ManifestDescriptor(d)) => {
                let digest = self.item(r).manifest.digest;
                if d.map(|d| d.digest) == Some(digest) {
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
                } else {
                    self.start_content(r);
                }
            }
            (Work::ChildHead(d), OpOutput::ManifestDescriptor(found)) => {
                if found.map(|f| f.digest) == Some(d) {
                    self.child_done(d);
                } else {
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
            }
            (Work::Blob(d), OpOutput::Blob(outcome)) => {
                let (size, waiters) = match self.blobs.get_mut(&d) {
                    Some(b) => {
                        b.done = true;
                        (b.blob.size, std::mem::take(&mut b.waiters))
                    }
                    None => (0, Vec::new()),
                };
                match outcome {
                    BlobOutcome::Present => self.summary.blobs_present += 1,
                    BlobOutcome::Mounted => self.summary.blobs_mounted += 1,
                    BlobOutcome::Uploaded { bytes } => {
                        self.summary.blobs_uploaded += 1;
                        self.summary.bytes_uploaded += bytes;
                    }
                }
                self.events.push_back(CopyEvent::BlobDone {
                    digest: d,
                    size,
                    outcome,
                });
                for w in waiters {
                    self.dep_done(w);
                }
            }
            (Work::PutChild(d), OpOutput::ManifestPut(_)) => {
                self.summary.manifests_pushed += 1;
                self.events.push_back(CopyEvent::ManifestPushed {
                    reference: format!("{}@{d}", self.repo().name()),
                });
                self.child_done(d);
            }
            (Work::PutItem(r), OpOutput::ManifestPut(_)) => {
                self.summary.manifests_pushed += 1;
                self.events.push_back(CopyEvent::ManifestPushed {
                    reference: self.display(&self.upload_ref(r)),
                });
                if let Some(s) = self.items.get_mut(&r) {
                    s.pushed = true;
                }
                if self.item(r).tags.len() > 1 {
                    if let Some(s) = self.items.get_mut(&r) {
                        s.phase = ItemPhase::ExtraTags;
                    }
                    self.queue.push_back(Work::PutExtraTag(r, 1));
                } else {
                    self.item_done(r);
                }
            }
            (Work::ExtraTagHead(r, i), OpOutput::ManifestDescriptor(d)) => {
                let digest = self.item(r).manifest.digest;
                if d.map(|d| d.digest) == Some(digest) {
                    self.summary.tags_skipped += 1;
                    self.next_extra_tag(r, i, true);
                } else {
                    self.queue.push_back(Work::PutExtraTag(r, i));
                }
            }
            (Work::PutExtraTag(r, i), OpOutput::ManifestPut(_)) => {
                self.summary.tags_pushed += 1;
                let reference = self.display(&self.item(r).tags[i]);
                self.events.push_back(CopyEvent::TagPushed { reference });
                let skipped = self.items.get(&r).is_some_and(|s| s.skipped);
                self.next_extra_tag(r, i, skipped);
            }
            (Work::Verify(r), OpOutput::ManifestDescriptor(d)) => {
                let expected = self.item(r).manifest.digest;
                let reference = self.display(&self.upload_ref(r));
                match d {
                    Some(d) if d.digest == expected => {
                        self.events.push_back(CopyEvent::Verified { reference });
                        self.outstanding = self.outstanding.saturating_sub(1);
                    }
                    other => {
                        self.error = Some(CopyError::VerifyMismatch {
                            reference,
                            expected,
                            actual: other
                                .map(|d| d.digest.to_string())
                                .unwrap_or_else(|| "<missing>".into()),
                        });
                        self.client.abort_all();
                        self.queue.clear();
                        self.running.clear();
                    }
                }
            }
            (Work::TagHead(i), OpOutput::ManifestDescriptor(d)) => {
                if d.map(|d| d.digest) == Some(self.plan.tags[i].digest) {
                    self.summary.tags_skipped += 1;
                    let reference = self.display(&self.plan.tags[i].tag);
                    self.events.push_back(CopyEvent::TagSkipped { reference });
                    self.outstanding = self.outstanding.saturating_sub(1);
                } else {
                    self.queue.push_back(Work::TagPut(i));
                }
            }
            (Work::ExistingLocations(r, i), OpOutput::ManifestDescriptor(d)) => {
                let refused = self.refused.remove(&(r, i));
                match (d, refused) {
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
            (Work::TagPut(i), OpOutput::ManifestPut(_)) => {
                self.summary.tags_pushed += 1;
                let reference = self.display(&self.plan.tags[i].tag);
                self.events.push_back(CopyEvent::TagPushed { reference });
                self.outstanding = self.outstanding.saturating_sub(1);
            }
            (work, out) => {
                let action = self.action(&work);
                self.fail(
                    action,
                    RegistryError::Protocol(format!("unexpected operation output {out:?}")),
                );
            }
        }
    }

    fn next_extra_tag(&mut self, r: ItemRef, i: usize, check_first: bool) {
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

    fn drain_client(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.client.poll_event() {
            any = true;
            match ev {
                ClientEvent::Completed { call, result } => self.on_completed(call, result),
                ClientEvent::Progress { call, bytes_sent } => {
                    if let Some(Work::Blob(d)) = self.running.get(&call) {
                        let size = self.blobs.get(d).map(|b| b.blob.size).unwrap_or(0);
                        self.events.push_back(CopyEvent::BlobProgress {
                            digest: *d,
                            bytes_sent,
                            size,
                        });
                    }
                }
            }
        }
        any
    }
}

impl Machine for CopySession {
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit> {
        self.check_cancel();
        loop {
            if self.is_finished() {
                return None;
            }
            self.advance_steps();
            self.start_queued();
            if self.is_finished() {
                return None;
            }
            let t = self.client.poll_transmit(now_ms);
            let any = self.drain_client();
            if t.is_some() {
                return t;
            }
            if !any {
                return None;
            }
        }
    }

    fn handle_response(
        &mut self,
        id: RequestId,
        now_ms: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        self.check_cancel();
        if self.is_finished() {
            return;
        }
        self.client.handle_response(id, now_ms, result);
        self.drain_client();
        self.advance_steps();
    }

    fn handle_progress(&mut self, id: RequestId, bytes_sent: u64) {
        self.client.handle_progress(id, bytes_sent);
        self.drain_client();
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.client.poll_timeout()
    }

    fn is_finished(&self) -> bool {
        self.error.is_some()
            || self.step == CopyStep::Done
            || (self.cancel.is_cancelled() && self.error.is_none())
    }
}
