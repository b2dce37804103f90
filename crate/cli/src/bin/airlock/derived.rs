//! The page's derived documents on the command line: `--kbld-output DIR`
//! (each bundle's configuration with its image references relocated to the
//! destination, [`airlock_core::kbld::relocated_config`]) and
//! `--package-repository-output FILE` (the kapp-controller
//! `PackageRepository` for a package-repository bundle,
//! [`airlock_core::kbld::package_repository`]).
//!
//! The documents are the wasm `plan()`'s `kbld` and `packageRepositories`
//! maps, from the same function ([`airlock_core::kbld::derive`]), so the
//! files hold the bytes of the page's downloads. Inside DIR the files are named as the page names its
//! downloads: `bundle-relocated.yml` when one bundle has configuration
//! files, else `bundle-relocated-sha256-<first 12 hex digits>.yml` per
//! bundle. FILE holds the one `PackageRepository`; when several bundles
//! are package repositories, their documents (each starting with `---`)
//! follow each other in bundle-digest order.
//!
//! The documents are checked before anything is pushed: a flag whose
//! document cannot be made (no bundle with configuration files, no
//! package-repository bundle, a configuration file that does not parse) is
//! an error and nothing is pushed. `copy` writes the files only after the
//! push succeeded.

use std::path::{Path, PathBuf};

use airlock_core::imageset::ImageSet;
use airlock_core::kbld::derive;
use airlock_core::planner::PlanOutput;
use clap::Args;

use crate::pull_files::make_dirs;

/// Why a derived document cannot be made or written.
#[derive(Debug, thiserror::Error)]
pub enum DerivedError {
    #[error("Cannot output kbld documents with tar destination")]
    KbldWithTar,
    #[error("Cannot output PackageRepository with tar destination")]
    PackageRepositoryWithTar,
    /// A configuration file does not parse (the page's warning text).
    #[error("--kbld-output: {0}")]
    Rewrite(String),
    #[error("Expected a bundle with YAML configuration files (.yml or .yaml outside .imgpkg/) for --kbld-output, but '{0}' has none")]
    NoConfiguration(String),
    #[error("Expected a package repository bundle (Package or PackageMetadata documents under packages/) for --package-repository-output, but '{0}' has none")]
    NoPackageRepository(String),
    #[error("Writing '{path}': {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `--kbld-output` and `--package-repository-output`.
#[derive(Args, Clone, Debug, Default)]
pub struct DerivedFlags {
    /// Write each bundle's configuration with its images relocated to the destination into DIR (the page's kbld download)
    #[arg(long = "kbld-output", value_name = "DIR")]
    pub kbld_output: Option<PathBuf>,
    /// Write the kapp-controller PackageRepository of the package-repository bundle to FILE
    #[arg(long = "package-repository-output", value_name = "FILE")]
    pub package_repository_output: Option<PathBuf>,
}

/// The page's file name for a bundle's kbld document when the plan has
/// `count` of them.
pub fn kbld_file_name(digest: &str, count: usize) -> String {
    if count <= 1 {
        return "bundle-relocated.yml".into();
    }
    // The page's `shortDigest` (algorithm, ':' and 12 characters), ':' → '-'.
    let short: String = match digest.find(':') {
        Some(i) => digest.chars().take(i + 13).collect(),
        None => digest.chars().take(12).collect(),
    };
    format!("bundle-relocated-{}.yml", short.replace(':', "-"))
}

/// Documents checked and ready to be written.
#[derive(Debug)]
pub struct Ready {
    kbld: Option<(PathBuf, Vec<(String, String)>)>,
    package_repository: Option<(PathBuf, String)>,
}

impl DerivedFlags {
    pub fn any(&self) -> bool {
        self.kbld_output.is_some() || self.package_repository_output.is_some()
    }

    /// imgpkg's rule for `--lock-output`, applied to these flags too.
    pub fn check_destination(&self, to_tar: bool) -> Result<(), DerivedError> {
        if to_tar && self.kbld_output.is_some() {
            return Err(DerivedError::KbldWithTar);
        }
        if to_tar && self.package_repository_output.is_some() {
            return Err(DerivedError::PackageRepositoryWithTar);
        }
        Ok(())
    }

    /// The asked-for documents of the plan of `source` (a tar path or a
    /// reference, for messages), or why one cannot be made.
    pub fn prepare(
        &self,
        set: &ImageSet,
        out: &PlanOutput,
        source: &str,
    ) -> Result<Ready, DerivedError> {
        let mut ready = Ready {
            kbld: None,
            package_repository: None,
        };
        if !self.any() {
            return Ok(ready);
        }
        let d = derive(set, out);
        if let Some(dir) = &self.kbld_output {
            if let Some(e) = d.kbld_errors.first() {
                return Err(DerivedError::Rewrite(e.clone()));
            }
            if d.kbld.is_empty() {
                return Err(DerivedError::NoConfiguration(source.to_string()));
            }
            let n = d.kbld.len();
            let files = d
                .kbld
                .iter()
                .map(|(digest, text)| (kbld_file_name(digest, n), text.clone()))
                .collect();
            ready.kbld = Some((dir.clone(), files));
        }
        if let Some(file) = &self.package_repository_output {
            if d.package_repositories.is_empty() {
                return Err(DerivedError::NoPackageRepository(source.to_string()));
            }
            let text: String = d.package_repositories.values().cloned().collect();
            ready.package_repository = Some((file.clone(), text));
        }
        Ok(ready)
    }
}

impl Ready {
    /// Writes the documents (DIR is created when missing).
    pub fn write(&self) -> Result<(), DerivedError> {
        if let Some((dir, files)) = &self.kbld {
            make_dirs(dir).map_err(|source| write_error(dir, source))?;
            for (name, text) in files {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|source| write_error(&path, source))?;
            }
        }
        if let Some((path, text)) = &self.package_repository {
            std::fs::write(path, text).map_err(|source| write_error(path, source))?;
        }
        Ok(())
    }
}

fn write_error(path: &Path, source: std::io::Error) -> DerivedError {
    DerivedError::Write {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kbld_files_are_named_as_the_page_names_its_downloads() {
        let d = "sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b";
        assert_eq!(kbld_file_name(d, 1), "bundle-relocated.yml");
        assert_eq!(
            kbld_file_name(d, 3),
            "bundle-relocated-sha256-5a46b728a435.yml"
        );
    }
}
