//! docker-archive layers sent gzip-compressed instead of as they are
//! (`airlock copy --docker-layers gzip`).
//!
//! A docker-archive's layers are uncompressed tars; by default they are
//! pushed as `application/vnd.oci.image.layer.v1.tar` at their diff IDs
//! ([`super::docker_archive`]). Compressed, each layer is Go's
//! `compress/gzip` at BestSpeed of the layer tar ([`GoGzipWriter`], the
//! encoder that reproduces imgpkg's layer bytes), so the same archive always
//! gives the same layer digests, manifests and image digests — from the CLI
//! and from the page alike. The media type becomes
//! `application/vnd.oci.image.layer.v1.tar+gzip`; the config is unchanged
//! (byte for byte, so the image ID and the diff IDs stay).
//!
//! Two passes, never a whole layer in memory:
//!
//! 1. [`gzip_checked`] reads each layer once, checks it against its diff ID
//!    exactly as verification does, and compresses it on the way, keeping
//!    only the compressed digest and size ([`GzippedLayer`]);
//!    [`with_gzip_layers`] then rebuilds every manifest with those, so the
//!    plan, the preview and the lock show the final digests before anything
//!    is sent;
//! 2. the copy compresses the layer again while uploading it
//!    ([`BlobSource::GzipTarEntry`]); the uploader checks the stream against
//!    the digest of pass 1.

use std::collections::HashMap;
use std::sync::Arc;

use super::docker_archive::build_manifest_with;
use super::{Format, FormatError, ImageArchive};
use crate::digest::{Digest, Hasher};
use crate::go::flate::GoGzipWriter;
use crate::imageset::{NodeKind, Problem};
use crate::manifest::{media_type, Manifest};
use crate::plan::BlobSource;
use crate::source::ByteSource;
use crate::verify::{self, BlobCheck};

/// How docker-archive layers are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DockerLayers {
    /// As the archive holds them: uncompressed tars at their diff IDs.
    #[default]
    Tar,
    /// Gzip-compressed (Go's BestSpeed), deterministic.
    Gzip,
}

/// A layer's compressed form: what its descriptor will say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GzippedLayer {
    /// sha256 of the gzip stream.
    pub digest: Digest,
    /// Bytes of the gzip stream.
    pub size: u64,
}

/// Reads the layer `check` describes once (in `buf`-sized reads), checks it
/// against its diff ID as verification does (the same problems, the same
/// messages), and compresses it on the way. Only the compressed digest and
/// size are kept.
pub async fn gzip_checked<S: ByteSource + ?Sized>(
    src: &S,
    check: &BlobCheck,
    buf: &mut [u8],
    progress: &mut dyn FnMut(u64),
) -> Result<GzippedLayer, Problem> {
    if check.size != check.expected_size {
        return Err(Problem::new(
            &check.name,
            format!(
                "{} bytes, the manifest says {}",
                check.size, check.expected_size
            ),
        ));
    }
    let mut gz = GoGzipWriter::new();
    let mut out = Vec::with_capacity(buf.len() + 1024);
    let mut hash = Hasher::new();
    let problem = verify::check_blob_observing(src, check, buf, progress, &mut |bytes| {
        gz.write(bytes, &mut out);
        hash.update(&out);
        out.clear();
    })
    .await;
    if let Some(p) = problem {
        return Err(p);
    }
    gz.finish(&mut out);
    hash.update(&out);
    let size = hash.len();
    Ok(GzippedLayer {
        digest: hash.finish(),
        size,
    })
}

/// [`gzip_checked`] for every layer of the archive, one after the other
/// (the CLI runs [`gzip_checked`] on threads instead). Every problem is
/// returned, not just the first. The result is keyed by diff ID, as
/// [`with_gzip_layers`] takes it.
pub async fn gzip_all<S: ByteSource + ?Sized>(
    src: &S,
    archive: &ImageArchive,
    progress: &mut dyn FnMut(u64),
) -> Result<HashMap<Digest, GzippedLayer>, Vec<Problem>> {
    let mut buf = vec![0u8; 256 << 10];
    let mut results = Vec::with_capacity(archive.blob_checks.len());
    for c in &archive.blob_checks {
        results.push(gzip_checked(src, c, &mut buf, progress).await);
    }
    collect(&archive.blob_checks, results)
}

/// The results of [`gzip_checked`] for each of `checks` (in their order),
/// keyed by diff ID as [`with_gzip_layers`] takes them; or every problem.
pub fn collect(
    checks: &[BlobCheck],
    results: Vec<Result<GzippedLayer, Problem>>,
) -> Result<HashMap<Digest, GzippedLayer>, Vec<Problem>> {
    let mut out = HashMap::new();
    let mut problems = Vec::new();
    for (c, r) in checks.iter().zip(results) {
        match r {
            Ok(g) => {
                out.insert(c.digest, g);
            }
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The docker-archive with every layer sent gzip-compressed: each image's
/// manifest rebuilt with the compressed layers (media type
/// `application/vnd.oci.image.layer.v1.tar+gzip`, digest and size from
/// `gzipped`, keyed by diff ID), so the image digests change and the config
/// does not. Layers become [`BlobSource::GzipTarEntry`] sources.
pub fn with_gzip_layers(
    archive: &ImageArchive,
    gzipped: &HashMap<Digest, GzippedLayer>,
) -> Result<ImageArchive, FormatError> {
    if archive.format != Format::DockerArchive {
        return Err(FormatError::Invalid {
            entry: archive.format.as_str().to_string(),
            message: "only docker-archive layers can be compressed; this archive's layers are pushed as they are".into(),
        });
    }
    let mut out = archive.clone();
    for node in &mut out.set.nodes {
        let NodeKind::Image {
            config_digest,
            config_raw,
            layers,
            ..
        } = &mut node.kind
        else {
            continue;
        };
        let mut descs = Vec::with_capacity(layers.len());
        for l in layers.iter_mut() {
            let BlobSource::TarEntry { offset, size } = l.source else {
                return Err(FormatError::Invalid {
                    entry: node.source.clone(),
                    message: format!("layer {} is not a range of the archive", l.digest),
                });
            };
            let Some(g) = gzipped.get(&l.digest) else {
                return Err(FormatError::Invalid {
                    entry: node.source.clone(),
                    message: format!("layer {} (diff ID) was not compressed", l.digest),
                });
            };
            l.media_type = media_type::OCI_LAYER.to_string();
            l.digest = g.digest;
            l.size = g.size;
            l.source = BlobSource::GzipTarEntry { offset, size };
            descs.push((g.digest, g.size));
        }
        let raw = build_manifest_with(
            config_digest,
            config_raw.len() as u64,
            &descs,
            media_type::OCI_LAYER,
        );
        node.digest = Digest::of(&raw);
        node.manifest = Manifest::parse(raw.clone(), Some(media_type::OCI_MANIFEST)).ok();
        node.raw = Arc::new(raw);
    }
    Ok(out)
}
