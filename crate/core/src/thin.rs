//! Thin tars: imgpkg's tar format for everything they hold, minus the layer
//! blobs the destination already has, plus one extra entry
//! ([`OMITTED_ENTRY`]) naming every blob left out, the images that need it,
//! and the receipt or earlier tar that promised it.
//!
//! ```text
//!  export:  receipts / earlier tars ──> SkipSet
//!           ImageSet ──export::layout──> thin_layout(SkipSet) ──> TarLayout + Omitted
//!  import:  Archive ──read_omitted──> Omitted ──(HEAD each in REPO or a
//!           receipt's repository)──> resolve() ──> ImageSet fed to the planner
//! ```
//!
//! Manifests, configs (inside `manifest.json`) and bundle layers always
//! travel, so a thin tar still describes everything. Real imgpkg refuses a
//! thin tar ("file … not found in tar").

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::archive::{not_found_in_tar, Archive};
use crate::digest::Digest;
use crate::export::{LayerSlot, TarLayout};
use crate::imageset::{ImageSet, NodeKind, Problem};
use crate::plan::BlobSource;
use crate::receipt::Receipt;
use crate::reference::Repository;
use crate::source::ByteSource;
use crate::tar::{self, TarError};

/// Name of the extra entry of a thin tar.
pub const OMITTED_ENTRY: &str = "airlock-omitted-blobs.json";
/// `kind` of that entry.
pub const KIND: &str = "AirlockOmittedBlobs";
/// The only format version of [`OMITTED_ENTRY`] written and read.
pub const VERSION: u32 = 1;
/// The largest omitted-blobs entry read.
pub const MAX_OMITTED_ENTRY: u64 = 64 << 20;

/// What justified leaving blobs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    /// `receipt` or `tar`.
    pub kind: String,
    /// The file name as given on the command line.
    pub file: String,
    /// For a receipt: the registry it was made on, and when.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub registry: Option<String>,
    /// For a receipt: the RFC 3339 time it was made.
    #[serde(rename = "createdAt", skip_serializing_if = "Option::is_none", default)]
    pub created_at: Option<String>,
}

/// One blob left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OmittedBlob {
    /// The blob's digest (`sha256:<hex>`).
    pub digest: String,
    /// Its size, in bytes.
    pub size: u64,
    /// Its media type, from the manifest that references it.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// `Refs[0]` of every image that needs it, sorted.
    pub images: Vec<String>,
    /// Index into [`Omitted::promises`].
    pub promise: usize,
    /// Repositories (paths) of the receipt's registry that hold it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub repositories: Vec<String>,
}

/// The [`OMITTED_ENTRY`] of a thin tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Omitted {
    /// Always [`KIND`].
    pub kind: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// Every receipt or tar that justified leaving a blob out; [`OmittedBlob::promise`] indexes it.
    pub promises: Vec<Promise>,
    /// Sorted by digest.
    pub blobs: Vec<OmittedBlob>,
}

/// Why a thin export or import cannot go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThinError {
    /// The omitted-blobs entry, a receipt or an earlier tar given to build a [`SkipSet`] is
    /// malformed.
    #[error("{file}: {message}")]
    Entry {
        /// The file at fault.
        file: String,
        /// What is wrong, naming the entry and field.
        message: String,
    },
    /// An earlier tar given as a promise could not be indexed.
    #[error("{0}")]
    Tar(#[from] TarError),
    /// Two promises give the same blob different sizes.
    #[error("{file}: blob {digest} is {size} bytes in one file and {other} bytes in another")]
    SizeConflict {
        /// The file that gave the second size.
        file: String,
        /// The blob's digest.
        digest: Digest,
        /// The size that file gives, in bytes.
        size: u64,
        /// The size seen first, in bytes.
        other: u64,
    },
}

