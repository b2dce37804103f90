//! Verifying an imgpkg tarball: every problem, not just the first.
//!
//! Two parts, so that the browser can hash in Web Workers and the CLI on
//! threads:
//! - [`structural`]: checks that need no blob bytes (descriptors against raw
//!   manifests and configs, entries present with the right sizes, bundle
//!   rules, every image a bundle names present);
//! - [`blob_checks`] + [`check_blob`]: each unique layer entry hashed and
//!   compared with its digest, streaming in chunks.

use std::collections::{BTreeSet, HashSet};

use crate::archive::{not_found_in_tar, Archive};
use crate::digest::{Digest, Hasher};
use crate::imageset::{NodeKind, Problem};
use crate::manifest::{media_type, Manifest};
use crate::plan::BlobSource;
use crate::reference::Reference;
use crate::source::ByteSource;

/// One blob to hash: a tar entry and the digest and size it must have.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlobCheck {
    /// The tar entry, `sha256-<hex>.tar.gz`.
    pub name: String,
    /// Offset of the entry's first data byte in the tar.
    pub offset: u64,
    /// Bytes stored in the tar for the entry.
    pub size: u64,
    /// Size the descriptors claim.
    pub expected_size: u64,
    /// The digest its bytes must hash to.
    pub digest: Digest,
}

/// Default chunk size for streaming hashes (4 MiB).
pub const CHUNK: usize = 4 << 20;

/// Problems that can be found without hashing blobs.
pub fn structural(archive: &Archive) -> Vec<Problem> {
    let set = &archive.set;
    let mut out = set.problems.clone();
    for node in &set.nodes {
        let subject = if node.source.is_empty() {
            format!("manifest.json entry {}", node.digest)
        } else {
            node.source.clone()
        };
        if !node.source.is_empty() {
            match Reference::parse_digest(&node.source) {
                Ok(r) if r.digest() != Some(&node.digest) => out.push(Problem::new(
                    &subject,
                    format!(
                        "Refs[0] names digest {} but the manifest digest is {}",
                        r.digest().map(|d| d.to_string()).unwrap_or_default(),
                        node.digest
                    ),
                )),
                Ok(_) => {}
                Err(e) => out.push(Problem::new(
                    &subject,
                    format!("Refs[0] is not a digest reference: {e}"),
                )),
            }
        }
        let actual = Digest::of(&node.raw);
        if actual != node.digest {
            out.push(Problem::new(
                &subject,
                format!(
                    "manifest bytes (Raw) hash to {actual}, but the recorded digest is {}",
                    node.digest
                ),
            ));
        }
        match (&node.kind, &node.manifest) {
            (
                NodeKind::Image {
                    config_digest,
                    config_raw,
                    layers,
                    ..
                },
                m,
            ) => {
                let actual = Digest::of(config_raw);
                if actual != *config_digest {
                    out.push(Problem::new(
                        &subject,
                        format!("config bytes (Config.Raw) hash to {actual}, but Config.Digest is {config_digest}"),
                    ));
                }
                match m {
                    Some(Manifest::Image(im)) => {
                        if im.config.digest != *config_digest {
                            out.push(Problem::new(
                                &subject,
                                format!(
                                    "the manifest's config is {}, but Config.Digest is {config_digest}",
                                    im.config.digest
                                ),
                            ));
                        }
                        if im.config.size != config_raw.len() as u64 {
                            out.push(Problem::new(
                                &subject,
                                format!(
                                    "the manifest says the config is {} bytes, Config.Raw has {}",
                                    im.config.size,
                                    config_raw.len()
                                ),
                            ));
                        }
                        if im.layers.len() != layers.len() {
                            out.push(Problem::new(
                                &subject,
                                format!(
                                    "the manifest lists {} layers, manifest.json lists {}",
                                    im.layers.len(),
                                    layers.len()
                                ),
                            ));
                        }
                        for (i, (ml, dl)) in im.layers.iter().zip(layers).enumerate() {
                            if ml.digest != dl.digest || ml.size != dl.size {
                                out.push(Problem::new(
                                    &subject,
                                    format!(
                                        "layer {i}: the manifest says {} ({} bytes), manifest.json says {} ({} bytes)",
                                        ml.digest, ml.size, dl.digest, dl.size
                                    ),
                                ));
                            }
                            if ml.media_type != dl.media_type {
                                out.push(Problem::new(
                                    &subject,
                                    format!(
                                        "layer {i}: the manifest says media type {}, manifest.json says {}",
                                        ml.media_type, dl.media_type
                                    ),
                                ));
                            }
                        }
                    }
                    Some(Manifest::Index(_)) => out.push(Problem::new(
                        &subject,
                        "recorded as an image, but its manifest is an index",
                    )),
                    None => {}
                }
                for l in layers {
                    let name = l.digest.tar_entry_name();
                    match (&l.source, archive.entries.get(&name)) {
                        (BlobSource::TarEntry { .. }, Some(e)) if e.size != l.size => {
                            out.push(Problem::new(
                                &name,
                                format!(
                                    "error verifying size; got {}, want {} (layer of {subject})",
                                    e.size, l.size
                                ),
                            ))
                        }
                        (BlobSource::TarEntry { .. }, _) => {}
                        _ if media_type::is_non_distributable(&l.media_type) => {}
                        _ => out.push(Problem::new(&name, not_found_in_tar(&name))),
                    }
                }
            }
            (NodeKind::Index { children }, m) => match m {
                Some(Manifest::Index(ix)) => {
                    let want: BTreeSet<Digest> = ix.manifests.iter().map(|d| d.digest).collect();
                    let have: BTreeSet<Digest> =
                        children.iter().map(|&c| set.nodes[c].digest).collect();
                    for missing in want.difference(&have) {
                        out.push(Problem::new(
                            &subject,
                            format!("the index lists {missing}, which is not in manifest.json"),
                        ));
                    }
                    for extra in have.difference(&want) {
                        out.push(Problem::new(
                            &subject,
                            format!("manifest.json lists child {extra}, which the index does not"),
                        ));
                    }
                }
                Some(Manifest::Image(_)) => out.push(Problem::new(
                    &subject,
                    "recorded as an index, but its manifest is an image",
                )),
                None => {}
            },
        }
    }
    dedup(out)
}

