//! Which image format a tar holds, from its entries.
//!
//! - OCI image layout: `oci-layout` and `index.json` (and `blobs/sha256/…`).
//!   A tar that is also a docker-archive (`docker save` since Docker 25
//!   writes both) is read as the OCI layout.
//! - docker-archive: a `manifest.json` whose elements have docker's keys
//!   (`Config`, `RepoTags`, `Layers`).
//! - imgpkg: any other `manifest.json` (imgpkg's `Image` / `ImageIndex`
//!   elements); the imgpkg reader judges it.
//!
//! Only headers are read, plus `manifest.json` when there is no layout.

use super::entries::{read_small, regular, MAX_DOCUMENT};
use super::FormatError;
use crate::source::ByteSource;
use crate::tar::{EntryKind, TarIndex};

/// An image tarball format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `imgpkg copy --to-tar`.
    Imgpkg,
    /// An OCI image layout in a tar (`oci-archive`).
    OciLayout,
    /// `docker save` before Docker 25 (`docker-archive`).
    DockerArchive,
}

impl Format {
    /// A short name for messages (`imgpkg tar`, `OCI image layout (oci-archive)`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Imgpkg => "imgpkg tar",
            Format::OciLayout => "OCI image layout (oci-archive)",
            Format::DockerArchive => "docker-archive (docker save)",
        }
    }
}

/// Tells the format of a tar from its entries.
pub async fn detect<S: ByteSource + ?Sized>(
    src: &S,
    entries: &TarIndex,
) -> Result<Format, FormatError> {
    if regular(entries, "oci-layout")?.is_some() && regular(entries, "index.json")?.is_some() {
        return Ok(Format::OciLayout);
    }
    if let Some(mj) = entries
        .get("manifest.json")
        .or_else(|| entries.get("./manifest.json"))
    {
        // A docker manifest.json is small and a regular file; anything else
        // is left to the imgpkg reader, which judges it with imgpkg's errors.
        if mj.size <= MAX_DOCUMENT && matches!(mj.kind, EntryKind::Regular | EntryKind::Contiguous)
        {
            let bytes = read_small(src, mj, "manifest.json").await?;
            if is_docker_manifest(&bytes) {
                return Ok(Format::DockerArchive);
            }
        }
        return Ok(Format::Imgpkg);
    }
    Err(FormatError::NoFormat {
        first: entries.iter().take(5).map(|e| e.name.clone()).collect(),
    })
}

/// Whether `manifest.json` has docker's shape: a non-empty array of objects
/// each with a `Config` and a `Layers` key.
pub fn is_docker_manifest(bytes: &[u8]) -> bool {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|v| {
            v.as_object()
                .is_some_and(|o| o.contains_key("Config") && o.contains_key("Layers"))
        })
}
