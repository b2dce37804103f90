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
///
/// Only the keys are looked at: values are skipped without being built, as
/// an imgpkg `manifest.json` of a package repository is megabytes of
/// elements that are all read again by the imgpkg reader.
pub fn is_docker_manifest(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Vec<DockerShape>>(bytes)
        .is_ok_and(|items| !items.is_empty() && items.iter().all(|i| i.config && i.layers))
}

/// Which of docker's keys one element of `manifest.json` has.
struct DockerShape {
    config: bool,
    layers: bool,
}

impl<'de> serde::Deserialize<'de> for DockerShape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(field_identifier)]
        enum Key {
            Config,
            Layers,
            #[serde(other)]
            Other,
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = DockerShape;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DockerShape, A::Error> {
                let mut shape = DockerShape {
                    config: false,
                    layers: false,
                };
                while let Some(key) = map.next_key::<Key>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    match key {
                        Key::Config => shape.config = true,
                        Key::Layers => shape.layers = true,
                        Key::Other => {}
                    }
                }
                Ok(shape)
            }
        }
        d.deserialize_map(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::is_docker_manifest;

    #[test]
    fn docker_shape_needs_config_and_layers_in_every_element() {
        let docker = br#"[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l.tar"]}]"#;
        assert!(is_docker_manifest(docker));
        // Keys are compared unescaped, values are never looked at; a key
        // given twice counts once.
        assert!(is_docker_manifest(
            br#"[{"Config":null,"Layers":{"x":[1,2]},"Config":1}]"#
        ));
        assert!(!is_docker_manifest(
            br#"[{"Config":"c.json","Layers":[]},{"Config":"d.json"}]"#
        ));
        assert!(!is_docker_manifest(
            br#"[{"Image":{"Refs":["r"],"Tags":[]}}]"#
        ));
        assert!(!is_docker_manifest(b"[]"));
        assert!(!is_docker_manifest(br#"[{"Config":"c","Layers":[]}, 7]"#));
        assert!(!is_docker_manifest(br#"{"Config":"c","Layers":[]}"#));
        assert!(!is_docker_manifest(br#"[{"Config":"c","Layers":[]}"#));
        assert!(!is_docker_manifest(b"not json"));
    }
}
