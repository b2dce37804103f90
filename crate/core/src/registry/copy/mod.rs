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
//!
//! Files: this one holds the session's state and public API; `steps`
//! orders the four steps, `deps` tracks what waits for what, `work` turns
//! queued work into operations, `handlers` reacts to each finished
//! operation, `machine` drives the client; `options`, `events` and
//! `error` are the public types.

mod deps;
mod error;
mod events;
mod handlers;
mod known;
mod machine;
mod options;
mod state;
mod steps;
mod work;

pub use error::CopyError;
pub use events::{CopyEvent, CopyStep, CopySummary, ItemRef};
pub use options::{CancelHandle, CopyOptions, VerifyAfterWrite};

use std::collections::{HashMap, HashSet, VecDeque};

use crate::digest::Digest;
use crate::plan::{PlannedItem, RelocationPlan};
use crate::reference::Repository;

use super::client::{CallId, Client};
use super::error::RegistryError;
use state::{BlobState, ChildState, ItemState, Work};

/// Executes a relocation plan (see the module doc). Drive it as a
/// [`Machine`](super::Machine); read progress with [`CopySession::poll_event`].
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
    /// The destination's tags before the copy, when listed.
    known_tags: Option<HashSet<String>>,
    /// The destination shows none of the plan's upload tags, and no blob
    /// checked so far was there.
    fresh: bool,
    /// Blob operations started so far; the first `concurrency` are always
    /// checked (see `known.rs`).
    blobs_started: usize,
    /// Blobs known to be in the destination already (see
    /// [`CopySession::with_present_blobs`]).
    present: HashSet<Digest>,
    /// The upload chunk size for blobs started from now on: the requested
    /// one, until a fallback finds the size this registry takes.
    chunk_size: Option<u64>,
}

impl CopySession {
    /// A session that will copy `plan` through `client`; nothing is sent until it is driven.
    pub fn new(client: Client, plan: RelocationPlan, options: CopyOptions) -> CopySession {
        let chunk_size = options.chunk_size.filter(|c| *c > 0);
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
            known_tags: None,
            fresh: false,
            blobs_started: 0,
            present: HashSet::new(),
            chunk_size,
        }
    }

    /// Blobs the caller already found in the destination repository (a thin
    /// import's check HEADed them): they count as present without a request
    /// of their own.
    pub fn with_present_blobs(mut self, blobs: impl IntoIterator<Item = Digest>) -> CopySession {
        self.present.extend(blobs);
        self
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

    /// The plan being executed.
    pub fn plan(&self) -> &RelocationPlan {
        &self.plan
    }

    /// The step the session is in; [`CopyStep::Done`] once every step succeeded (a failed or
    /// cancelled session stays in the step where it stopped: see [`result`](Self::result)).
    pub fn step(&self) -> CopyStep {
        self.step
    }

    /// Stops issuing requests; the session finishes with
    /// [`CopyError::Cancelled`].
    pub fn cancel(&mut self) {
        if self.error.is_none() && self.step != CopyStep::Done {
            self.error = Some(CopyError::Cancelled);
        }
        self.stop();
    }

    /// The next progress event, in the order they happened; `None` when there is none queued.
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

    /// The registry client (its stats and cached tokens).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the session and returns its client, so that its tokens serve a next session.
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
        super::op::display_ref(self.repo(), reference)
    }

    /// Records the first error and stops all work.
    fn fail_with(&mut self, error: CopyError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.stop();
    }

    fn fail(&mut self, action: String, source: RegistryError) {
        self.fail_with(CopyError::Registry { action, source });
    }

    fn stop(&mut self) {
        self.client.abort_all();
        self.queue.clear();
        self.running.clear();
    }
}
