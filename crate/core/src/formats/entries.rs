//! Looking entries up safely: only regular files, no `..` or absolute names.

use serde::de::DeserializeOwned;

use super::FormatError;
use crate::digest::Digest;
use crate::source::ByteSource;
use crate::tar::{self, EntryKind, TarEntry, TarIndex};

/// The largest manifest, index or config read into memory.
pub const MAX_DOCUMENT: u64 = 64 << 20;

/// Refuses a tar holding an entry whose name climbs out of the archive.
pub fn check_names(entries: &TarIndex) -> Result<(), FormatError> {
    for e in entries {
        if e.name.starts_with('/') {
            return Err(FormatError::UnsafeEntry {
                name: e.name.clone(),
                why: "an absolute name",
            });
        }
        if e.name.split('/').any(|c| c == "..") {
            return Err(FormatError::UnsafeEntry {
                name: e.name.clone(),
                why: "a name with a \"..\" component",
            });
        }
    }
    Ok(())
}

/// The entry `name`, which must be a regular file.
pub fn regular<'a>(entries: &'a TarIndex, name: &str) -> Result<Option<&'a TarEntry>, FormatError> {
    let name = name.strip_prefix("./").unwrap_or(name);
    let Some(e) = entries
        .get(name)
        .or_else(|| entries.get(&format!("./{name}")))
    else {
        return Ok(None);
    };
    match e.kind {
        EntryKind::Regular | EntryKind::Contiguous => Ok(Some(e)),
        EntryKind::Symlink => Err(FormatError::UnsafeEntry {
            name: e.name.clone(),
            why: "a symbolic link",
        }),
        EntryKind::HardLink => Err(FormatError::UnsafeEntry {
            name: e.name.clone(),
            why: "a hard link",
        }),
        _ => Err(FormatError::UnsafeEntry {
            name: e.name.clone(),
            why: "not a regular file",
        }),
    }
}

/// `blobs/<alg>/<hex>` for a digest.
pub fn blob_name(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

/// The blob `d` of an OCI layout, which must exist.
pub fn blob<'a>(
    entries: &'a TarIndex,
    d: &Digest,
    referenced_by: &str,
    what: &'static str,
) -> Result<&'a TarEntry, FormatError> {
    let name = blob_name(d);
    regular(entries, &name)?.ok_or_else(|| FormatError::MissingBlob {
        referenced_by: referenced_by.to_string(),
        what,
        digest: *d,
        entry: name,
    })
}

/// Reads a small entry (a manifest, index, config or `manifest.json`).
pub async fn read_small<S: ByteSource + ?Sized>(
    src: &S,
    e: &TarEntry,
    what: &'static str,
) -> Result<Vec<u8>, FormatError> {
    if e.size > MAX_DOCUMENT {
        return Err(FormatError::TooLarge {
            entry: e.name.clone(),
            what,
            size: e.size,
            limit: MAX_DOCUMENT,
        });
    }
    Ok(tar::read_entry(src, e, MAX_DOCUMENT).await?)
}

/// Reads and parses the JSON document `name` a format requires (`what` names
/// it in a size error). Missing, or not JSON of type `T`, it is
/// [`FormatError::Invalid`]; `shape` says what it should have been.
pub async fn read_required_json<T: DeserializeOwned, S: ByteSource + ?Sized>(
    src: &S,
    entries: &TarIndex,
    name: &str,
    what: &'static str,
    shape: &str,
) -> Result<T, FormatError> {
    let invalid = |message| FormatError::Invalid {
        entry: name.into(),
        message,
    };
    let e = regular(entries, name)?.ok_or_else(|| invalid("missing".into()))?;
    let bytes = read_small(src, e, what).await?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(format!("{shape}: {e}")))
}

/// Reads a blob that must hash to `d` and have `size` bytes.
pub async fn read_verified<S: ByteSource + ?Sized>(
    src: &S,
    e: &TarEntry,
    d: &Digest,
    size: Option<u64>,
    referenced_by: &str,
    what: &'static str,
) -> Result<Vec<u8>, FormatError> {
    if let Some(want) = size {
        if want != e.size {
            return Err(FormatError::SizeMismatch {
                entry: e.name.clone(),
                referenced_by: referenced_by.to_string(),
                expected: want,
                actual: e.size,
            });
        }
    }
    let bytes = read_small(src, e, what).await?;
    let actual = Digest::of(&bytes);
    if actual != *d {
        return Err(FormatError::DigestMismatch {
            entry: e.name.clone(),
            referenced_by: referenced_by.to_string(),
            expected: *d,
            actual,
        });
    }
    Ok(bytes)
}