impl Omitted {
    /// Total bytes left out.
    pub fn bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }

    /// The entry as written into the thin tar: pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("serializes");
        v.push(b'\n');
        v
    }

    /// Parses and checks the entry of the tar `file`.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Omitted, ThinError> {
        let bad = |message: String| ThinError::Entry {
            file: file.to_string(),
            message: format!("{OMITTED_ENTRY}: {message}"),
        };
        let o: Omitted = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if o.kind != KIND {
            return Err(bad(format!("kind: '{}' is not '{KIND}'", o.kind)));
        }
        if o.version != VERSION {
            return Err(bad(format!(
                "version: {} is not a version this Airlock reads (expected {VERSION})",
                o.version
            )));
        }
        for (i, b) in o.blobs.iter().enumerate() {
            Digest::parse(&b.digest).map_err(|e| bad(format!("blobs[{i}].digest: {e}")))?;
            if b.promise >= o.promises.len() {
                return Err(bad(format!(
                    "blobs[{i}].promise: {} names no entry of promises ({} listed)",
                    b.promise,
                    o.promises.len()
                )));
            }
        }
        Ok(o)
    }

    /// `digest -> blob`.
    pub fn by_digest(&self) -> BTreeMap<Digest, &OmittedBlob> {
        self.blobs
            .iter()
            .filter_map(|b| Digest::parse(&b.digest).ok().map(|d| (d, b)))
            .collect()
    }

    /// How a blob's promise reads in messages: `receipt month1.json` or
    /// `tar last-month.tar`.
    pub fn promised_by(&self, blob: &OmittedBlob) -> String {
        let p = &self.promises[blob.promise];
        format!("{} {}", p.kind, p.file)
    }
}

/// The blobs a destination is known to have, with what says so.
#[derive(Debug, Clone, Default)]
pub struct SkipSet {
    promises: Vec<Promise>,
    /// digest -> (size, promise, repositories)
    blobs: BTreeMap<Digest, (u64, usize, Vec<String>)>,
}

impl SkipSet {
    /// An empty set: nothing is skipped.
    pub fn new() -> SkipSet {
        SkipSet::default()
    }

    /// Whether no blob is skipped.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Number of distinct blobs skipped.
    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    fn add(
        &mut self,
        file: &str,
        digest: Digest,
        size: u64,
        promise: usize,
        repos: Vec<String>,
    ) -> Result<(), ThinError> {
        match self.blobs.get(&digest) {
            Some((s, _, _)) if *s != size => Err(ThinError::SizeConflict {
                file: file.to_string(),
                digest,
                size,
                other: *s,
            }),
            Some(_) => Ok(()),
            None => {
                self.blobs.insert(digest, (size, promise, repos));
                Ok(())
            }
        }
    }

    /// Every blob of a receipt (configs included: harmless, they are never
    /// tar entries).
    pub fn add_receipt(&mut self, receipt: &Receipt, file: &str) -> Result<(), ThinError> {
        let promise = self.promises.len();
        self.promises.push(Promise {
            kind: "receipt".into(),
            file: file.to_string(),
            registry: Some(receipt.registry.clone()),
            created_at: Some(receipt.created_at.clone()),
        });
        for (d, (size, repos)) in receipt.blob_holders() {
            self.add(file, d, size, promise, repos)?;
        }
        Ok(())
    }

    /// Every layer an earlier tar delivered: its layer entries, and the
    /// layers it itself left out (delivered before it).
    pub fn add_tar(
        &mut self,
        archive: &Archive,
        omitted: Option<&Omitted>,
        file: &str,
    ) -> Result<(), ThinError> {
        let promise = self.promises.len();
        self.promises.push(Promise {
            kind: "tar".into(),
            file: file.to_string(),
            registry: None,
            created_at: None,
        });
        for node in &archive.set.nodes {
            if let NodeKind::Image { layers, .. } = &node.kind {
                for l in layers {
                    if let BlobSource::TarEntry { size, .. } = l.source {
                        if size == l.size {
                            self.add(file, l.digest, l.size, promise, Vec::new())?;
                        }
                    }
                }
            }
        }
        for (d, b) in omitted.map(Omitted::by_digest).unwrap_or_default() {
            self.add(file, d, b.size, promise, Vec::new())?;
        }
        Ok(())
    }
}

