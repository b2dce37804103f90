//! `airlock copy`'s flags and imgpkg's rules for combining them.

use std::path::PathBuf;

use airlock_core::planner::PlanOptions;
use clap::Args;

use crate::derived::DerivedFlags;
use crate::docker_layers::DockerLayers;
use crate::error::CliError;
use crate::flags::RegistryFlags;

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// Bundle reference to copy, with every image it references (recursively)
    #[arg(short = 'b', long = "bundle")]
    pub bundle: Option<String>,
    /// Image (or index) reference to copy
    #[arg(short = 'i', long = "image")]
    pub image: Option<String>,
    /// BundleLock or ImagesLock file to copy from
    #[arg(long = "lock")]
    pub lock: Option<PathBuf>,
    /// Tarball to copy from (made by `imgpkg copy … --to-tar` or `airlock copy … --to-tar`), an OCI layout or docker-archive tar, or an OCI layout directory
    #[arg(long = "tar")]
    pub tar: Option<PathBuf>,
    /// Destination repository, e.g. registry.corp/apps/name
    #[arg(long = "to-repo")]
    pub to_repo: Option<String>,
    /// Destination prefix for an OCI layout or docker-archive holding several
    /// images: each lands at PREFIX/REPOSITORY-PATH:TAG (its own path and tag)
    #[arg(long = "to-repo-prefix")]
    pub to_repo_prefix: Option<String>,
    /// How docker-archive layers are sent: tar (as they are, at their diff IDs) or gzip (compressed, deterministic)
    #[arg(long = "docker-layers", value_enum, default_value_t)]
    pub docker_layers: DockerLayers,
    /// Destination tarball
    #[arg(long = "to-tar")]
    pub to_tar: Option<PathBuf>,
    /// Write a BundleLock or ImagesLock for the destination
    #[arg(long = "lock-output")]
    pub lock_output: Option<PathBuf>,
    #[command(flatten)]
    pub derived: DerivedFlags,
    /// Operations in flight at once
    #[arg(long = "concurrency", default_value_t = 5)]
    pub concurrency: usize,
    /// Upload blobs larger than SIZE in PATCH chunks of SIZE (e.g. 8MiB); 0: one PUT per blob,
    /// falling back to chunks when a proxy answers 413
    #[arg(long = "upload-chunk-size", value_name = "SIZE", default_value = "0", value_parser = parse_chunk_size)]
    pub upload_chunk_size: u64,
    /// Also copy non-distributable (foreign) layers
    #[arg(long = "include-non-distributable-layers")]
    pub include_non_distributable_layers: bool,
    /// Upload tags derived from the source repository path
    #[arg(long = "repo-based-tags")]
    pub repo_based_tags: bool,
    /// Also copy cosign signatures (`sha256-<hex>.sig` tags)
    #[arg(long = "cosign-signatures")]
    pub cosign_signatures: bool,
    /// Keep layers already present and valid in the --to-tar file
    #[arg(long = "resume")]
    pub resume: bool,
    /// Thin export: leave out the layers this receipt or earlier tar says the destination has (repeatable)
    #[arg(long = "skip-blobs", value_name = "FILE")]
    pub skip_blobs: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

fn parse_chunk_size(s: &str) -> Result<u64, String> {
    airlock_core::registry::upload_chunks::parse_size(s).map_err(|e| e.to_string())
}

impl CopyArgs {
    /// imgpkg's source and destination rules, with its messages.
    pub fn validate(&self) -> Result<(), CliError> {
        let sources = [
            self.bundle.is_some(),
            self.image.is_some(),
            self.lock.is_some(),
            self.tar.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(CliError::Usage(
                "Expected either --lock, --bundle (-b), --image (-i), or --tar as a source",
            ));
        }
        if self.to_repo_prefix.is_some() {
            if self.tar.is_none() {
                return Err(CliError::Usage(
                    "Flag --to-repo-prefix can only be used with --tar (an OCI layout or docker-archive)",
                ));
            }
            if self.to_repo.is_some() || self.to_tar.is_some() {
                return Err(CliError::Usage(
                    "Expected only one of --to-repo, --to-repo-prefix or --to-tar",
                ));
            }
        } else if self.to_repo.is_some() == self.to_tar.is_some() {
            return Err(CliError::Usage("Expected either --to-tar or --to-repo"));
        }
        if self.tar.is_some() && self.to_tar.is_some() {
            return Err(CliError::Usage(
                "Cannot use tar source (--tar) with tar destination (--to-tar)",
            ));
        }
        if self.to_tar.is_some() && self.lock_output.is_some() {
            return Err(CliError::Usage(
                "Cannot output lock file with tar destination",
            ));
        }
        self.derived.check_destination(self.to_tar.is_some())?;
        if self.resume && self.to_tar.is_none() {
            return Err(CliError::Usage(
                "Flag --resume can only be used when copying to tar",
            ));
        }
        if !self.skip_blobs.is_empty() && self.to_tar.is_none() {
            return Err(CliError::Usage(
                "Flag --skip-blobs can only be used when copying to tar",
            ));
        }
        if self.docker_layers != DockerLayers::Tar && self.tar.is_none() {
            return Err(CliError::Usage(
                "Flag --docker-layers can only be used with --tar (a docker-archive)",
            ));
        }
        if self.concurrency == 0 {
            return Err(CliError::Usage("--concurrency must be at least 1"));
        }
        Ok(())
    }

    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            repo_based_tags: self.repo_based_tags,
            include_non_distributable_layers: self.include_non_distributable_layers,
        }
    }
}
