//! The session's bookkeeping: the state of each item, child manifest and
//! blob, and the units of work it queues.

use crate::digest::Digest;
use crate::plan::{PlannedBlob, PlannedManifest};

use super::events::ItemRef;

/// Something that waits for children and blobs: an item or a child manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum NodeId {
    Item(ItemRef),
    Child(Digest),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemPhase {
    Resolving,
    Deps,
    Putting,
    ExtraTags,
    Done,
}

#[derive(Debug)]
pub(super) struct ItemState {
    pub(super) phase: ItemPhase,
    pub(super) pending: usize,
    pub(super) pushed: bool,
    pub(super) skipped: bool,
    /// The upload tag's PUT response named the item's digest.
    pub(super) confirmed: bool,
}

impl ItemState {
    pub(super) fn new() -> ItemState {
        ItemState {
            phase: ItemPhase::Resolving,
            pending: 0,
            pushed: false,
            skipped: false,
            confirmed: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChildPhase {
    Heading,
    Deps,
    Putting,
    Done,
}

#[derive(Debug)]
pub(super) struct ChildState {
    pub(super) manifest: PlannedManifest,
    pub(super) phase: ChildPhase,
    pub(super) pending: usize,
    pub(super) waiters: Vec<NodeId>,
}

#[derive(Debug)]
pub(super) struct BlobState {
    pub(super) blob: PlannedBlob,
    pub(super) done: bool,
    pub(super) waiters: Vec<NodeId>,
}

/// One registry operation the session wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Work {
    /// The destination's tag list, before the upload step.
    ListTags,
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
