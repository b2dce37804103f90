//! Synthetic imgpkg tarballs, byte-for-byte as `imgpkg copy -b|-i SRC
//! --to-tar` writes them, for tests, benchmarks and the browser e2e tests.
//!
//! The model mirrors what imgpkg sees:
//!
//! 1. build artifacts: [`image`] (OCI or Docker, layers from a seed),
//!    [`index`] (multi-arch, platforms from the children's configs),
//!    [`bundle`] (exactly what `imgpkg push -b` builds, through
//!    [`imagebuild::bundle_image`]);
//! 2. [`SourceRegistry::push`] them into an in-memory source registry;
//! 3. export with [`SourceRegistry::export_bundle`] (`copy -b`: the bundle
//!    graph is walked as imgpkg walks it, each image found at
//!    `<bundle repo>@digest` or else at its `images.yml` reference) or
//!    [`SourceRegistry::export_images`] (`copy -i`);
//! 4. the resulting [`SynthTar`] holds the `manifest.json` model (sorted by
//!    imgpkg's sort key, `Refs`, `Tag`, `OrigRef`, the root-bundle label,
//!    `DiffID`s) and the deduplicated layer blobs, and writes the tar
//!    streaming: large layers are generated on the fly from a seed (their
//!    digest is computed in a first pass, the bytes regenerated while
//!    writing), all-zero layers can be written as holes.
//!
//! Ready-made scenarios: [`package_repository`] (a kapp-controller package
//! repository bundle whose package bundles hold a multi-arch index, a shared
//! image and optionally a non-distributable layer), [`simple_bundle`],
//! [`plain_image`], [`big_bundle`] (benchmarks) and [`sparse_bundle`] (a tar
//! over 4 GiB that is mostly a hole), plus [`bad_archive`] (malformed tars).
//!
//! Pure: no IO except [`SynthTar::write_to`] (native only). Deterministic:
//! the same options give the same bytes.

pub mod versions;

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use airlock_core::archive::MAX_BUNDLE_LAYER;
use airlock_core::digest::{Digest, Hasher};
use airlock_core::imagebuild;
use airlock_core::imgpkg_tar::manifest_json::{
    self, ConfigDescriptor, ImageDescriptor, ImageOrIndex, IndexDescriptor, LayerDescriptor,
    ManifestDescriptor, ROOT_BUNDLE_LABEL,
};
use airlock_core::imgpkg_tar::{layer_header, MANIFEST_JSON};
use airlock_core::lock::{ImagesLock, LockedImage};
use airlock_core::manifest::media_type;
use airlock_core::reference::Reference;
use airlock_core::tar;

/// The registry host the scenarios use for their sources.
pub const SOURCE_REGISTRY: &str = "registry.example.com";

/// The annotation kbld writes on every `images.yml` entry.
pub const KBLD_ID: &str = "kbld.carvel.dev/id";

// ---------------------------------------------------------------------------
// Deterministic bytes.

/// xoshiro256** seeded through splitmix64: fast, deterministic, not
/// cryptographic.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }
}

/// `len` incompressible bytes from `seed` (the same bytes
/// [`BlobData::Random`] streams).
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    RandomReader::new(seed, len as u64).fill(&mut out);
    out
}

/// `len` bytes of text (lines naming `seed`): compresses well.
pub fn compressible_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(format!("synthetic line {i} of layer {seed:016x}\n").as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// Streams the bytes of [`BlobData::Random`]: the little-endian words of
/// [`Rng`], cut at `len`.
struct RandomReader {
    rng: Rng,
    remaining: u64,
    pending: [u8; 8],
    pending_len: usize,
}

impl RandomReader {
    fn new(seed: u64, len: u64) -> RandomReader {
        RandomReader {
            rng: Rng::new(seed),
            remaining: len,
            pending: [0; 8],
            pending_len: 0,
        }
    }

    /// Fills `out` entirely (the caller bounds it by `remaining`).
    fn fill(&mut self, out: &mut [u8]) {
        let mut pos = 0;
        while self.pending_len > 0 && pos < out.len() {
            out[pos] = self.pending[8 - self.pending_len];
            self.pending_len -= 1;
            pos += 1;
        }
        let rest = &mut out[pos..];
        let mut chunks = rest.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let word = self.rng.next_u64().to_le_bytes();
            let n = tail.len();
            tail.copy_from_slice(&word[..n]);
            self.pending = word;
            self.pending_len = 8 - n;
        }
    }
}

impl Read for RandomReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        self.fill(&mut buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Streams `len` zero bytes.
struct ZeroReader {
    remaining: u64,
}

impl Read for ZeroReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        buf[..n].fill(0);
        self.remaining -= n as u64;
        Ok(n)
    }
}

static ZERO_DIGESTS: Mutex<Vec<(u64, Digest)>> = Mutex::new(Vec::new());

/// sha256 of `len` zero bytes, computed once per length (streaming) and
/// remembered for the life of the process.
pub fn zeros_digest(len: u64) -> Digest {
    if let Some(d) = ZERO_DIGESTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(l, _)| *l == len)
        .map(|(_, d)| *d)
    {
        return d;
    }
    let d = hash_reader(ZeroReader { remaining: len });
    remember_zeros_digest(len, d);
    d
}

/// Records the sha256 of `len` zero bytes (e.g. read from a cache file), so
/// [`zeros_digest`] need not compute it. The caller vouches for it.
pub fn remember_zeros_digest(len: u64, digest: Digest) {
    let mut memo = ZERO_DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
    if !memo.iter().any(|(l, _)| *l == len) {
        memo.push((len, digest));
    }
}

fn hash_reader(mut r: impl Read) -> Digest {
    let mut h = Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).expect("synthetic readers do not fail");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finish()
}

/// Where a blob's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobData {
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
    /// `len` incompressible bytes generated from `seed` whenever needed.
    Random { seed: u64, len: u64 },
    /// `len` zero bytes ([`SynthTar::write_to`] leaves them as a hole).
    Zeros { len: u64 },
}

impl BlobData {
    pub fn bytes(b: impl Into<Vec<u8>>) -> BlobData {
        BlobData::Bytes(Arc::new(b.into()))
    }

    pub fn len(&self) -> u64 {
        match self {
            BlobData::Bytes(b) => b.len() as u64,
            BlobData::Random { len, .. } | BlobData::Zeros { len } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader over the bytes.
    pub fn reader(&self) -> Box<dyn Read + Send + '_> {
        match self {
            BlobData::Bytes(b) => Box::new(b.as_slice()),
            BlobData::Random { seed, len } => Box::new(RandomReader::new(*seed, *len)),
            BlobData::Zeros { len } => Box::new(ZeroReader { remaining: *len }),
        }
    }

    /// sha256 of the bytes (streamed; memoised for zeros).
    pub fn digest(&self) -> Digest {
        match self {
            BlobData::Bytes(b) => Digest::of(b),
            BlobData::Random { .. } => hash_reader(self.reader()),
            BlobData::Zeros { len } => zeros_digest(*len),
        }
    }

    /// The bytes in memory (for small blobs).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        self.reader()
            .read_to_end(&mut out)
            .expect("synthetic readers do not fail");
        out
    }
}

// ---------------------------------------------------------------------------
// Artifacts.

/// Manifest flavour of an image or index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    Docker,
}

/// How to make one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSpec {
    /// A real gzipped tar holding one file of `len` bytes derived from
    /// `seed` (text when `compressible`, else random).
    Tar {
        seed: u64,
        len: usize,
        compressible: bool,
    },
    /// `len` incompressible bytes streamed from `seed`, labelled as an
    /// uncompressed tar layer (DiffID = digest). Not a valid tar; for
    /// benchmarks.
    Random { seed: u64, len: u64 },
    /// `len` zero bytes: an uncompressed tar layer (zero blocks read as an
    /// empty tar), DiffID = digest; written as a hole.
    Zeros { len: u64 },
    /// A non-distributable ("foreign") layer: a real gzipped tar with the
    /// foreign media type and a `urls` entry in the manifest.
    NonDistributable { seed: u64, len: usize },
    /// Arbitrary bytes with a media type and DiffID ("" for non-layer types).
    Raw {
        media_type: String,
        bytes: Vec<u8>,
        diff_id: String,
    },
}

