//! Thin transfers in the CLI: reading `--skip-blobs` files for a thin
//! export, and the check a thin import runs before it writes anything.

use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::NativeTransport;
use airlock_core::archive::Archive;
use airlock_core::receipt::{self, Receipt, MAX_RECEIPT_BYTES};
use airlock_core::reference::Repository;
use airlock_core::registry::thin_check::{ThinCheck, ThinCheckError, ThinCheckOutcome};
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
    #[error(transparent)]
    Import(#[from] ThinCheckError),
    #[error("checking the omitted layers in {repo}: {source}")]
    Drive {
        repo: String,
        #[source]
        source: Box<airlock_core::registry::RegistryError>,
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

/// Before anything is written: every omitted blob must be in `repo`, or in
/// another repository of the same registry that its receipt names (then it
/// is mounted). The core's [`ThinCheck`] decides; this drives it and prints
/// its summary.
pub fn check_import(
    flags: &RegistryFlags,
    transport: &NativeTransport,
    tar: &Path,
    omitted: &Omitted,
    repo: &Repository,
) -> Result<ThinCheckOutcome, ThinCliError> {
    let client = flags.client().map_err(Box::new)?;
    let mut check = ThinCheck::new(client, &tar.display().to_string(), omitted, repo);
    transport
        .drive(&mut check, &mut |_| {})
        .map_err(|e| ThinCliError::Drive {
            repo: repo.to_string(),
            source: Box::new(e.into()),
        })?;
    let outcome = check.take_result().unwrap_or(Err(ThinCheckError::Check {
        repo: repo.to_string(),
        source: Box::new(airlock_core::registry::RegistryError::NoResult {
            what: "the omitted-layer check",
        }),
    }))?;
    eprintln!("copy | {outcome}");
    Ok(outcome)
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