/// Leaves out of `layout` every layer of `set` that `skip` holds, except
/// the bundles' own layers; adds the [`OMITTED_ENTRY`] after
/// `manifest.json`. With nothing to leave out, the layout is unchanged (a
/// plain imgpkg tar).
pub fn thin_layout(set: &ImageSet, layout: TarLayout, skip: &SkipSet) -> (TarLayout, Omitted) {
    let bundle_layers: BTreeSet<Digest> = set
        .bundles
        .values()
        .flat_map(|b| match &set.nodes[b.node].kind {
            NodeKind::Image { layers, .. } => layers.iter().map(|l| l.digest).collect(),
            NodeKind::Index { .. } => Vec::new(),
        })
        .collect();
    let mut needed_by: BTreeMap<Digest, (BTreeSet<String>, String)> = BTreeMap::new();
    for node in &set.nodes {
        if let NodeKind::Image { layers, .. } = &node.kind {
            for l in layers {
                needed_by
                    .entry(l.digest)
                    .or_insert_with(|| (BTreeSet::new(), l.media_type.clone()))
                    .0
                    .insert(node.source.clone());
            }
        }
    }
    let mut kept = Vec::new();
    let mut blobs = Vec::new();
    for slot in layout.layers {
        match skip.blobs.get(&slot.digest) {
            Some((size, promise, repos))
                if *size == slot.size && !bundle_layers.contains(&slot.digest) =>
            {
                let (images, media_type) = needed_by.get(&slot.digest).cloned().unwrap_or_default();
                blobs.push(OmittedBlob {
                    digest: slot.digest.to_string(),
                    size: slot.size,
                    media_type,
                    images: images.into_iter().collect(),
                    promise: *promise,
                    repositories: repos.clone(),
                });
            }
            _ => kept.push(slot),
        }
    }
    // Only the promises some blob relies on, renumbered.
    let used: BTreeSet<usize> = blobs.iter().map(|b| b.promise).collect();
    let renumber: BTreeMap<usize, usize> = used.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    for b in &mut blobs {
        b.promise = renumber[&b.promise];
    }
    let omitted = Omitted {
        kind: KIND.into(),
        version: VERSION,
        promises: used.iter().map(|&p| skip.promises[p].clone()).collect(),
        blobs,
    };
    let mut head = layout.manifest_entry;
    if !omitted.blobs.is_empty() {
        let json = omitted.to_json();
        head.extend(
            tar::entry_header(OMITTED_ENTRY, json.len() as u64, tar::DEFAULT_MODE)
                .expect("a short name always has a header"),
        );
        head.extend_from_slice(&json);
        head.resize(head.len() + tar::padding(json.len() as u64) as usize, 0);
    }
    let mut pos = head.len() as u64;
    let layers: Vec<LayerSlot> = kept
        .into_iter()
        .map(|mut s| {
            s.header_offset = pos;
            s.data_offset = pos + s.header.len() as u64;
            pos = s.data_offset + s.size + tar::padding(s.size);
            s
        })
        .collect();
    let end = TarLayout::end_marker().len() as u64;
    (
        TarLayout {
            descriptors: layout.descriptors,
            manifest_entry: head,
            layers,
            end_offset: pos,
            total_size: pos + end,
            warnings: layout.warnings,
        },
        omitted,
    )
}

/// The omitted-blobs entry of an opened tar, if it has one.
pub async fn read_omitted<S: ByteSource + ?Sized>(
    src: &S,
    archive: &Archive,
    file: &str,
) -> Result<Option<Omitted>, ThinError> {
    let Some(e) = archive.entries.get(OMITTED_ENTRY) else {
        return Ok(None);
    };
    if e.size > MAX_OMITTED_ENTRY {
        return Err(ThinError::Entry {
            file: file.to_string(),
            message: format!(
                "{OMITTED_ENTRY} is {} bytes, more than the {MAX_OMITTED_ENTRY} bytes Airlock reads",
                e.size
            ),
        });
    }
    let bytes = tar::read_entry(src, e, MAX_OMITTED_ENTRY).await?;
    Omitted::parse(&bytes, file).map(Some)
}

