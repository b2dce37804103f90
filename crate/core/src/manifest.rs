//! Docker schema 2 and OCI image manifests, indexes and configs.
//!
//! Every parsed view keeps the exact bytes it was parsed from (`raw`), and
//! the digest of those bytes: a manifest being copied is pushed from `raw`,
//! never re-serialized.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::digest::{Digest, DigestError};

/// Media types that matter to imgpkg and to a registry copy.
pub mod media_type {
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list (the Docker form of an index).
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker schema 1 manifest (unsigned); ggcr accepts it, Airlock does not copy it.
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    /// Docker schema 1 manifest, signed (JWS).
    pub const DOCKER_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip layer; imgpkg's bundle and locations layers use it.
    pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// Docker foreign (non-distributable) layer.
    pub const DOCKER_FOREIGN_LAYER: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI gzip layer.
    pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI zstd layer.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// OCI uncompressed layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// OCI non-distributable gzip layer (deprecated by the spec, still seen).
    pub const OCI_RESTRICTED_LAYER_GZIP: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    /// OCI non-distributable uncompressed layer.
    pub const OCI_RESTRICTED_LAYER: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar";

    /// The `Accept` header value for manifest requests (every type ggcr accepts).
    pub const ACCEPT_MANIFESTS: &str = "application/vnd.docker.distribution.manifest.v1+json,application/vnd.docker.distribution.manifest.v1+prettyjws,application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json";

    /// Non-distributable ("foreign"/"restricted") layers, which imgpkg does
    /// not copy unless `--include-non-distributable-layers` is given.
    pub fn is_non_distributable(mt: &str) -> bool {
        matches!(
            mt,
            DOCKER_FOREIGN_LAYER | OCI_RESTRICTED_LAYER_GZIP | OCI_RESTRICTED_LAYER
        )
    }

    /// Whether `mt` is an index type (OCI index or Docker manifest list).
    pub fn is_index(mt: &str) -> bool {
        matches!(mt, OCI_INDEX | DOCKER_MANIFEST_LIST)
    }

    /// Whether `mt` is an image manifest type Airlock copies (OCI or Docker schema 2).
    pub fn is_image(mt: &str) -> bool {
        matches!(mt, OCI_MANIFEST | DOCKER_MANIFEST)
    }

    /// ggcr's `MediaType.IsLayer()`: layer types get a DiffID in imgpkg tars.
    pub fn is_layer(mt: &str) -> bool {
        matches!(
            mt,
            DOCKER_LAYER
                | DOCKER_FOREIGN_LAYER
                | "application/vnd.docker.image.rootfs.diff.tar"
                | OCI_LAYER
                | OCI_LAYER_ZSTD
                | OCI_LAYER_TAR
                | OCI_RESTRICTED_LAYER_GZIP
                | OCI_RESTRICTED_LAYER
        )
    }
}

/// The label on a config that makes an image an imgpkg bundle.
pub const BUNDLE_LABEL: &str = "dev.carvel.imgpkg.bundle";

