//! The binary's error: every command returns [`CliError`], which keeps the
//! underlying error (core, transport, IO) as its own variant until `run`
//! prints it as `airlock: Error: <message>`.

use std::io;

use airlock_cli::transport::NativeSetupError;
use airlock_core::archive::ArchiveError;
use airlock_core::digest::Digest;
use airlock_core::discover::DiscoverError;
use airlock_core::formats::destination::DestinationError;
use airlock_core::formats::FormatError;
use airlock_core::imageset::Problem;
use airlock_core::lock::LockError;
use airlock_core::planner::PlanError;
use airlock_core::reference::ReferenceError;
use airlock_core::registry::credentials::CredentialError;
use airlock_core::registry::{CopyError, RegistryError};
use airlock_core::tar::{TarError, TarWriteError};

use crate::derived::DerivedError;

/// Why a command failed. The texts of flag and source errors are imgpkg's.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Flags that do not go together, or a missing one (imgpkg's texts).
    #[error("{0}")]
    Usage(&'static str),
    #[error("Output directory path cannot be '{0}' (it would be removed first)")]
    OutputDirectory(String),
    #[error("writing to stdout: {0}")]
    Stdout(#[source] io::Error),
    #[error("opening {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("reading {path}: {source}")]
    Archive {
        path: String,
        #[source]
        source: ArchiveError,
    },
    #[error("reading {path}: {source}")]
    Format {
        path: String,
        #[source]
        source: Box<FormatError>,
    },
    #[error("{tar} is not a sound {format} ({} problem(s)); nothing was pushed:\n{}", .problems.len(), problem_list(.problems))]
    UnsoundImageArchive {
        tar: String,
        format: &'static str,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Destination(#[from] DestinationError),
    #[error("Reading path {path}: {source}")]
    ReadPath {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("creating {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("renaming {from} to {to}: {source}")]
    Rename {
        from: String,
        to: String,
        #[source]
        source: io::Error,
    },
    #[error("Removing {path}: {source}")]
    Remove {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("Writing lock file '{path}': {source}")]
    WriteLock {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The plan cannot give the asked-for `--lock-output` (the planner's text).
    #[error("{0}")]
    LockOutput(#[source] PlanError),
    #[error("{tar} is not a sound imgpkg tarball ({} problem(s)); nothing was pushed:\n{}", .problems.len(), problem_list(.problems))]
    UnsoundTar { tar: String, problems: Vec<Problem> },
    #[error("layer {0} has no registry source")]
    NoRegistrySource(Digest),
    /// The registry has no manifest for the reference (the whole text,
    /// from [`airlock_core::discover::manifest_unknown`]).
    #[error("{0}")]
    ManifestUnknown(String),
    #[error("Working with {reference}: {source}")]
    Fetch {
        reference: String,
        #[source]
        source: RegistryError,
    },
    #[error("Extracting bundle into directory: {0}")]
    Extract(#[source] Box<CliError>),
    #[error("Rewriting image lock file: {0}")]
    RewriteImagesYml(#[source] io::Error),
    #[error("Fetching location image: {0}")]
    Locations(#[source] Box<DiscoverError>),
    #[error("decompressing layer: {0}")]
    Decompress(#[source] io::Error),
    #[error("layer entry '{0}' points outside the output directory")]
    UnsafeEntry(String),
    #[error(transparent)]
    Derived(#[from] DerivedError),
    #[error(transparent)]
    Thin(#[from] crate::thin::ThinCliError),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Fmt(#[from] std::fmt::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Setup(#[from] NativeSetupError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// Boxed: a discovery error is large.
    #[error(transparent)]
    Discover(Box<DiscoverError>),
    #[error(transparent)]
    Export(#[from] TarWriteError),
    #[error(transparent)]
    Tar(#[from] TarError),
    #[error(transparent)]
    Copy(#[from] CopyError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<DiscoverError> for CliError {
    fn from(e: DiscoverError) -> CliError {
        CliError::Discover(Box::new(e))
    }
}

fn problem_list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints a failure as imgpkg does and gives the exit status.
pub fn report(e: &CliError) -> i32 {
    eprintln!("airlock: Error: {e}");
    1
}
