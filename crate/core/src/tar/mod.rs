//! Tar archives: a header-only indexer over a [`ByteSource`](crate::source::ByteSource)
//! and a writer that produces the exact bytes Go's `archive/tar` writes for
//! imgpkg.
//!
//! Reading never needs the archive in memory: [`index`] reads headers and
//! locates each entry's data by offset (`u64`, archives may exceed 4 GiB);
//! data is read later, in ranges, by whoever needs it. [`index_with`] reads
//! the headers in coalesced windows ([`Windows`]) where entries are small.
//!
//! Writing ([`TarWriter`], [`ustar_header`], [`entry_header`]) emits regular
//! files the way `imgpkg copy --to-tar` does: USTAR headers, mode 0644, uid and
//! gid 0, empty owner names, mtime 0, data padded to 512 bytes, two zero
//! blocks at the end; a PAX header only when an entry is 8 GiB or larger or
//! its name needs one. The header bytes come from [`crate::go::tar`], the one
//! port of Go's header writer; this module adds the name policy and the
//! streaming.

pub(crate) mod header;
mod pax;
mod reader;
mod window;
mod writer;

pub use header::{padding, BLOCK_SIZE};
pub use reader::{
    index, index_with, read_entry, EntryKind, TarEntry, TarError, TarIndex, MAX_SPECIAL_FILE_SIZE,
};
pub use window::Windows;
pub use writer::{
    entry_header, ustar_header, TarWriteError, TarWriter, DEFAULT_MODE, END_OF_ARCHIVE,
};