impl LayerSpec {
    /// A small random layer (a gzipped tar).
    pub fn small(seed: u64) -> LayerSpec {
        LayerSpec::Tar {
            seed,
            len: 1024 + (seed % 997) as usize,
            compressible: false,
        }
    }
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
        ImageSpec {
            name: name.to_string(),
            format: Format::Oci,
            architecture: "amd64".into(),
            os: "linux".into(),
            layers: (0..layers as u64)
                .map(|i| LayerSpec::small(seed.wrapping_mul(1000).wrapping_add(i)))
                .collect(),
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

/// One layer of a built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthLayer {
    pub media_type: String,
    pub digest: Digest,
    /// "" for media types that are not layers.
    pub diff_id: String,
    pub data: BlobData,
}

impl SynthLayer {
    pub fn size(&self) -> u64 {
        self.data.len()
    }

    pub fn is_distributable(&self) -> bool {
        !media_type::is_non_distributable(&self.media_type)
    }
}

/// A bundle's content, kept so the source registry can walk the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleContent {
    /// Files of the bundle layer (`path`, mode, contents).
    pub files: Vec<(String, u32, Vec<u8>)>,
    /// The `.imgpkg/images.yml` entries as written.
    pub images: Vec<LockEntry>,
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

fn gzipped_tar(path: &str, contents: Vec<u8>) -> (Vec<u8>, Digest) {
    let entries = imagebuild::tree_from_files(&[(path.to_string(), 0o644, contents)]);
    let tar = imagebuild::go_tar(&entries);
    let diff_id = Digest::of(&tar);
    (imagebuild::go_gzip_best_speed(&tar), diff_id)
}

fn build_layer(spec: &ImageSpec, l: &LayerSpec) -> (SynthLayer, Option<Vec<String>>) {
    let docker = spec.format == Format::Docker;
    match l {
        LayerSpec::Tar {
            seed,
            len,
            compressible,
        } => {
            let contents = if *compressible {
                compressible_bytes(*seed, *len)
            } else {
                random_bytes(*seed, *len)
            };
            let (gz, diff_id) = gzipped_tar(&format!("opt/synth/{seed:016x}.bin"), contents);
            let mt = if docker {
                media_type::DOCKER_LAYER
            } else {
                media_type::OCI_LAYER
            };
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest: Digest::of(&gz),
                    diff_id: diff_id.to_string(),
                    data: BlobData::bytes(gz),
                },
                None,
            )
        }
        LayerSpec::Random { seed, len } => {
            let data = BlobData::Random {
                seed: *seed,
                len: *len,
            };
            let digest = data.digest();
            let mt = if docker {
                "application/vnd.docker.image.rootfs.diff.tar"
            } else {
                media_type::OCI_LAYER_TAR
            };
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest,
                    diff_id: digest.to_string(),
                    data,
                },
                None,
            )
        }
        LayerSpec::Zeros { len } => {
            let data = BlobData::Zeros { len: *len };
            let digest = data.digest();
            let mt = if docker {
                "application/vnd.docker.image.rootfs.diff.tar"
            } else {
                media_type::OCI_LAYER_TAR
            };
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest,
                    diff_id: digest.to_string(),
                    data,
                },
                None,
            )
        }
        LayerSpec::NonDistributable { seed, len } => {
            let (gz, diff_id) = gzipped_tar(
                &format!("opt/foreign/{seed:016x}.bin"),
                random_bytes(*seed, *len),
            );
            let digest = Digest::of(&gz);
            let mt = if docker {
                media_type::DOCKER_FOREIGN_LAYER
            } else {
                media_type::OCI_RESTRICTED_LAYER_GZIP
            };
            let url = format!("https://foreign.example.com/layers/{}", digest.tag_form());
            (
                SynthLayer {
                    media_type: mt.into(),
                    digest,
                    diff_id: diff_id.to_string(),
                    data: BlobData::bytes(gz),
                },
                Some(vec![url]),
            )
        }
        LayerSpec::Raw {
            media_type,
            bytes,
            diff_id,
        } => (
            SynthLayer {
                media_type: media_type.clone(),
                digest: Digest::of(bytes),
                diff_id: diff_id.clone(),
                data: BlobData::bytes(bytes.clone()),
            },
            None,
        ),
    }
}

/// Builds an image: its layers, a config naming the platform and the
/// DiffIDs, and an OCI or Docker schema 2 manifest.
pub fn image(spec: &ImageSpec) -> SynthImage {
    let built: Vec<(SynthLayer, Option<Vec<String>>)> =
        spec.layers.iter().map(|l| build_layer(spec, l)).collect();
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
    let layers_json: Vec<serde_json::Value> = built
        .iter()
        .map(|(l, urls)| {
            let mut d = serde_json::json!({
                "mediaType": l.media_type,
                "size": l.size(),
                "digest": l.digest.to_string(),
            });
            if let Some(urls) = urls {
                d["urls"] = serde_json::json!(urls);
            }
            d
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_mt,
        "config": {
            "mediaType": config_mt,
            "size": config_raw.len(),
            "digest": config_digest.to_string(),
        },
        "layers": layers_json,
    });
    let manifest_raw = serde_json::to_vec(&manifest).expect("json");
    SynthImage {
        media_type: manifest_mt.into(),
        digest: Digest::of(&manifest_raw),
        manifest_raw,
        config_media_type: config_mt.into(),
        config_raw,
        config_digest,
        layers: built.into_iter().map(|(l, _)| l).collect(),
        architecture: spec.architecture.clone(),
        os: spec.os.clone(),
        bundle: None,
    }
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

/// One entry of an `images.yml`: the reference as written and its
/// annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    pub image: String,
    pub annotations: Vec<(String, String)>,
}

impl LockEntry {
    /// `image` with a `kbld.carvel.dev/id` annotation.
    pub fn kbld(image: impl Into<String>, id: impl Into<String>) -> LockEntry {
        LockEntry {
            image: image.into(),
            annotations: vec![(KBLD_ID.to_string(), id.into())],
        }
    }
}

/// An `.imgpkg/images.yml` as kbld (`--imgpkg-lock-output`) writes it:
/// `---`, sorted keys, references exactly as given.
pub fn images_yml(entries: &[LockEntry]) -> String {
    ImagesLock {
        images: entries
            .iter()
            .map(|e| LockedImage {
                image: e.image.clone(),
                original: e.image.clone(),
                annotations: e.annotations.clone(),
            })
            .collect(),
    }
    .to_yaml()
}

/// The bundle `imgpkg push -b -f DIR` builds for `files` (paths relative to
/// DIR, file modes, contents) plus `.imgpkg/images.yml` listing `images`.
pub fn bundle(files: &[(String, u32, Vec<u8>)], images: &[LockEntry]) -> SynthImage {
    let mut all: Vec<(String, u32, Vec<u8>)> = files.to_vec();
    all.push((
        ".imgpkg/images.yml".into(),
        0o644,
        images_yml(images).into_bytes(),
    ));
    let mut b = bundle_from_files(&all);
    b.bundle = Some(BundleContent {
        files: all,
        images: images.to_vec(),
    });
    b
}

/// The bundle image for exactly `files` (which may lack `images.yml`; for
/// malformed bundles). `bundle` content is set only if there is an
/// `images.yml` the registry can read back.
pub fn bundle_from_files(files: &[(String, u32, Vec<u8>)]) -> SynthImage {
    let built = imagebuild::bundle_image(files);
    let images = files
        .iter()
        .find(|(p, _, _)| p == ".imgpkg/images.yml")
        .and_then(|(_, _, c)| ImagesLock::parse(c, "images.yml").ok())
        .map(|l| {
            l.images
                .into_iter()
                .map(|i| LockEntry {
                    image: i.original,
                    annotations: i.annotations,
                })
                .collect()
        });
    SynthImage {
        media_type: media_type::DOCKER_MANIFEST.into(),
        digest: built.manifest_digest,
        manifest_raw: built.manifest_raw,
        config_media_type: media_type::DOCKER_CONFIG.into(),
        config_raw: built.config_raw,
        config_digest: built.config_digest,
        layers: vec![SynthLayer {
            media_type: media_type::DOCKER_LAYER.into(),
            digest: built.layer_digest,
            diff_id: built.diff_id.to_string(),
            data: BlobData::bytes(built.layer),
        }],
        architecture: String::new(),
        os: String::new(),
        bundle: images.map(|images| BundleContent {
            files: files.to_vec(),
            images,
        }),
    }
}