/// `problems` less the "not found in tar" of layers the entry lists with
/// the size `manifest.json` gives them; a listed blob that is in the tar
/// after all, or whose size disagrees, becomes a problem.
pub fn filter_problems(
    archive: &Archive,
    omitted: &Omitted,
    problems: Vec<Problem>,
) -> Vec<Problem> {
    let listed = omitted.by_digest();
    let mut sizes: BTreeMap<Digest, u64> = BTreeMap::new();
    for node in &archive.set.nodes {
        if let NodeKind::Image { layers, .. } = &node.kind {
            for l in layers {
                sizes.insert(l.digest, l.size);
            }
        }
    }
    let excused: BTreeSet<String> = listed
        .iter()
        .filter(|(d, b)| sizes.get(d) == Some(&b.size))
        .map(|(d, _)| d.tar_entry_name())
        .collect();
    let mut out: Vec<Problem> = problems
        .into_iter()
        .filter(|p| !(excused.contains(&p.subject) && p.message == not_found_in_tar(&p.subject)))
        .collect();
    for (d, b) in &listed {
        match sizes.get(d) {
            None => out.push(Problem::new(
                OMITTED_ENTRY,
                format!("lists {d}, which no image of manifest.json has"),
            )),
            Some(s) if *s != b.size => out.push(Problem::new(
                OMITTED_ENTRY,
                format!("lists {d} as {} bytes; manifest.json says {s}", b.size),
            )),
            _ => {}
        }
        if archive.entries.get(&d.tar_entry_name()).is_some() {
            out.push(Problem::new(
                OMITTED_ENTRY,
                format!("lists {d} as omitted, but the tar holds it"),
            ));
        }
    }
    out
}

/// The images that need a blob, for messages: at most three named, then
/// "and N more".
pub fn images_text(images: &[String]) -> String {
    if images.len() > 3 {
        format!("{} and {} more", images[..3].join(", "), images.len() - 3)
    } else {
        images.join(", ")
    }
}

/// What `airlock inspect` prints for a thin tar (and the page shows in its
/// contents): the count and bytes left out, then one line per layer.
pub fn inspect_text(omitted: &Omitted) -> String {
    let mut out = format!(
        "thin tar: {} layer(s) ({}) omitted, expected in the destination registry (listed in {}).\n  imgpkg cannot import this tar (\"file … not found in tar\"); import it with `airlock copy --tar … --to-repo …`.\n",
        omitted.blobs.len(),
        crate::inspect::human_size(omitted.bytes()),
        OMITTED_ENTRY
    );
    for b in &omitted.blobs {
        out.push_str(&format!(
            "  omitted {} ({}), needed by {}; promised by {}\n",
            b.digest,
            crate::inspect::human_size(b.size),
            images_text(&b.images),
            omitted.promised_by(b)
        ));
    }
    out
}

/// The line `airlock verify` prints after "all … blobs verified" for a thin
/// tar named `file` (the page shows the same).
pub fn verify_note(file: &str, omitted: &Omitted) -> String {
    format!(
        "{file}: thin tar: {} layer(s) ({}) omitted, expected in the destination (checked by `airlock copy --tar` before it writes)",
        omitted.blobs.len(),
        crate::inspect::human_size(omitted.bytes())
    )
}

/// Points every omitted layer of `set` at the repository found to hold it,
/// so the planner and the copy HEAD (and, from another repository of the
/// registry, mount) it instead of reading the tar.
pub fn resolve(set: &mut ImageSet, found: &BTreeMap<Digest, Repository>) {
    for node in &mut set.nodes {
        if let NodeKind::Image { layers, .. } = &mut node.kind {
            for l in layers {
                if l.source == BlobSource::Skip {
                    if let Some(repo) = found.get(&l.digest) {
                        l.source = BlobSource::Registry {
                            repository: repo.clone(),
                        };
                    }
                }
            }
        }
    }
}

/// Every omitted layer pointed at `repo`, as if the check had found them
/// all there: what a preview (`airlock plan`, the page's preview) plans
/// before the check has run.
pub fn resolve_all(set: &mut ImageSet, omitted: &Omitted, repo: &Repository) {
    let all = omitted
        .by_digest()
        .into_keys()
        .map(|d| (d, repo.clone()))
        .collect();
    resolve(set, &all);
}
