//! Opening a tarball named on the command line.

use std::path::Path;

use airlock_cli::source::{block_on, FileSource};
use airlock_core::archive::Archive;
use airlock_core::source::CountingSource;

use crate::error::CliError;

/// A tarball, with its reads counted (for `--stats`).
pub type Source = CountingSource<FileSource>;

/// Opens `path` and reads its index (`opening …` / `reading …` errors).
pub fn open(path: &Path) -> Result<(Source, Archive), CliError> {
    let src = FileSource::open(path).map_err(|source| CliError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let src = CountingSource::new(src);
    let archive = block_on(Archive::open(&src)).map_err(|source| CliError::Archive {
        path: path.display().to_string(),
        source,
    })?;
    Ok((src, archive))
}