/// A file of a bundle with mode 0644.
pub fn file(path: &str, contents: impl Into<Vec<u8>>) -> (String, u32, Vec<u8>) {
    (path.to_string(), 0o644, contents.into())
}

// ---------------------------------------------------------------------------
// The source registry and the export.

/// Which imgpkg wrote the tar: fields were added over time (spec §1.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TarVersion {
    /// v0.28 and later: `OrigRef` and `Labels`.
    #[default]
    Current,
    /// v0.13 to v0.27: `Labels` but no `OrigRef` key.
    PreV0_28,
    /// Before v0.13: neither `Labels` (no root-bundle label) nor `OrigRef`.
    PreV0_13,
}

/// Options of the export (`imgpkg copy … --to-tar`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// `--include-non-distributable-layers`
    pub include_non_distributable_layers: bool,
    pub version: TarVersion,
}

/// An in-memory source registry: artifacts by (normalised repository,
/// digest).
#[derive(Debug, Clone, Default)]
pub struct SourceRegistry {
    artifacts: BTreeMap<(String, Digest), Artifact>,
}

fn normalise(reference: &str) -> Result<Reference, String> {
    Reference::parse_digest(reference).map_err(|e| format!("{reference}: {e}"))
}

impl SourceRegistry {
    pub fn new() -> SourceRegistry {
        SourceRegistry::default()
    }

    /// Stores `artifact` (and, for an index, its children) in `repo`;
    /// returns `<repo as written>@<digest>`.
    pub fn push(&mut self, repo: &str, artifact: impl Into<Artifact>) -> String {
        let artifact = artifact.into();
        let name = airlock_core::reference::Repository::parse(repo)
            .unwrap_or_else(|e| panic!("repository {repo}: {e}"))
            .name();
        let d = artifact.digest();
        if let Artifact::Index(ix) = &artifact {
            for c in &ix.children {
                self.push(repo, c.clone());
            }
        }
        self.artifacts.insert((name, d), artifact);
        format!("{repo}@{d}")
    }

    /// The artifact at a digest reference.
    pub fn get(&self, reference: &str) -> Option<&Artifact> {
        let r = normalise(reference).ok()?;
        self.artifacts.get(&(r.repository().name(), *r.digest()?))
    }

    /// `imgpkg copy -b <bundle_ref> --to-tar`, where `bundle_ref` is the
    /// bundle's digest reference and `tag` the tag `-b` named ("" when it
    /// was given by digest).
    pub fn export_bundle(
        &self,
        bundle_ref: &str,
        tag: &str,
        opts: ExportOptions,
    ) -> Result<SynthTar, String> {
        let root = normalise(bundle_ref)?;
        let root_name = root.name();
        match self.get(&root_name) {
            Some(a) if a.bundle().is_some() => {}
            Some(_) => return Err(
                "Expected bundle image but found plain image (hint: Did you use -i instead of -b?)"
                    .into(),
            ),
            None => return Err(format!("{root_name}: not in the source registry")),
        }
        let mut items: Vec<TarItem> = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        let mut visited: HashSet<String> = HashSet::new();
        self.walk(&root, &mut items, &mut keys, &mut visited)?;
        let root_art = self.get(&root_name).cloned().expect("checked above");
        items.push(TarItem {
            artifact: root_art,
            refs: root_name.clone(),
            tag: tag.to_string(),
            orig_ref: root_name,
            root_bundle: true,
        });
        Ok(SynthTar::new(items, opts))
    }

    fn walk(
        &self,
        bundle: &Reference,
        items: &mut Vec<TarItem>,
        keys: &mut HashSet<String>,
        visited: &mut HashSet<String>,
    ) -> Result<(), String> {
        if !visited.insert(bundle.name()) {
            return Ok(());
        }
        let content = self
            .get(&bundle.name())
            .and_then(Artifact::bundle)
            .cloned()
            .ok_or_else(|| format!("{} is not a bundle", bundle.name()))?;
        let bundle_repo = bundle.repository().name();
        for e in &content.images {
            let r = normalise(&e.image)?;
            let orig = r.name();
            let digest = *r.digest().expect("digest reference");
            let colocated = format!("{bundle_repo}@{digest}");
            let found = if self.get(&colocated).is_some() {
                colocated
            } else if self.get(&orig).is_some() {
                orig.clone()
            } else {
                return Err(format!(
                    "Checking image existence: {orig}: MANIFEST_UNKNOWN"
                ));
            };
            let artifact = self.get(&found).cloned().expect("found");
            let is_bundle = artifact.bundle().is_some();
            if keys.insert(format!("{found}:")) {
                items.push(TarItem {
                    artifact,
                    refs: found.clone(),
                    tag: String::new(),
                    orig_ref: orig,
                    root_bundle: false,
                });
            }
            if is_bundle {
                self.walk(&normalise(&found)?, items, keys, visited)?;
            }
        }
        Ok(())
    }

    /// `imgpkg copy -i <ref> --to-tar` for each `(digest reference, tag)`:
    /// `Tag` is the tag `-i` named, no `OrigRef`, no labels.
    pub fn export_images(
        &self,
        images: &[(&str, &str)],
        opts: ExportOptions,
    ) -> Result<SynthTar, String> {
        let mut items = Vec::new();
        for (reference, tag) in images {
            let r = normalise(reference)?;
            let artifact = self
                .get(&r.name())
                .cloned()
                .ok_or_else(|| format!("{}: not in the source registry", r.name()))?;
            if artifact.bundle().is_some() {
                return Err("Expected bundle flag when copying a bundle (hint: Use -b instead of -i for bundles)".into());
            }
            items.push(TarItem {
                artifact,
                refs: r.name(),
                tag: tag.to_string(),
                orig_ref: String::new(),
                root_bundle: false,
            });
        }
        Ok(SynthTar::new(items, opts))
    }
}

// ---------------------------------------------------------------------------
// The tar.

/// One top-level entry of `manifest.json` to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarItem {
    pub artifact: Artifact,
    /// `Refs[0]`: `<repo>@<digest>`, normalised.
    pub refs: String,
    pub tag: String,
    pub orig_ref: String,
    /// Carries `dev.carvel.imgpkg.copy.root-bundle`.
    pub root_bundle: bool,
}

/// One layer entry of the tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarBlob {
    pub digest: Digest,
    pub data: BlobData,
}

impl TarBlob {
    pub fn entry_name(&self) -> String {
        self.digest.tar_entry_name()
    }
}

/// A tar to write: the `manifest.json` model and the layer blobs. Fields
/// are public so that tests can break it on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthTar {
    pub manifest: Vec<ImageOrIndex>,
    /// Layer entries in the order written (by digest, each once).
    pub blobs: Vec<TarBlob>,
    pub version: TarVersion,
    /// Write these bytes as `manifest.json` instead of the model.
    pub manifest_json_override: Option<Vec<u8>>,
    /// Leave `manifest.json` out.
    pub omit_manifest_json: bool,
}

fn repo_of(digest_ref: &str) -> &str {
    digest_ref.rsplit_once('@').map_or(digest_ref, |(r, _)| r)
}

fn image_descriptor(
    img: &SynthImage,
    refs: &str,
    tag: &str,
    orig_ref: &str,
    labels: &Option<manifest_json::Labels>,
) -> ImageDescriptor {
    ImageDescriptor {
        refs: Some(vec![refs.to_string()]),
        layers: (!img.layers.is_empty()).then(|| {
            img.layers
                .iter()
                .map(|l| LayerDescriptor {
                    media_type: l.media_type.clone(),
                    digest: l.digest.to_string(),
                    diff_id: l.diff_id.clone(),
                    size: l.size(),
                })
                .collect()
        }),
        config: ConfigDescriptor {
            digest: img.config_digest.to_string(),
            raw: String::from_utf8(img.config_raw.clone()).expect("configs are UTF-8"),
        },
        manifest: ManifestDescriptor {
            media_type: img.media_type.clone(),
            digest: img.digest.to_string(),
            raw: String::from_utf8(img.manifest_raw.clone()).expect("manifests are UTF-8"),
        },
        tag: tag.to_string(),
        orig_ref: orig_ref.to_string(),
        labels: labels.clone(),
    }
}