/// Why bytes are not a usable manifest or config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The bytes are not JSON of a manifest's shape.
    #[error("manifest {digest} is not valid JSON: {message}")]
    Json {
        /// The digest of the bytes.
        digest: Digest,
        /// The JSON parser's error.
        message: String,
    },
    /// `schemaVersion` is not 2.
    #[error("manifest {digest} has unsupported schemaVersion {version} (expected 2)")]
    SchemaVersion {
        /// The manifest's digest.
        digest: Digest,
        /// The `schemaVersion` found (0 when missing).
        version: i64,
    },
    /// The media type is neither an image manifest nor an index Airlock copies (schema 1, an
    /// artifact type, ...).
    #[error("manifest {digest} has media type '{found}', expected an image manifest or index")]
    UnsupportedMediaType {
        /// The manifest's digest.
        digest: Digest,
        /// The media type it has.
        found: String,
    },
    /// A descriptor's `digest` is not a valid sha256 digest.
    #[error("manifest {digest}: field '{field}': {source}")]
    Digest {
        /// The manifest's digest.
        digest: Digest,
        /// Which descriptor (`config.digest`, `layers[2].digest`, `manifests[0].digest`,
        /// `subject`).
        field: String,
        /// Why the digest is invalid.
        #[source]
        source: DigestError,
    },
    /// The manifest's own `mediaType` differs from the one it was described with (a descriptor or
    /// `Content-Type`).
    #[error("manifest {digest} declares mediaType '{inner}' but was described as '{outer}'")]
    MediaTypeMismatch {
        /// The manifest's digest.
        digest: Digest,
        /// The `mediaType` inside the manifest.
        inner: String,
        /// The media type it was described with.
        outer: String,
    },
    /// The config blob is not JSON of an image config's shape.
    #[error("config {digest} is not valid JSON: {message}")]
    ConfigJson {
        /// The config's digest.
        digest: Digest,
        /// The JSON parser's error.
        message: String,
    },
}

/// Platform of an index child.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`, ...); "" when not given.
    #[serde(default)]
    pub architecture: String,
    /// Operating system (`linux`, `windows`, ...); "" when not given.
    #[serde(default)]
    pub os: String,
    /// Architecture variant (`v7`, `v8`), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A content descriptor (config, layer or index child).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The blob's media type ("" when the descriptor has none).
    pub media_type: String,
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's size in bytes (0 when the descriptor has none).
    pub size: u64,
    /// Where a foreign layer can be downloaded from (empty for ordinary blobs).
    pub urls: Vec<String>,
    /// For an index child: the platform it is for.
    pub platform: Option<Platform>,
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(rename = "schemaVersion", default)]
    schema_version: i64,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    subject: Option<RawDescriptor>,
}

/// An image manifest (Docker schema 2 or OCI), with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    /// The exact bytes, as read: pushed as is and hashed for `digest`.
    pub raw: Vec<u8>,
    /// sha256 of `raw`.
    pub digest: Digest,
    /// The media type (from the manifest, else from its description, else OCI).
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// The layers (and other blobs), in manifest order.
    pub layers: Vec<Descriptor>,
    /// The OCI `subject` (a manifest this one refers to), when present.
    pub subject: Option<Descriptor>,
}

/// An image index (OCI index or Docker manifest list), with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIndex {
    /// The exact bytes, as read: pushed as is and hashed for `digest`.
    pub raw: Vec<u8>,
    /// sha256 of `raw`.
    pub digest: Digest,
    /// The media type (from the index, else from its description, else OCI).
    pub media_type: String,
    /// The child manifests, in order.
    pub manifests: Vec<Descriptor>,
    /// The OCI `subject`, when present.
    pub subject: Option<Descriptor>,
}

/// Either kind of manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An image manifest.
    Image(ImageManifest),
    /// An image index or manifest list.
    Index(ImageIndex),
}

fn convert(d: RawDescriptor, owner: &Digest, field: &str) -> Result<Descriptor, ManifestError> {
    let digest = Digest::parse(&d.digest).map_err(|source| ManifestError::Digest {
        digest: *owner,
        field: field.to_string(),
        source,
    })?;
    Ok(Descriptor {
        media_type: d.media_type,
        digest,
        size: d.size,
        urls: d.urls,
        platform: d.platform,
    })
}

