//! Thin transfers in the CLI: reading `--skip-blobs` files for a thin
//! export, and the check a thin import runs before it writes anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::NativeTransport;
use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::receipt::{self, Receipt, MAX_RECEIPT_BYTES};
use airlock_core::reference::Repository;
use airlock_core::registry::blob_probe::BlobProbe;
use airlock_core::thin::{self, Omitted, SkipSet};

use crate::flags::RegistryFlags;

/// Why a thin export or import stops.
#[derive(Debug, thiserror::Error)]
pub enum ThinCliError {
    #[error("--skip-blobs {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--skip-blobs {path}: neither a receipt (JSON) nor an imgpkg tarball: {source}")]
    NotReceiptNorTar {
        path: String,
        #[source]
        source: airlock_core::archive::ArchiveError,
    },
    #[error("--skip-blobs: {first_file} was made on registry '{first}', {other_file} on '{other}'; thin tars are imported into one registry")]
    MixedRegistries {
        first_file: String,
        first: String,
        other_file: String,
        other: String,
    },
    #[error(transparent)]
    Receipt(#[from] receipt::ReceiptError),
    #[error(transparent)]
    Format(#[from] thin::ThinError),
    #[error("{tar}: {source}; nothing was pushed")]
    OtherRegistry {
        tar: String,
        #[source]
        source: receipt::ReceiptError,
    },
    #[error("checking the omitted layers in {repo}: {source}")]
    Check {
        repo: String,
        #[source]
        source: Box<airlock_core::registry::RegistryError>,
    },
    #[error("{tar} is a thin tar, and {} of its {total} omitted layer(s) are not in {repo} (nor in the repositories its receipts name); nothing was pushed:\n{}\nImport the tar those layers came with first, or export again against a fresh receipt", .missing.len(), .missing.join("\n"))]
    Missing {
        tar: String,
        total: usize,
        repo: String,
        /// One line per missing layer.
        missing: Vec<String>,
    },
    #[error(transparent)]
    Flags(#[from] Box<crate::error::CliError>),
}

/// Whether a file starts like JSON (a receipt) rather than a tar.
fn looks_like_json(path: &Path) -> Result<bool, ThinCliError> {
    use std::io::Read;
    let open = |source| ThinCliError::Open {
        path: path.display().to_string(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(open)?;
    let mut head = [0u8; 64];
    let n = f.read(&mut head).map_err(open)?;
    Ok(head[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{'))
}

/// Reads a receipt file, refusing one too large before reading it.
pub fn read_receipt(path: &Path) -> Result<Receipt, ThinCliError> {
    let name = path.display().to_string();
    let open = |source| ThinCliError::Open {
        path: name.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(open)?.len();
    if size > MAX_RECEIPT_BYTES {
        return Err(receipt::ReceiptError::TooLarge {
            file: name,
            size,
            limit: MAX_RECEIPT_BYTES,
        }
        .into());
    }
    let bytes = std::fs::read(path).map_err(open)?;
    Ok(Receipt::parse(&bytes, &name)?)
}

/// The blobs the `--skip-blobs` files say the destination has. Receipts
/// must all come from one registry.
pub fn load_skip_set(files: &[PathBuf]) -> Result<SkipSet, ThinCliError> {
    let mut skip = SkipSet::new();
    let mut registry: Option<(String, String)> = None;
    for path in files {
        let name = path.display().to_string();
        if looks_like_json(path)? {
            let r = read_receipt(path)?;
            if let Some((first_file, first)) = &registry {
                if *first != r.registry {
                    return Err(ThinCliError::MixedRegistries {
                        first_file: first_file.clone(),
                        first: first.clone(),
                        other_file: name,
                        other: r.registry,
                    });
                }
            } else {
                registry = Some((name.clone(), r.registry.clone()));
            }
            skip.add_receipt(&r, &name)?;
        } else {
            let src = FileSource::open(path).map_err(|source| ThinCliError::Open {
                path: name.clone(),
                source,
            })?;
            let archive =
                block_on(Archive::open(&src)).map_err(|source| ThinCliError::NotReceiptNorTar {
                    path: name.clone(),
                    source,
                })?;
            let omitted = block_on(thin::read_omitted(&src, &archive, &name))?;
            skip.add_tar(&archive, omitted.as_ref(), &name)?;
        }
    }
    Ok(skip)
}

/// The images that need a blob, at most three named.
fn images_of(b: &thin::OmittedBlob) -> String {
    if b.images.len() > 3 {
        format!(
            "{} and {} more",
            b.images[..3].join(", "),
            b.images.len() - 3
        )
    } else {
        b.images.join(", ")
    }
}

/// One blob that the destination lacks.
fn missing_line(omitted: &Omitted, b: &thin::OmittedBlob) -> String {
    let images = images_of(b);
    format!(
        "  {} ({} bytes), needed by {images}; promised by {}",
        b.digest,
        b.size,
        omitted.promised_by(b)
    )
}

/// Before anything is written: every omitted blob must be in `repo`, or in
/// another repository of the same registry that its receipt names (then it
/// is mounted). Returns where each one is.
pub fn check_import(
    flags: &RegistryFlags,
    transport: &NativeTransport,
    tar: &Path,
    omitted: &Omitted,
    repo: &Repository,
) -> Result<BTreeMap<Digest, Repository>, ThinCliError> {
    for p in &omitted.promises {
        if let Some(r) = &p.registry {
            receipt::check_registry(&p.file, r, repo.registry()).map_err(|source| {
                ThinCliError::OtherRegistry {
                    tar: tar.display().to_string(),
                    source,
                }
            })?;
        }
    }
    let check = |source| ThinCliError::Check {
        repo: repo.to_string(),
        source: Box::new(source),
    };
    let blobs = omitted.by_digest();
    let mut found: BTreeMap<Digest, Repository> = BTreeMap::new();
    // Round 1: the destination itself; round 2: the receipt's other repositories.
    let mut round: Vec<(Repository, Digest)> = blobs.keys().map(|d| (repo.clone(), *d)).collect();
    for attempt in 0..2 {
        if round.is_empty() {
            break;
        }
        let client = flags.client().map_err(Box::new)?;
        let mut probe = BlobProbe::new(client, &round);
        transport
            .drive(&mut probe, &mut |_| {})
            .map_err(|e| check(e.into()))?;
        let sizes = probe
            .result()
            .unwrap_or(Err(airlock_core::registry::RegistryError::NoResult {
                what: "the omitted-layer check",
            }))
            .map_err(check)?;
        for ((r, d), s) in round.iter().zip(sizes) {
            if s.is_some() && !found.contains_key(d) {
                found.insert(*d, r.clone());
            }
        }
        if attempt == 1 {
            break;
        }
        round = blobs
            .iter()
            .filter(|(d, _)| !found.contains_key(d))
            .flat_map(|(d, b)| {
                b.repositories
                    .iter()
                    .filter(|path| **path != repo.path())
                    .filter_map(|path| {
                        Repository::parse(&format!("{}/{path}", repo.registry())).ok()
                    })
                    .map(|r| (r, *d))
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    let missing: Vec<String> = blobs
        .iter()
        .filter(|(d, _)| !found.contains_key(d))
        .map(|(_, b)| missing_line(omitted, b))
        .collect();
    if !missing.is_empty() {
        return Err(ThinCliError::Missing {
            tar: tar.display().to_string(),
            total: blobs.len(),
            repo: repo.to_string(),
            missing,
        });
    }
    let mounted = found.values().filter(|r| *r != repo).count();
    eprintln!(
        "copy | thin tar: all {} omitted layers ({}) are in the registry ({} to mount from other repositories)",
        blobs.len(),
        airlock_core::inspect::human_size(omitted.bytes()),
        mounted
    );
    Ok(found)
}

/// `--to-tar` with `--skip-blobs`: the thin layout, with a summary on stderr.
pub fn thin_export(
    skip: &SkipSet,
    set: &airlock_core::imageset::ImageSet,
    layout: airlock_core::export::TarLayout,
) -> airlock_core::export::TarLayout {
    if skip.is_empty() {
        return layout;
    }
    let full = layout.total_size;
    let (layout, omitted) = thin::thin_layout(set, layout, skip);
    eprintln!(
        "copy | thin tar: leaving out {} layer(s) ({}) the destination has; {} of {} layers travel ({} instead of {})",
        omitted.blobs.len(),
        airlock_core::inspect::human_size(omitted.bytes()),
        layout.layers.len(),
        layout.layers.len() + omitted.blobs.len(),
        airlock_core::inspect::human_size(layout.total_size),
        airlock_core::inspect::human_size(full),
    );
    if !omitted.blobs.is_empty() {
        eprintln!(
            "copy | thin tar: import it with airlock (imgpkg refuses it: file … not found in tar)"
        );
    }
    layout
}

/// The omitted-blobs entry of an opened tar (`inspect`, `verify`, `plan`).
pub fn omitted_of<S: airlock_core::source::ByteSource>(
    src: &S,
    archive: &Archive,
    path: &Path,
) -> Result<Option<Omitted>, ThinCliError> {
    Ok(block_on(thin::read_omitted(
        src,
        archive,
        &path.display().to_string(),
    ))?)
}

/// `inspect`'s lines for a thin tar.
pub fn inspect_text(omitted: &Omitted) -> String {
    let mut out = format!(
        "thin tar: {} layer(s) ({}) omitted, expected in the destination registry (listed in {}).\n  imgpkg cannot import this tar (\"file … not found in tar\"); import it with `airlock copy --tar … --to-repo …`.\n",
        omitted.blobs.len(),
        airlock_core::inspect::human_size(omitted.bytes()),
        thin::OMITTED_ENTRY
    );
    for b in &omitted.blobs {
        out.push_str(&format!(
            "  omitted {} ({}), needed by {}; promised by {}\n",
            b.digest,
            airlock_core::inspect::human_size(b.size),
            images_of(b),
            omitted.promised_by(b)
        ));
    }
    out
}

/// Every omitted layer pointed at `repo` (what `plan` previews).
pub fn resolve_all(
    set: &mut airlock_core::imageset::ImageSet,
    omitted: &Omitted,
    repo: &Repository,
) {
    let all = omitted
        .by_digest()
        .into_keys()
        .map(|d| (d, repo.clone()))
        .collect();
    thin::resolve(set, &all);
}