fn index_descriptor(
    ix: &SynthIndex,
    refs: &str,
    tag: &str,
    orig_ref: &str,
    labels: &Option<manifest_json::Labels>,
) -> IndexDescriptor {
    let repo = repo_of(refs);
    let mut images = Vec::new();
    let mut indexes = Vec::new();
    for c in &ix.children {
        let child_ref = format!("{repo}@{}", c.digest());
        match c {
            Artifact::Image(i) => {
                images.push(image_descriptor(i, &child_ref, tag, orig_ref, labels))
            }
            Artifact::Index(i) => {
                indexes.push(index_descriptor(i, &child_ref, tag, orig_ref, labels))
            }
        }
    }
    IndexDescriptor {
        refs: Some(vec![refs.to_string()]),
        images: (!images.is_empty()).then_some(images),
        indexes: (!indexes.is_empty()).then_some(indexes),
        media_type: ix.media_type.clone(),
        digest: ix.digest.to_string(),
        raw: String::from_utf8(ix.raw.clone()).expect("indexes are UTF-8"),
        tag: tag.to_string(),
        orig_ref: orig_ref.to_string(),
        labels: labels.clone(),
    }
}

impl SynthTar {
    /// The tar imgpkg writes for `items`: `manifest.json` sorted by imgpkg's
    /// sort key (ties by `Refs`), then every distinct layer blob by digest,
    /// non-distributable ones only when asked.
    pub fn new(items: Vec<TarItem>, opts: ExportOptions) -> SynthTar {
        let mut manifest = Vec::new();
        let mut blobs: BTreeMap<Digest, BlobData> = BTreeMap::new();
        for it in &items {
            let orig_ref = match opts.version {
                TarVersion::Current => it.orig_ref.as_str(),
                _ => "",
            };
            let labels = (it.root_bundle && opts.version != TarVersion::PreV0_13).then(|| {
                let mut l = manifest_json::Labels::new();
                l.insert(ROOT_BUNDLE_LABEL.to_string(), String::new());
                l
            });
            manifest.push(match &it.artifact {
                Artifact::Image(i) => ImageOrIndex {
                    image_index: None,
                    image: Some(image_descriptor(i, &it.refs, &it.tag, orig_ref, &labels)),
                },
                Artifact::Index(i) => ImageOrIndex {
                    image_index: Some(index_descriptor(i, &it.refs, &it.tag, orig_ref, &labels)),
                    image: None,
                },
            });
            for l in it.artifact.layers() {
                if l.is_distributable() || opts.include_non_distributable_layers {
                    blobs.entry(l.digest).or_insert_with(|| l.data.clone());
                }
            }
        }
        let first_ref = |i: &ImageOrIndex| -> String {
            match (&i.image_index, &i.image) {
                (Some(x), _) => x.first_ref().unwrap_or_default().to_string(),
                (None, Some(x)) => x.first_ref().unwrap_or_default().to_string(),
                _ => String::new(),
            }
        };
        manifest.sort_by(|a, b| {
            a.sort_key()
                .cmp(&b.sort_key())
                .then_with(|| first_ref(a).cmp(&first_ref(b)))
        });
        SynthTar {
            manifest,
            blobs: blobs
                .into_iter()
                .map(|(digest, data)| TarBlob { digest, data })
                .collect(),
            version: opts.version,
            manifest_json_override: None,
            omit_manifest_json: false,
        }
    }

    /// The `manifest.json` bytes as written (older versions lack the keys
    /// their imgpkg did not have).
    pub fn manifest_json(&self) -> Vec<u8> {
        if let Some(o) = &self.manifest_json_override {
            return o.clone();
        }
        let json = manifest_json::to_json(&self.manifest);
        // Raw strings escape their quotes, so these key sequences can only
        // be structural.
        let drop = match self.version {
            TarVersion::Current => return json,
            TarVersion::PreV0_28 => ",\"OrigRef\":\"\"",
            TarVersion::PreV0_13 => ",\"OrigRef\":\"\",\"Labels\":null",
        };
        let text = String::from_utf8(json).expect("to_json writes UTF-8");
        text.replace(drop, "").into_bytes()
    }

    /// Replaces the bytes of the blob `digest` (keeping its name).
    pub fn set_blob(&mut self, digest: &Digest, data: BlobData) {
        for b in &mut self.blobs {
            if b.digest == *digest {
                b.data = data.clone();
            }
        }
    }

    /// Drops the blob `digest` from the tar.
    pub fn remove_blob(&mut self, digest: &Digest) {
        self.blobs.retain(|b| b.digest != *digest);
    }

    /// The top-level image descriptor whose manifest digest is `digest`.
    pub fn image_mut(&mut self, digest: &Digest) -> Option<&mut ImageDescriptor> {
        let d = digest.to_string();
        self.manifest
            .iter_mut()
            .filter_map(|i| i.image.as_mut())
            .find(|i| i.manifest.digest == d)
    }

    /// The top-level index descriptor whose digest is `digest`.
    pub fn index_mut(&mut self, digest: &Digest) -> Option<&mut IndexDescriptor> {
        let d = digest.to_string();
        self.manifest
            .iter_mut()
            .filter_map(|i| i.image_index.as_mut())
            .find(|i| i.digest == d)
    }

    fn blob_header(b: &TarBlob) -> Vec<u8> {
        layer_header(&b.digest, b.data.len()).expect("layer names always fit")
    }

    /// Total size of the tar in bytes.
    pub fn size(&self) -> u64 {
        let mut n = 0u64;
        if !self.omit_manifest_json {
            let m = self.manifest_json().len() as u64;
            n += tar::entry_header(MANIFEST_JSON, m, tar::DEFAULT_MODE)
                .expect("header")
                .len() as u64
                + m
                + tar::padding(m);
        }
        for b in &self.blobs {
            let len = b.data.len();
            n += Self::blob_header(b).len() as u64 + len + tar::padding(len);
        }
        n + tar::END_OF_ARCHIVE.len() as u64
    }

    /// Total bytes of layer data in the tar.
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.data.len()).sum()
    }

    fn write_stream<W: Write>(
        &self,
        w: &mut W,
        hole: &mut dyn FnMut(&mut W, u64) -> io::Result<()>,
    ) -> io::Result<()> {
        if !self.omit_manifest_json {
            let json = self.manifest_json();
            let len = json.len() as u64;
            w.write_all(
                &tar::entry_header(MANIFEST_JSON, len, tar::DEFAULT_MODE)
                    .map_err(io::Error::other)?,
            )?;
            w.write_all(&json)?;
            w.write_all(&vec![0u8; tar::padding(len) as usize])?;
        }
        let mut buf = vec![0u8; 1 << 20];
        for b in &self.blobs {
            w.write_all(&Self::blob_header(b))?;
            let len = b.data.len();
            match &b.data {
                BlobData::Zeros { len } => hole(w, *len)?,
                data => {
                    let mut r = data.reader();
                    loop {
                        let n = r.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        w.write_all(&buf[..n])?;
                    }
                }
            }
            w.write_all(&vec![0u8; tar::padding(len) as usize])?;
        }
        w.write_all(&tar::END_OF_ARCHIVE)
    }

    /// Writes the whole tar to `w` (zeros written out).
    pub fn write<W: Write>(&self, mut w: W) -> io::Result<W> {
        let zeros = vec![0u8; 1 << 20];
        self.write_stream(&mut w, &mut |w, mut n| {
            while n > 0 {
                let k = n.min(zeros.len() as u64) as usize;
                w.write_all(&zeros[..k])?;
                n -= k as u64;
            }
            Ok(())
        })?;
        Ok(w)
    }

    /// The tar in memory (for small tars).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(Vec::with_capacity(self.size() as usize))
            .expect("writing to memory")
    }

    /// Writes the tar to a file, leaving all-zero layers as holes (sparse).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write_to(&self, path: impl AsRef<std::path::Path>) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let file = std::fs::File::create(path)?;
        let mut w = io::BufWriter::with_capacity(1 << 20, file);
        self.write_stream(&mut w, &mut |w, n| {
            let n = i64::try_from(n).map_err(io::Error::other)?;
            w.seek(SeekFrom::Current(n)).map(|_| ())
        })?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.set_len(self.size())?;
        file.sync_all().ok();
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Scenarios.

