//! Images and indexes as a registry serves them: exact manifest and config
//! bytes, OCI or Docker schema 2.

use airlock_core::digest::Digest;
use airlock_core::manifest::media_type;

use super::layers::build_layer;
use super::{BundleContent, LayerSpec, SynthLayer};

/// Manifest flavour of an image or index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    Docker,
}

/// What to build with [`image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// Names the image in its config and layer file names.
    pub name: String,
    pub format: Format,
    pub architecture: String,
    pub os: String,
    pub layers: Vec<LayerSpec>,
}

impl ImageSpec {
    /// An OCI linux/amd64 image with `layers` small random layers.
    pub fn oci(name: &str, seed: u64, layers: usize) -> ImageSpec {
        ImageSpec::with_layers(
            name,
            (0..layers as u64)
                .map(|i| LayerSpec::small(seed.wrapping_mul(1000).wrapping_add(i)))
                .collect(),
        )
    }

    /// An OCI linux/amd64 image of `layers`.
    pub fn with_layers(name: &str, layers: Vec<LayerSpec>) -> ImageSpec {
        ImageSpec {
            name: name.to_string(),
            format: Format::Oci,
            architecture: "amd64".into(),
            os: "linux".into(),
            layers,
        }
    }

    /// The same as [`ImageSpec::oci`] with Docker schema 2 media types.
    pub fn docker(name: &str, seed: u64, layers: usize) -> ImageSpec {
        ImageSpec {
            format: Format::Docker,
            ..ImageSpec::oci(name, seed, layers)
        }
    }

    pub fn platform(mut self, os: &str, architecture: &str) -> ImageSpec {
        self.os = os.into();
        self.architecture = architecture.into();
        self
    }

    pub fn layer(mut self, l: LayerSpec) -> ImageSpec {
        self.layers.push(l);
        self
    }
}

/// A built image: exact manifest and config bytes, and its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthImage {
    pub media_type: String,
    pub manifest_raw: Vec<u8>,
    pub digest: Digest,
    pub config_media_type: String,
    pub config_raw: Vec<u8>,
    pub config_digest: Digest,
    pub layers: Vec<SynthLayer>,
    pub architecture: String,
    pub os: String,
    /// Set for bundles.
    pub bundle: Option<BundleContent>,
}

/// A built image index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthIndex {
    pub media_type: String,
    pub raw: Vec<u8>,
    pub digest: Digest,
    /// Children in `manifests[]` order.
    pub children: Vec<Artifact>,
}

/// An image or an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artifact {
    Image(SynthImage),
    Index(SynthIndex),
}

impl Artifact {
    pub fn digest(&self) -> Digest {
        match self {
            Artifact::Image(i) => i.digest,
            Artifact::Index(i) => i.digest,
        }
    }

    pub fn media_type(&self) -> &str {
        match self {
            Artifact::Image(i) => &i.media_type,
            Artifact::Index(i) => &i.media_type,
        }
    }

    pub fn raw(&self) -> &[u8] {
        match self {
            Artifact::Image(i) => &i.manifest_raw,
            Artifact::Index(i) => &i.raw,
        }
    }

    pub fn bundle(&self) -> Option<&BundleContent> {
        match self {
            Artifact::Image(i) => i.bundle.as_ref(),
            Artifact::Index(_) => None,
        }
    }

    /// Every layer at any depth.
    pub fn layers(&self) -> Vec<&SynthLayer> {
        match self {
            Artifact::Image(i) => i.layers.iter().collect(),
            Artifact::Index(i) => i.children.iter().flat_map(Artifact::layers).collect(),
        }
    }
}

impl From<SynthImage> for Artifact {
    fn from(i: SynthImage) -> Artifact {
        Artifact::Image(i)
    }
}

impl From<SynthIndex> for Artifact {
    fn from(i: SynthIndex) -> Artifact {
        Artifact::Index(i)
    }
}