fn dedup(v: Vec<Problem>) -> Vec<Problem> {
    let mut seen = HashSet::new();
    v.into_iter()
        .filter(|p| seen.insert((p.subject.clone(), p.message.clone())))
        .collect()
}

/// Every unique layer entry present in the tar, with its expected digest.
pub fn blob_checks(archive: &Archive) -> Vec<BlobCheck> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for node in &archive.set.nodes {
        if let NodeKind::Image { layers, .. } = &node.kind {
            for l in layers {
                if let BlobSource::TarEntry { offset, size } = l.source {
                    if seen.insert(l.digest) {
                        out.push(BlobCheck {
                            name: l.digest.tar_entry_name(),
                            offset,
                            size,
                            expected_size: l.size,
                            digest: l.digest,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The problem for a blob whose tar entry is not the size its descriptor
/// gives (such a blob is not hashed).
pub fn size_problem(check: &BlobCheck) -> Option<Problem> {
    (check.size != check.expected_size).then(|| {
        Problem::new(
            &check.name,
            format!(
                "{} bytes, the manifest says {}",
                check.size, check.expected_size
            ),
        )
    })
}

/// The result of hashing one blob.
pub fn judge(check: &BlobCheck, actual: Digest, read: u64) -> Option<Problem> {
    if actual != check.digest {
        return Some(Problem::new(
            &check.name,
            format!(
                "error verifying sha256 checksum after reading {read} bytes; got \"{actual}\", want \"{}\"",
                check.digest
            ),
        ));
    }
    None
}

/// The problem for a blob that could not be read (`error` says why).
pub fn read_problem(check: &BlobCheck, error: &dyn std::fmt::Display) -> Problem {
    Problem::new(&check.name, error.to_string())
}

/// Hashes one blob from the source in `chunk`-sized reads, reporting bytes
/// as they are hashed. Returns the problem, if any.
pub async fn check_blob<S: ByteSource + ?Sized>(
    src: &S,
    check: &BlobCheck,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> Option<Problem> {
    let mut h = Hasher::new();
    let mut pos = 0u64;
    while pos < check.size {
        let want = chunk.max(1).min((check.size - pos) as usize);
        let buf = match src.read_at(check.offset + pos, want).await {
            Ok(b) => b,
            Err(e) => return Some(read_problem(check, &e)),
        };
        if buf.is_empty() {
            break;
        }
        h.update(&buf);
        pos += buf.len() as u64;
        progress(buf.len() as u64);
    }
    let read = h.len();
    judge(check, h.finish(), read)
}

/// [`check_blob`] reading into the caller's buffer (its length is the chunk
/// size), so that one buffer serves every blob a worker hashes: no
/// allocation per read, and a buffer that fits the CPU cache keeps the
/// bytes hot between the copy and the hash.
pub async fn check_blob_with_buffer<S: ByteSource + ?Sized>(
    src: &S,
    check: &BlobCheck,
    buf: &mut [u8],
    progress: &mut dyn FnMut(u64),
) -> Option<Problem> {
    if buf.is_empty() {
        return Some(Problem::new(
            &check.name,
            "internal error: empty read buffer",
        ));
    }
    let mut h = Hasher::new();
    let mut pos = 0u64;
    while pos < check.size {
        let want = (buf.len() as u64).min(check.size - pos) as usize;
        let n = match src.read_into(check.offset + pos, &mut buf[..want]).await {
            Ok(n) => n,
            Err(e) => return Some(read_problem(check, &e)),
        };
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        pos += n as u64;
        progress(n as u64);
    }
    let read = h.len();
    judge(check, h.finish(), read)
}