/// Options of [`package_repository`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRepoOptions {
    /// The tag `-b` named ("" for a digest).
    pub tag: String,
    /// Give the `backend` 2.1.0 package a Windows-style image with a
    /// non-distributable layer.
    pub non_distributable: bool,
    /// Put one more level of nesting: the frontend package bundle also lists
    /// an "addons" bundle with its own image.
    pub deep: bool,
    pub export: ExportOptions,
}

impl Default for PackageRepoOptions {
    fn default() -> Self {
        PackageRepoOptions {
            tag: "v1.2.0".into(),
            non_distributable: false,
            deep: false,
            export: ExportOptions::default(),
        }
    }
}

/// A package bundle of a [`PackageRepo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageBundle {
    /// `frontend.corp.example.com`
    pub ref_name: String,
    pub version: String,
    /// The reference the Package CR and the repository's images.yml use.
    pub reference: String,
    pub digest: Digest,
    /// Its images.yml entries (as written) and their digests.
    pub images: Vec<(LockEntry, Digest)>,
}

/// The package repository scenario: what was built and the tar.
#[derive(Debug, Clone)]
pub struct PackageRepo {
    pub registry: SourceRegistry,
    /// Digest reference of the repository bundle.
    pub root: String,
    pub root_digest: Digest,
    /// The repository bundle's images.yml entries.
    pub root_images: Vec<LockEntry>,
    pub packages: Vec<PackageBundle>,
    /// The multi-arch index and its children (amd64, arm64).
    pub index: Digest,
    pub index_children: Vec<Digest>,
    /// The image listed by two package bundles (and, through a mirror, a
    /// third).
    pub shared: Digest,
    /// The image with the non-distributable layer, and that layer.
    pub non_distributable: Option<(Digest, Digest)>,
    /// The "addons" bundle when `deep`.
    pub addons: Option<Digest>,
    pub tar: SynthTar,
}

fn package_cr(ref_name: &str, version: &str, image: &str) -> String {
    format!(
        "---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: Package\nmetadata:\n  name: {ref_name}.{version}\nspec:\n  refName: {ref_name}\n  version: {version}\n  releasedAt: \"2024-01-01T00:00:00Z\"\n  template:\n    spec:\n      fetch:\n      - imgpkgBundle:\n          image: {image}\n      template:\n      - ytt:\n          paths:\n          - config/\n      - kbld:\n          paths:\n          - '-'\n          - .imgpkg/images.yml\n      deploy:\n      - kapp: {{}}\n"
    )
}

fn package_metadata(ref_name: &str) -> String {
    let short = ref_name.split('.').next().unwrap_or(ref_name);
    format!(
        "---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: PackageMetadata\nmetadata:\n  name: {ref_name}\nspec:\n  displayName: {short}\n  shortDescription: Synthetic package {short}\n  providerName: Airlock tests\n"
    )
}

fn deployment_yml(name: &str, images: &[LockEntry]) -> String {
    let mut s = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n"
    );
    for (i, e) in images.iter().enumerate() {
        let id = e
            .annotations
            .iter()
            .find(|(k, _)| k == KBLD_ID)
            .map_or(e.image.as_str(), |(_, v)| v.as_str());
        s.push_str(&format!("      - name: c{i}\n        image: {id}\n"));
    }
    s
}

/// A kapp-controller package repository bundle (spec §11), exported with
/// `imgpkg copy -b <repo bundle>[:tag] --to-tar`:
///
/// - repository bundle `registry.example.com/packages/repo`:
///   `packages/<refName>/metadata.yml` and `<version>.yml` (Package CRs
///   whose `imgpkgBundle.image` is the package bundle by digest) and an
///   images.yml listing the three package bundles (kbld ids);
/// - `frontend` 1.0.0: its OCI image, a multi-arch `nginx` index (Docker
///   Hub short name, so normalisation shows) and the shared sidecar;
/// - `backend` 2.0.0: its Docker image and the shared sidecar;
/// - `backend` 2.1.0: a newer image (sharing a layer with 2.0.0) and the
///   shared sidecar through a mirror repository (the same digest reached
///   through two repositories gives two tar entries), plus, with
///   `non_distributable`, an image with a foreign layer.
pub fn package_repository(opts: &PackageRepoOptions) -> PackageRepo {
    let reg_host = SOURCE_REGISTRY;
    let mut reg = SourceRegistry::new();

    // Images.
    let frontend = image(&ImageSpec::oci("frontend", 11, 2));
    let nginx = multi_arch_index("nginx", 12);
    let sidecar = image(&ImageSpec::docker("shared-sidecar", 13, 1));
    let backend_v2 = image(&ImageSpec::docker("backend", 14, 2));
    let mut backend_v21_spec = ImageSpec::docker("backend", 15, 0);
    backend_v21_spec.layers = vec![
        ImageSpec::docker("backend", 14, 2).layers[0].clone(), // shared base layer
        LayerSpec::Tar {
            seed: 1502,
            len: 4096,
            compressible: true,
        },
    ];
    let backend_v21 = image(&backend_v21_spec);
    let win = opts.non_distributable.then(|| {
        image(
            &ImageSpec::docker("win-agent", 16, 1)
                .platform("windows", "amd64")
                .layer(LayerSpec::NonDistributable {
                    seed: 1601,
                    len: 2048,
                }),
        )
    });

    let frontend_ref = reg.push(&format!("{reg_host}/apps/frontend"), frontend.clone());
    let nginx_d = nginx.digest;
    let index_children = nginx.children.iter().map(Artifact::digest).collect();
    reg.push("index.docker.io/library/nginx", nginx);
    let nginx_ref = format!("nginx@{nginx_d}");
    let sidecar_ref = reg.push("ghcr.io/corp/shared-sidecar", sidecar.clone());
    let sidecar_mirror_ref = reg.push(
        &format!("{reg_host}/mirror/shared-sidecar"),
        sidecar.clone(),
    );
    let backend_v2_ref = reg.push(&format!("{reg_host}/apps/backend"), backend_v2.clone());
    let backend_v21_ref = reg.push(&format!("{reg_host}/apps/backend"), backend_v21.clone());
    let win_ref = win
        .as_ref()
        .map(|w| reg.push(&format!("{reg_host}/apps/win-agent"), w.clone()));

    // Optional third level.
    let mut addons = None;
    let mut frontend_images = vec![
        LockEntry::kbld(&frontend_ref, format!("{reg_host}/apps/frontend:1.0.0")),
        LockEntry::kbld(&nginx_ref, "nginx:1.27"),
        LockEntry::kbld(&sidecar_ref, "ghcr.io/corp/shared-sidecar:3"),
    ];
    if opts.deep {
        let addon_img = image(&ImageSpec::oci("metrics-addon", 17, 1));
        let addon_img_ref = reg.push(&format!("{reg_host}/apps/metrics-addon"), addon_img);
        let addon_images = vec![LockEntry::kbld(
            &addon_img_ref,
            format!("{reg_host}/apps/metrics-addon:0.3"),
        )];
        let b = bundle(
            &[file(
                "config/addon.yml",
                deployment_yml("addon", &addon_images),
            )],
            &addon_images,
        );
        addons = Some(b.digest);
        let r = reg.push(&format!("{reg_host}/packages/addons"), b);
        frontend_images.push(LockEntry::kbld(
            &r,
            format!("{reg_host}/packages/addons:0.3"),
        ));
    }

    let mut backend_v21_images = vec![
        LockEntry::kbld(&backend_v21_ref, format!("{reg_host}/apps/backend:2.1.0")),
        LockEntry::kbld(
            &sidecar_mirror_ref,
            format!("{reg_host}/mirror/shared-sidecar:3"),
        ),
    ];
    let mut non_distributable = None;
    if let (Some(w), Some(r)) = (&win, &win_ref) {
        backend_v21_images.push(LockEntry::kbld(r, format!("{reg_host}/apps/win-agent:1")));
        non_distributable = Some((w.digest, w.layers[1].digest));
    }
    let specs: Vec<(&str, &str, Vec<LockEntry>)> = vec![
        ("frontend.corp.example.com", "1.0.0", frontend_images),
        (
            "backend.corp.example.com",
            "2.0.0",
            vec![
                LockEntry::kbld(&backend_v2_ref, format!("{reg_host}/apps/backend:2.0.0")),
                LockEntry::kbld(&sidecar_ref, "ghcr.io/corp/shared-sidecar:3"),
            ],
        ),
        ("backend.corp.example.com", "2.1.0", backend_v21_images),
    ];

    let mut packages = Vec::new();
    for (ref_name, version, images) in specs {
        let short = ref_name.split('.').next().unwrap_or(ref_name);
        let b = bundle(
            &[
                file(
                    &format!("config/{short}.yml"),
                    deployment_yml(short, &images),
                ),
                file(
                    "config/values.yml",
                    format!("#@data/values\n---\nversion: {version}\n"),
                ),
                file(
                    ".imgpkg/bundle.yml",
                    format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: {ref_name}\n"),
                ),
            ],
            &images,
        );
        let digest = b.digest;
        let reference = reg.push(&format!("{reg_host}/packages/{short}"), b);
        let images = images
            .into_iter()
            .map(|e| {
                let d = *normalise(&e.image)
                    .expect("digest ref")
                    .digest()
                    .expect("digest");
                (e, d)
            })
            .collect();
        packages.push(PackageBundle {
            ref_name: ref_name.into(),
            version: version.into(),
            reference,
            digest,
            images,
        });
    }

    // The repository bundle.
    let mut files = Vec::new();
    let mut seen_meta = HashSet::new();
    for p in &packages {
        if seen_meta.insert(p.ref_name.clone()) {
            files.push(file(
                &format!("packages/{}/metadata.yml", p.ref_name),
                package_metadata(&p.ref_name),
            ));
        }
        files.push(file(
            &format!("packages/{}/{}.yml", p.ref_name, p.version),
            package_cr(&p.ref_name, &p.version, &p.reference),
        ));
    }
    let root_images: Vec<LockEntry> = packages
        .iter()
        .map(|p| LockEntry::kbld(&p.reference, &p.reference))
        .collect();
    let repo_bundle = bundle(&files, &root_images);
    let root_digest = repo_bundle.digest;
    let root = reg.push(&format!("{reg_host}/packages/repo"), repo_bundle);

    let tar = reg
        .export_bundle(&root, &opts.tag, opts.export)
        .expect("the scenario is consistent");
    PackageRepo {
        registry: reg,
        root,
        root_digest,
        root_images,
        packages,
        index: nginx_d,
        index_children,
        shared: sidecar.digest,
        non_distributable,
        addons,
        tar,
    }
}