/// Builds an image: its layers, a config naming the platform and the
/// DiffIDs, and an OCI or Docker schema 2 manifest.
pub fn image(spec: &ImageSpec) -> SynthImage {
    let built: Vec<(SynthLayer, Option<Vec<String>>)> = spec
        .layers
        .iter()
        .map(|l| build_layer(spec.format, l))
        .collect();
    let diff_ids: Vec<&str> = built
        .iter()
        .map(|(l, _)| l.diff_id.as_str())
        .filter(|d| !d.is_empty())
        .collect();
    let history: Vec<serde_json::Value> = (0..built.len())
        .map(|i| {
            serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": format!("synth {} layer {i}", spec.name),
            })
        })
        .collect();
    let config = serde_json::json!({
        "architecture": spec.architecture,
        "created": "2024-01-01T00:00:00Z",
        "history": history,
        "os": spec.os,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Labels": {"org.opencontainers.image.title": spec.name},
        },
    });
    let config_raw = serde_json::to_vec(&config).expect("json");
    let config_digest = Digest::of(&config_raw);
    let (manifest_mt, config_mt) = match spec.format {
        Format::Oci => (media_type::OCI_MANIFEST, media_type::OCI_CONFIG),
        Format::Docker => (media_type::DOCKER_MANIFEST, media_type::DOCKER_CONFIG),
    };
    let (layers, urls): (Vec<SynthLayer>, Vec<Option<Vec<String>>>) = built.into_iter().unzip();
    let mut img = SynthImage {
        media_type: manifest_mt.into(),
        manifest_raw: Vec::new(),
        digest: Digest::of(b""),
        config_media_type: config_mt.into(),
        config_raw,
        config_digest,
        layers,
        architecture: spec.architecture.clone(),
        os: spec.os.clone(),
        bundle: None,
    };
    write_manifest(&mut img, &urls);
    img
}

/// Gives `img` other layers and rebuilds its manifest to match (the
/// config is kept): for malformed or unusual images.
pub fn replace_layers(img: &mut SynthImage, layers: Vec<SynthLayer>) {
    img.layers = layers;
    write_manifest(img, &[]);
}

/// Writes `img`'s manifest for its media types, config and layers (with
/// `urls[i]` on layer `i` where given) and sets its digest.
fn write_manifest(img: &mut SynthImage, urls: &[Option<Vec<String>>]) {
    let layers_json: Vec<serde_json::Value> = img
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut d = serde_json::json!({
                "mediaType": l.media_type,
                "size": l.size(),
                "digest": l.digest.to_string(),
            });
            if let Some(Some(urls)) = urls.get(i) {
                d["urls"] = serde_json::json!(urls);
            }
            d
        })
        .collect();
    img.manifest_raw = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": img.media_type,
        "config": {
            "mediaType": img.config_media_type,
            "size": img.config_raw.len(),
            "digest": img.config_digest.to_string(),
        },
        "layers": layers_json,
    }))
    .expect("json");
    img.digest = Digest::of(&img.manifest_raw);
}

/// Builds an index over `children` (OCI index or Docker manifest list);
/// image children get a `platform` from their config.
pub fn index(format: Format, children: Vec<Artifact>) -> SynthIndex {
    let mt = match format {
        Format::Oci => media_type::OCI_INDEX,
        Format::Docker => media_type::DOCKER_MANIFEST_LIST,
    };
    let manifests: Vec<serde_json::Value> = children
        .iter()
        .map(|c| {
            let mut d = serde_json::json!({
                "mediaType": c.media_type(),
                "size": c.raw().len(),
                "digest": c.digest().to_string(),
            });
            if let Artifact::Image(i) = c {
                d["platform"] = serde_json::json!({"architecture": i.architecture, "os": i.os});
            }
            d
        })
        .collect();
    let raw = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": mt,
        "manifests": manifests,
    }))
    .expect("json");
    SynthIndex {
        media_type: mt.into(),
        digest: Digest::of(&raw),
        raw,
        children,
    }
}

/// A multi-arch OCI index of `name` for linux/amd64 and linux/arm64, one
/// small layer each.
pub fn multi_arch_index(name: &str, seed: u64) -> SynthIndex {
    let children = [("amd64", 0u64), ("arm64", 1)]
        .into_iter()
        .map(|(arch, i)| {
            Artifact::Image(image(
                &ImageSpec::oci(&format!("{name}-{arch}"), seed * 10 + i, 1)
                    .platform("linux", arch),
            ))
        })
        .collect();
    index(Format::Oci, children)
}
