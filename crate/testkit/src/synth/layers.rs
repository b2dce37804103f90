//! How a synthetic layer is made: a real gzipped tar of seeded bytes, bytes
//! streamed from a seed, zeros, a non-distributable layer, or raw bytes.

use airlock_core::digest::Digest;
use airlock_core::imagebuild;
use airlock_core::manifest::media_type;

use super::{BlobData, Format};
use crate::random;

/// How to make one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSpec {
    /// A real gzipped tar holding one file of `len` bytes derived from
    /// `seed` (text when `compressible`, else random).
    Tar {
        seed: u64,
        len: usize,
        compressible: bool,
    },
    /// `len` incompressible bytes streamed from `seed`, labelled as an
    /// uncompressed tar layer (DiffID = digest). Not a valid tar; for
    /// benchmarks.
    Random { seed: u64, len: u64 },
    /// `len` zero bytes: an uncompressed tar layer (zero blocks read as an
    /// empty tar), DiffID = digest; written as a hole. `digest`, when
    /// given, is trusted as the sha256 of the zeros (else it is computed).
    Zeros { len: u64, digest: Option<Digest> },
    /// A non-distributable ("foreign") layer: a real gzipped tar with the
    /// foreign media type and a `urls` entry in the manifest.
    NonDistributable { seed: u64, len: usize },
    /// Arbitrary bytes with a media type and DiffID ("" for non-layer types).
    Raw {
        media_type: String,
        bytes: Vec<u8>,
        diff_id: String,
    },
}

impl LayerSpec {
    /// A small random layer (a gzipped tar).
    pub fn small(seed: u64) -> LayerSpec {
        LayerSpec::Tar {
            seed,
            len: 1024 + (seed % 997) as usize,
            compressible: false,
        }
    }
}

/// One layer of a built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthLayer {
    pub media_type: String,
    pub digest: Digest,
    /// "" for media types that are not layers.
    pub diff_id: String,
    pub data: BlobData,
}

impl SynthLayer {
    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.data.len()
    }

    /// Not a foreign (non-distributable) layer.
    pub fn is_distributable(&self) -> bool {
        !media_type::is_non_distributable(&self.media_type)
    }
}

/// A gzipped tar (Go's, as imgpkg writes it) of one file: (bytes, DiffID).
pub(super) fn gzipped_tar(path: &str, contents: Vec<u8>) -> (Vec<u8>, Digest) {
    let entries = imagebuild::tree_from_files(&[(path.to_string(), 0o644, contents)]);
    let tar = imagebuild::go_tar(&entries);
    let diff_id = Digest::of(&tar);
    (imagebuild::go_gzip_best_speed(&tar), diff_id)
}

/// Builds layer `l` for an image of `format`; also the `urls` its manifest
/// descriptor lists (non-distributable layers only).
pub(super) fn build_layer(format: Format, l: &LayerSpec) -> (SynthLayer, Option<Vec<String>>) {
    let docker = format == Format::Docker;
    match l {
        LayerSpec::Tar {
            seed,
            len,
            compressible,
        } => {
            let contents = if *compressible {
                compressible_bytes(*seed, *len)
            } else {
                random::bytes(*seed, *len)
            };
            let (gz, diff_id) = gzipped_tar(&format!("opt/synth/{seed:016x}.bin"), contents);
            let mt = if docker {
                media_type::DOCKER_LAYER
            } else {
                media_type::OCI_LAYER
            };
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest: Digest::of(&gz),
                    diff_id: diff_id.to_string(),
                    data: BlobData::bytes(gz),
                },
                None,
            )
        }
        LayerSpec::Random { seed, len } => streamed_layer(
            docker,
            BlobData::Random {
                seed: *seed,
                len: *len,
            },
            None,
        ),
        LayerSpec::Zeros { len, digest } => {
            streamed_layer(docker, BlobData::Zeros { len: *len }, *digest)
        }
        LayerSpec::NonDistributable { seed, len } => {
            let (gz, diff_id) = gzipped_tar(
                &format!("opt/foreign/{seed:016x}.bin"),
                random::bytes(*seed, *len),
            );
            let digest = Digest::of(&gz);
            let mt = if docker {
                media_type::DOCKER_FOREIGN_LAYER
            } else {
                media_type::OCI_RESTRICTED_LAYER_GZIP
            };
            let url = format!("https://foreign.example.com/layers/{}", digest.tag_form());
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest,
                    diff_id: diff_id.to_string(),
                    data: BlobData::bytes(gz),
                },
                Some(vec![url]),
            )
        }
        LayerSpec::Raw {
            media_type,
            bytes,
            diff_id,
        } => (
            SynthLayer {
                media_type: media_type.clone(),
                digest: Digest::of(bytes),
                diff_id: diff_id.clone(),
                data: BlobData::bytes(bytes.clone()),
            },
            None,
        ),
    }
}

/// An uncompressed-tar layer whose bytes are streamed (DiffID = digest);
/// `digest` when the caller knows it (hashing gigabytes of zeros is slow).
fn streamed_layer(
    docker: bool,
    data: BlobData,
    digest: Option<Digest>,
) -> (SynthLayer, Option<Vec<String>>) {
    let digest = digest.unwrap_or_else(|| data.digest());
    let mt = if docker {
        "application/vnd.docker.image.rootfs.diff.tar"
    } else {
        media_type::OCI_LAYER_TAR
    };
    (
        SynthLayer {
            media_type: mt.into(),
            digest,
            diff_id: digest.to_string(),
            data,
        },
        None,
    )
}

/// `len` bytes of text (lines naming `seed`): compresses well.
pub fn compressible_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(format!("synthetic line {i} of layer {seed:016x}\n").as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}