/// A kapp-controller package repository of `packages` package bundles,
/// each listing `images_per_package` small single-layer OCI images of its
/// own (for the copy benchmark's "1,000-image package repository"), as
/// `imgpkg copy -b <repo>:tag --to-tar` exports it.
pub fn large_package_repository(packages: usize, images_per_package: usize, tag: &str) -> SynthTar {
    let reg_host = SOURCE_REGISTRY;
    let mut reg = SourceRegistry::new();
    let mut files = Vec::new();
    let mut root_images = Vec::new();
    for p in 0..packages {
        let name = format!("pkg{p:04}");
        let ref_name = format!("{name}.corp.example.com");
        let mut images = Vec::new();
        for i in 0..images_per_package {
            let seed = (p * images_per_package + i) as u64 + 1_000_000;
            let img = image(&ImageSpec::oci(&format!("{name}-app{i}"), seed, 1));
            let r = reg.push(&format!("{reg_host}/apps/{name}-app{i}"), img);
            images.push(LockEntry::kbld(
                &r,
                format!("{reg_host}/apps/{name}-app{i}:1.0.0"),
            ));
        }
        let b = bundle(
            &[file(
                &format!("config/{name}.yml"),
                deployment_yml(&name, &images),
            )],
            &images,
        );
        let reference = reg.push(&format!("{reg_host}/packages/{name}"), b);
        files.push(file(
            &format!("packages/{ref_name}/metadata.yml"),
            package_metadata(&ref_name),
        ));
        files.push(file(
            &format!("packages/{ref_name}/1.0.0.yml"),
            package_cr(&ref_name, "1.0.0", &reference),
        ));
        root_images.push(LockEntry::kbld(&reference, &reference));
    }
    let root = reg.push(
        &format!("{reg_host}/packages/repo"),
        bundle(&files, &root_images),
    );
    reg.export_bundle(&root, tag, ExportOptions::default())
        .expect("the scenario is consistent")
}

/// A bundle with two images sharing a layer, like the golden
/// `simple-bundle` fixture: `(registry, bundle digest reference, tar)`.
pub fn simple_bundle(
    seed: u64,
    tag: &str,
    opts: ExportOptions,
) -> (SourceRegistry, String, SynthTar) {
    let mut reg = SourceRegistry::new();
    let app1 = image(&ImageSpec::oci("app1", seed, 2));
    let mut app2_spec = ImageSpec::oci("app2", seed + 1, 1);
    app2_spec
        .layers
        .insert(0, ImageSpec::oci("app1", seed, 2).layers[0].clone());
    let app2 = image(&app2_spec);
    let r1 = reg.push(&format!("{SOURCE_REGISTRY}/src/app1"), app1);
    let r2 = reg.push(&format!("{SOURCE_REGISTRY}/src/app2"), app2);
    let images = vec![
        LockEntry::kbld(&r1, format!("{SOURCE_REGISTRY}/src/app1:v1")),
        LockEntry::kbld(&r2, format!("{SOURCE_REGISTRY}/src/app2:v1")),
    ];
    let b = bundle(
        &[
            file("config/deployment.yml", deployment_yml("simple", &images)),
            file("config/values.yml", "#@data/values\n---\nreplicas: 1\n"),
        ],
        &images,
    );
    let root = reg.push(&format!("{SOURCE_REGISTRY}/src/simple-bundle"), b);
    let tar = reg.export_bundle(&root, tag, opts).expect("consistent");
    (reg, root, tar)
}

/// `imgpkg copy -i` of one image (`index` false) or one multi-arch index,
/// with tag `tag`: `(source digest reference, tar)`.
pub fn plain_image(index: bool, tag: &str, opts: ExportOptions) -> (String, SynthTar) {
    let mut reg = SourceRegistry::new();
    let r = if index {
        reg.push(
            &format!("{SOURCE_REGISTRY}/src/multi"),
            multi_arch_index("multi", 21),
        )
    } else {
        reg.push(
            &format!("{SOURCE_REGISTRY}/src/app1"),
            image(&ImageSpec::oci("app1", 22, 2)),
        )
    };
    let tar = reg.export_images(&[(&r, tag)], opts).expect("consistent");
    (r, tar)
}

/// Options of [`big_bundle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigOptions {
    pub images: usize,
    pub layers: usize,
    pub layer_size: u64,
    pub seed: u64,
}

impl Default for BigOptions {
    /// 8 images × 4 layers × 16 MiB = 512 MiB.
    fn default() -> Self {
        BigOptions {
            images: 8,
            layers: 4,
            layer_size: 16 << 20,
            seed: 1,
        }
    }
}

/// A bundle of `images` OCI images of `layers` incompressible layers of
/// `layer_size` bytes each, generated on the fly (digests are computed in a
/// first pass; nothing large is held in memory). Root tag `v1`.
pub fn big_bundle(o: BigOptions) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let mut entries = Vec::new();
    for i in 0..o.images {
        let spec = ImageSpec {
            name: format!("app-{i}"),
            format: Format::Oci,
            architecture: "amd64".into(),
            os: "linux".into(),
            layers: (0..o.layers)
                .map(|l| LayerSpec::Random {
                    seed: o
                        .seed
                        .wrapping_mul(1_000_003)
                        .wrapping_add((i * 1000 + l) as u64),
                    len: o.layer_size,
                })
                .collect(),
        };
        let r = reg.push(&format!("{SOURCE_REGISTRY}/big/app-{i}"), image(&spec));
        entries.push(LockEntry::kbld(
            &r,
            format!("{SOURCE_REGISTRY}/big/app-{i}:v1"),
        ));
    }
    let b = bundle(
        &[file("config/app.yml", deployment_yml("big", &entries))],
        &entries,
    );
    let root = reg.push(&format!("{SOURCE_REGISTRY}/big/bundle"), b);
    reg.export_bundle(&root, "v1", ExportOptions::default())
        .expect("consistent")
}