impl Manifest {
    /// Parses manifest bytes. `described_as` is the media type the bytes were
    /// described with (a descriptor's or the HTTP Content-Type); it decides
    /// the kind when the document has no `mediaType` field.
    pub fn parse(raw: Vec<u8>, described_as: Option<&str>) -> Result<Manifest, ManifestError> {
        let digest = Digest::of(&raw);
        let m: RawManifest = serde_json::from_slice(&raw).map_err(|e| ManifestError::Json {
            digest,
            message: e.to_string(),
        })?;
        if m.schema_version != 2 {
            return Err(ManifestError::SchemaVersion {
                digest,
                version: m.schema_version,
            });
        }
        let inner = m.media_type.clone().filter(|s| !s.is_empty());
        let outer = described_as.filter(|s| !s.is_empty());
        if let (Some(i), Some(o)) = (&inner, outer) {
            if i != o {
                return Err(ManifestError::MediaTypeMismatch {
                    digest,
                    inner: i.clone(),
                    outer: o.to_string(),
                });
            }
        }
        let media_type = match inner.as_deref().or(outer) {
            Some(mt) => mt.to_string(),
            None if m.manifests.is_some() => media_type::OCI_INDEX.to_string(),
            None => media_type::OCI_MANIFEST.to_string(),
        };
        let subject = m
            .subject
            .map(|s| convert(s, &digest, "subject"))
            .transpose()?;
        if media_type::is_index(&media_type) {
            let manifests = m
                .manifests
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, d)| convert(d, &digest, &format!("manifests[{i}].digest")))
                .collect::<Result<_, _>>()?;
            return Ok(Manifest::Index(ImageIndex {
                raw,
                digest,
                media_type,
                manifests,
                subject,
            }));
        }
        if !media_type::is_image(&media_type) {
            return Err(ManifestError::UnsupportedMediaType {
                digest,
                found: media_type,
            });
        }
        let Some(config) = m.config else {
            return Err(ManifestError::Json {
                digest,
                message: "missing field `config`".into(),
            });
        };
        let config = convert(config, &digest, "config.digest")?;
        let layers = m
            .layers
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, d)| convert(d, &digest, &format!("layers[{i}].digest")))
            .collect::<Result<_, _>>()?;
        Ok(Manifest::Image(ImageManifest {
            raw,
            digest,
            media_type,
            config,
            layers,
            subject,
        }))
    }

    /// The exact bytes.
    pub fn raw(&self) -> &[u8] {
        match self {
            Manifest::Image(m) => &m.raw,
            Manifest::Index(m) => &m.raw,
        }
    }

    /// The digest of the exact bytes.
    pub fn digest(&self) -> &Digest {
        match self {
            Manifest::Image(m) => &m.digest,
            Manifest::Index(m) => &m.digest,
        }
    }

    /// The media type.
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Image(m) => &m.media_type,
            Manifest::Index(m) => &m.media_type,
        }
    }
}

#[derive(Deserialize, Default)]
struct RawConfigInner {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RawConfigInner>,
    #[serde(default)]
    rootfs: Option<RawRootFs>,
}

#[derive(Deserialize)]
struct RawRootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

/// The parts of an image config that Airlock reads, with the exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// The exact bytes, as read.
    pub raw: Vec<u8>,
    /// sha256 of `raw`.
    pub digest: Digest,
    /// `architecture` ("" when not given).
    pub architecture: String,
    /// `os` ("" when not given).
    pub os: String,
    /// `variant`, when given.
    pub variant: Option<String>,
    /// `config.Labels` (empty when there are none).
    pub labels: BTreeMap<String, String>,
    /// `rootfs.diff_ids` as written (not validated: imgpkg does not).
    pub diff_ids: Vec<String>,
}

impl ConfigFile {
    /// Parses a config blob. Fails with [`ManifestError::ConfigJson`] when the bytes are not JSON
    /// of a config's shape; unknown fields are ignored.
    pub fn parse(raw: Vec<u8>) -> Result<ConfigFile, ManifestError> {
        let digest = Digest::of(&raw);
        let c: RawConfig = serde_json::from_slice(&raw).map_err(|e| ManifestError::ConfigJson {
            digest,
            message: e.to_string(),
        })?;
        Ok(ConfigFile {
            raw,
            digest,
            architecture: c.architecture,
            os: c.os,
            variant: c.variant,
            labels: c.config.and_then(|c| c.labels).unwrap_or_default(),
            diff_ids: c.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
        })
    }

    /// imgpkg's bundle test: the config's labels contain `dev.carvel.imgpkg.bundle`.
    pub fn is_bundle(&self) -> bool {
        self.labels.contains_key(BUNDLE_LABEL)
    }

