//! The tarball type the commands read.

use airlock_cli::source::FileSource;
use airlock_core::source::CountingSource;

/// A tarball, with its reads counted (for `--stats`); opened by
/// [`crate::archive_source::open`].
pub type Source = CountingSource<FileSource>;