/// A bundle whose one image has a single all-zero layer of `size` bytes
/// (use more than 4 GiB to cross the 32-bit line): written by
/// [`SynthTar::write_to`] as a sparse file. Root tag `v1`.
pub fn sparse_bundle(size: u64) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let spec = ImageSpec {
        name: "huge".into(),
        format: Format::Oci,
        architecture: "amd64".into(),
        os: "linux".into(),
        layers: vec![LayerSpec::small(31), LayerSpec::Zeros { len: size }],
    };
    let r = reg.push(&format!("{SOURCE_REGISTRY}/big/huge"), image(&spec));
    let entries = vec![LockEntry::kbld(
        &r,
        format!("{SOURCE_REGISTRY}/big/huge:v1"),
    )];
    let b = bundle(
        &[file("config/app.yml", deployment_yml("huge", &entries))],
        &entries,
    );
    let root = reg.push(&format!("{SOURCE_REGISTRY}/big/huge-bundle"), b);
    reg.export_bundle(&root, "v1", ExportOptions::default())
        .expect("consistent")
}

// ---------------------------------------------------------------------------
// Malformed tars.

/// The names [`bad_archive`] knows, each with the text that the reader or
/// verifier must report for it.
pub const BAD_ARCHIVES: &[(&str, &str)] = &[
    ("missing-manifest-json", "file manifest.json not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)"),
    ("invalid-json", "manifest.json: parsing manifest.json:"),
    ("manifest-json-not-an-array", "manifest.json: parsing manifest.json:"),
    ("missing-layer", "not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)"),
    ("layer-wrong-bytes", "error verifying sha256 checksum after reading"),
    ("layer-wrong-size", "error verifying size; got"),
    ("manifest-raw-mismatch", "manifest bytes (Raw) hash to"),
    ("config-raw-mismatch", "config bytes (Config.Raw) hash to"),
    ("manifest-layers-disagree", "layer 0: the manifest says"),
    ("bundle-two-layers", "Expected bundle to only have a single layer, got 2"),
    ("bundle-oci-layer", "Expected layer to have docker layer media type, was application/vnd.oci.image.layer.v1.tar+gzip"),
    ("bundle-without-images-yml", "Expected to find .imgpkg/images.yml in bundle image"),
    ("images-yml-tag-reference", "Expected ref to be in digest form, got"),
    ("images-yml-unknown-field", "unknown field \"another-key\""),
    ("images-yml-wrong-kind", "Unknown kind (known: ImagesLock)"),
    ("bundle-image-not-in-tar", "named in .imgpkg/images.yml is not in the tar"),
    ("images-yml-alias-bomb", "Unmarshalling ImagesLock from image with Digest"),
    ("bundle-layer-gzip-bomb", "the bundle layer uncompresses to more than"),
    ("bundle-layer-not-gzip", "decompressing the bundle layer"),
    ("index-child-missing", "which is not in manifest.json"),
    ("refs-not-a-digest", "Refs[0] is not a digest reference"),
    ("refs-wrong-digest", "Refs[0] names digest"),
    ("truncated-layer", "truncated tar: entry"),
];

fn alias_bomb_yml() -> String {
    let mut doc = String::from("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n");
    doc.push_str(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names: Vec<char> = "abcdefghij".chars().collect();
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    doc
}

/// A gzip stream that inflates to more than `min_len` zero bytes, from
/// about `min_len / 160` bytes: one fixed-Huffman deflate block of a
/// literal zero and back-references (length 258, distance 1), written bit
/// by bit (cheap to make, unlike compressing the zeros).
fn gzip_bomb(min_len: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `len` bits of `v`, least significant first.
        fn put(&mut self, v: u64, len: u32) {
            self.acc |= v << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut rev = 0;
            for i in 0..len {
                rev |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(rev, len);
        }
    }
    let matches = min_len / 258 + 1;
    let total = 1 + 258 * matches;
    let mut b = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // BTYPE = fixed Huffman
    b.code(0x30, 8); // literal 0
    for _ in 0..matches {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
    }
    b.code(0, 7); // end of block
    if b.n > 0 {
        b.out.push(b.acc as u8);
    }
    let mut crc = flate2::Crc::new();
    let zeros = vec![0u8; 1 << 20];
    let mut left = total;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        crc.update(&zeros[..n]);
        left -= n as u64;
    }
    b.out.extend_from_slice(&crc.sum().to_le_bytes());
    b.out.extend_from_slice(&(total as u32).to_le_bytes());
    b.out
}

/// A one-bundle, one-image tar whose bundle is built from `files` (a
/// malformed bundle), the image listed in the bundle's images.yml.
fn tar_with_bundle_files(
    extra_images: bool,
    files: impl FnOnce(&str) -> Vec<(String, u32, Vec<u8>)>,
) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let app = image(&ImageSpec::oci("app", 41, 1));
    let r = reg.push(&format!("{SOURCE_REGISTRY}/src/app"), app.clone());
    let b = bundle_from_files(&files(&r));
    let mut items = vec![TarItem {
        refs: format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest),
        orig_ref: format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest),
        artifact: Artifact::Image(b),
        tag: "v1".into(),
        root_bundle: true,
    }];
    if extra_images {
        items.push(TarItem {
            artifact: Artifact::Image(app),
            refs: r.clone(),
            tag: String::new(),
            orig_ref: r,
            root_bundle: false,
        });
    }
    SynthTar::new(items, ExportOptions::default())
}

/// Gives `img` other layers and rebuilds its manifest to match (the
/// config is kept): for malformed or unusual images.
pub fn replace_layers(img: &mut SynthImage, layers: Vec<SynthLayer>) {
    img.layers = layers;
    let layers_json: Vec<serde_json::Value> = img
        .layers
        .iter()
        .map(|l| {
            serde_json::json!({"mediaType": l.media_type, "size": l.size(), "digest": l.digest.to_string()})
        })
        .collect();
    img.manifest_raw = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": img.media_type,
        "config": {"mediaType": img.config_media_type, "size": img.config_raw.len(), "digest": img.config_digest.to_string()},
        "layers": layers_json,
    }))
    .expect("json");
    img.digest = Digest::of(&img.manifest_raw);
}

fn bundle_tar_with(mutate: impl FnOnce(&mut SynthImage)) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let app = image(&ImageSpec::oci("app", 42, 1));
    let r = reg.push(&format!("{SOURCE_REGISTRY}/src/app"), app.clone());
    let mut b = bundle(
        &[file("config/app.yml", "kind: ConfigMap\n")],
        &[LockEntry::kbld(&r, "app:v1")],
    );
    mutate(&mut b);
    let br = format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest);
    SynthTar::new(
        vec![
            TarItem {
                artifact: Artifact::Image(b),
                refs: br.clone(),
                tag: "v1".into(),
                orig_ref: br,
                root_bundle: true,
            },
            TarItem {
                artifact: Artifact::Image(app),
                refs: r.clone(),
                tag: String::new(),
                orig_ref: r,
                root_bundle: false,
            },
        ],
        ExportOptions::default(),
    )
}