    /// The config's `os/architecture/variant` as a [`Platform`].
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE_MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":317,"digest":"sha256:028994bcc893ea61c19cf64be149efb917efb0b215328e6a7cc8ebdae6a23090"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":695,"digest":"sha256:026fbc676e6225789ef38828e134baee600b6a3a09b588b1008807ac52e72cb4"}]}"#;
    const BUNDLE_CONFIG: &str = r#"{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"author":"imgpkg","created":"0001-01-01T00:00:00Z","created_by":"imgpkg"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:a40c11c70055513e2ced5d484bd68f04858618f4809c3645b32072dfa11f62b0"]},"config":{"Labels":{"dev.carvel.imgpkg.bundle":"true"}}}"#;

    #[test]
    fn parses_bundle_manifest_keeping_raw_bytes() {
        let m = Manifest::parse(BUNDLE_MANIFEST.as_bytes().to_vec(), None).unwrap();
        assert_eq!(
            m.digest().to_string(),
            "sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b"
        );
        assert_eq!(m.raw(), BUNDLE_MANIFEST.as_bytes());
        let Manifest::Image(img) = m else {
            panic!("not an image")
        };
        assert_eq!(img.layers.len(), 1);
        assert_eq!(img.layers[0].size, 695);
        assert_eq!(img.config.media_type, media_type::DOCKER_CONFIG);
    }

    #[test]
    fn config_bundle_label() {
        let c = ConfigFile::parse(BUNDLE_CONFIG.as_bytes().to_vec()).unwrap();
        assert!(c.is_bundle());
        assert_eq!(
            c.digest.to_string(),
            "sha256:028994bcc893ea61c19cf64be149efb917efb0b215328e6a7cc8ebdae6a23090"
        );
        let plain =
            ConfigFile::parse(br#"{"architecture":"amd64","os":"linux","config":{}}"#.to_vec())
                .unwrap();
        assert!(!plain.is_bundle());
        assert_eq!(plain.platform().to_string(), "linux/amd64");
    }

    #[test]
    fn index_without_media_type_is_detected() {
        let raw = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6","size":10,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#;
        let Manifest::Index(idx) = Manifest::parse(raw.to_vec(), None).unwrap() else {
            panic!("not an index")
        };
        assert_eq!(idx.media_type, media_type::OCI_INDEX);
        assert_eq!(
            idx.manifests[0].platform.as_ref().unwrap().to_string(),
            "linux/arm64/v8"
        );
    }

    #[test]
    fn bad_manifests() {
        let e = Manifest::parse(b"not json".to_vec(), None).unwrap_err();
        assert!(matches!(e, ManifestError::Json { .. }), "{e}");
        let e = Manifest::parse(br#"{"schemaVersion":1}"#.to_vec(), None).unwrap_err();
        assert!(
            matches!(e, ManifestError::SchemaVersion { version: 1, .. }),
            "{e}"
        );
        let e = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"text/plain"}"#.to_vec(),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(e, ManifestError::UnsupportedMediaType { .. }),
            "{e}"
        );
        let e = Manifest::parse(
            br#"{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]}"#.to_vec(),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(&e, ManifestError::Digest { field, .. } if field == "config.digest"),
            "{e}"
        );
        let e = Manifest::parse(
            BUNDLE_MANIFEST.as_bytes().to_vec(),
            Some(media_type::OCI_MANIFEST),
        )
        .unwrap_err();
        assert!(matches!(e, ManifestError::MediaTypeMismatch { .. }), "{e}");
    }

    #[test]
    fn non_distributable_media_types() {
        assert!(media_type::is_non_distributable(
            media_type::DOCKER_FOREIGN_LAYER
        ));
        assert!(media_type::is_non_distributable(
            media_type::OCI_RESTRICTED_LAYER_GZIP
        ));
        assert!(!media_type::is_non_distributable(media_type::OCI_LAYER));
    }
}