/// A malformed tar by name (see [`BAD_ARCHIVES`]), as bytes. `None` for an
/// unknown name.
pub fn bad_archive(name: &str) -> Option<Vec<u8>> {
    let (_, _, good) = simple_bundle(7, "v1", ExportOptions::default());
    let first_image = |t: &SynthTar| -> Digest {
        t.manifest
            .iter()
            .filter_map(|i| i.image.as_ref())
            .find(|i| !i.is_root_bundle())
            .and_then(|i| Digest::parse(&i.manifest.digest).ok())
            .expect("an image")
    };
    let first_layer = |t: &SynthTar| -> Digest {
        let d = first_image(t);
        let img = t
            .manifest
            .iter()
            .filter_map(|i| i.image.as_ref())
            .find(|i| i.manifest.digest == d.to_string())
            .expect("image");
        Digest::parse(&img.layers()[0].digest).expect("digest")
    };
    let mut t = good.clone();
    match name {
        "missing-manifest-json" => t.omit_manifest_json = true,
        "invalid-json" => t.manifest_json_override = Some(b"[{\"Image\": {\"Refs\": [".to_vec()),
        "manifest-json-not-an-array" => {
            t.manifest_json_override = Some(b"{\"Image\":null}".to_vec())
        }
        "missing-layer" => {
            let l = first_layer(&t);
            t.remove_blob(&l);
        }
        "layer-wrong-bytes" => {
            let l = first_layer(&t);
            let len = t
                .blobs
                .iter()
                .find(|b| b.digest == l)
                .expect("blob")
                .data
                .len();
            t.set_blob(&l, BlobData::bytes(random_bytes(99, len as usize)));
        }
        "layer-wrong-size" => {
            let l = first_layer(&t);
            let mut data = t
                .blobs
                .iter()
                .find(|b| b.digest == l)
                .expect("blob")
                .data
                .to_vec();
            data.extend_from_slice(b"trailing");
            t.set_blob(&l, BlobData::bytes(data));
        }
        "manifest-raw-mismatch" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.manifest.raw =
                img.manifest
                    .raw
                    .replacen("schemaVersion\":2", "schemaVersion\":2 ", 1);
        }
        "config-raw-mismatch" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.config.raw = img.config.raw.replacen("amd64", "arm64", 1);
        }
        "manifest-layers-disagree" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            if let Some(layers) = img.layers.as_mut() {
                layers.swap(0, 1);
            }
        }
        "bundle-two-layers" => {
            t = bundle_tar_with(|b| {
                let l = b.layers[0].clone();
                let mut l2 = l.clone();
                let bytes = gzipped_tar("extra.txt", b"extra".to_vec()).0;
                l2.digest = Digest::of(&bytes);
                l2.data = BlobData::bytes(bytes);
                replace_layers(b, vec![l, l2]);
            })
        }
        "bundle-oci-layer" => {
            t = bundle_tar_with(|b| {
                let mut l = b.layers[0].clone();
                l.media_type = media_type::OCI_LAYER.into();
                replace_layers(b, vec![l]);
            })
        }
        "bundle-without-images-yml" => {
            t = tar_with_bundle_files(true, |_| vec![file("config/app.yml", "kind: ConfigMap\n")])
        }
        "images-yml-tag-reference" => {
            t = tar_with_bundle_files(true, |_| {
                vec![file(
                    ".imgpkg/images.yml",
                    format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {SOURCE_REGISTRY}/src/app:v1\n"),
                )]
            })
        }
        "images-yml-unknown-field" => {
            t = tar_with_bundle_files(true, |r| {
                vec![file(
                    ".imgpkg/images.yml",
                    format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {r}\n  another-key: x\n"),
                )]
            })
        }
        "images-yml-wrong-kind" => {
            t = tar_with_bundle_files(true, |r| {
                vec![file(
                    ".imgpkg/images.yml",
                    format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nimages:\n- image: {r}\n"),
                )]
            })
        }
        "bundle-image-not-in-tar" => {
            t = tar_with_bundle_files(false, |r| {
                vec![file(
                    ".imgpkg/images.yml",
                    images_yml(&[LockEntry::kbld(r, "app:v1")]),
                )]
            })
        }
        "images-yml-alias-bomb" => {
            t = tar_with_bundle_files(true, |_| vec![file(".imgpkg/images.yml", alias_bomb_yml())])
        }
        "bundle-layer-gzip-bomb" | "bundle-layer-not-gzip" => {
            let bytes = if name == "bundle-layer-gzip-bomb" {
                gzip_bomb(MAX_BUNDLE_LAYER + (64 << 20))
            } else {
                b"this is not gzip".to_vec()
            };
            t = bundle_tar_with(|b| {
                let mut l = b.layers[0].clone();
                l.digest = Digest::of(&bytes);
                l.data = BlobData::bytes(bytes);
                replace_layers(b, vec![l]);
            })
        }
        "index-child-missing" => {
            let (_, mut it) = plain_image(true, "v1", ExportOptions::default());
            let ix = it.manifest[0].image_index.as_mut().expect("index");
            if let Some(images) = ix.images.as_mut() {
                images.pop();
            }
            t = it;
        }
        "refs-not-a-digest" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.refs = Some(vec![format!("{SOURCE_REGISTRY}/src/app1:v1")]);
        }
        "refs-wrong-digest" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.refs = Some(vec![format!(
                "{SOURCE_REGISTRY}/src/app1@{}",
                Digest::of(b"other")
            )]);
        }
        "truncated-layer" => {
            let mut bytes = t.to_bytes();
            // Cut inside the last layer's data, before the end marker.
            let last = t.blobs.last().expect("blob").data.len();
            let cut = bytes.len()
                - tar::END_OF_ARCHIVE.len()
                - tar::padding(last) as usize
                - (last as usize / 2);
            bytes.truncate(cut);
            return Some(bytes);
        }
        _ => return None,
    }
    Some(t.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_bomb_is_valid_gzip() {
        let bomb = gzip_bomb(1 << 20);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bomb.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 1 + 258 * ((1 << 20) / 258 + 1));
        assert!(out.iter().all(|&b| b == 0));
        assert!(bomb.len() < out.len() / 100);
    }
}

/// Small hand-made relocation plans (inline OCI images and indexes) for the
/// registry tests: the unit tests of the copy session and the integration
/// tests against a real registry build their plans with these.
pub mod plans {
    use std::sync::Arc;

    use airlock_core::digest::Digest;
    use airlock_core::manifest::media_type::{OCI_INDEX, OCI_MANIFEST};
    use airlock_core::plan::{BlobSource, ItemKind, PlannedBlob, PlannedItem, PlannedManifest};
    use airlock_core::reference::Repository;

    /// A blob held in memory.
    pub fn inline_blob(bytes: &[u8], mt: &str) -> PlannedBlob {
        PlannedBlob {
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            media_type: mt.into(),
            source: BlobSource::Inline(Arc::new(bytes.to_vec())),
        }
    }

    /// An OCI image with inline config and layers.
    pub fn image(config: &[u8], layers: &[&[u8]]) -> PlannedManifest {
        let cfg = inline_blob(config, "application/vnd.oci.image.config.v1+json");
        let ls: Vec<PlannedBlob> = layers
            .iter()
            .map(|l| inline_blob(l, "application/vnd.oci.image.layer.v1.tar+gzip"))
            .collect();
        let desc = |b: &PlannedBlob| {
            format!(
                r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
                b.media_type, b.digest, b.size
            )
        };
        let raw = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}]}}"#,
            desc(&cfg),
            ls.iter().map(desc).collect::<Vec<_>>().join(",")
        )
        .into_bytes();
        let mut blobs = vec![cfg];
        blobs.extend(ls);
        PlannedManifest {
            digest: Digest::of(&raw),
            media_type: OCI_MANIFEST.into(),
            raw: Arc::new(raw),
            blobs,
            children: vec![],
        }
    }

    /// An OCI index over `children` (each listed as linux/amd64).
    pub fn index(children: Vec<PlannedManifest>) -> PlannedManifest {
        let raw = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
            children
                .iter()
                .map(|c| format!(
                    r#"{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}"#,
                    c.media_type,
                    c.digest,
                    c.raw.len()
                ))
                .collect::<Vec<_>>()
                .join(",")
        )
        .into_bytes();
        PlannedManifest {
            digest: Digest::of(&raw),
            media_type: OCI_INDEX.into(),
            raw: Arc::new(raw),
            blobs: vec![],
            children,
        }
    }

    /// A top-level item uploaded by `sha256-<hex>.imgpkg`, then `extra_tags`.
    pub fn item(
        repo: &Repository,
        kind: ItemKind,
        m: PlannedManifest,
        extra_tags: &[&str],
    ) -> PlannedItem {
        let mut tags = vec![m.digest.imgpkg_tag()];
        tags.extend(extra_tags.iter().map(|s| s.to_string()));
        PlannedItem {
            kind,
            source: "test".into(),
            orig_ref: None,
            destination: repo.at(&m.digest),
            manifest: m,
            tags,
        }
    }
}
