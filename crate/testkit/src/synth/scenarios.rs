//! Ready-made tars: a small bundle, a plain image or index, big bundles of
//! generated layers (benchmarks) and a sparse bundle over 4 GiB.

use airlock_core::digest::Digest;

use super::bundles::deployment_yml;
use super::{
    bundle, file, image, multi_arch_index, ExportOptions, ImageSpec, LayerSpec, LockEntry,
    SourceRegistry, SynthTar, SOURCE_REGISTRY,
};

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
    /// Images in the bundle.
    pub images: usize,
    /// Layers per image.
    pub layers: usize,
    /// Bytes per layer.
    pub layer_size: u64,
    /// Seeds every layer.
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
        let spec = ImageSpec::with_layers(
            &format!("app-{i}"),
            (0..o.layers)
                .map(|l| LayerSpec::Random {
                    seed: o
                        .seed
                        .wrapping_mul(1_000_003)
                        .wrapping_add((i * 1000 + l) as u64),
                    len: o.layer_size,
                })
                .collect(),
        );
        let r = reg.push(&format!("{SOURCE_REGISTRY}/big/app-{i}"), image(&spec));
        entries.push(LockEntry::kbld(
            &r,
            format!("{SOURCE_REGISTRY}/big/app-{i}:v1"),
        ));
    }
    export_v1(reg, "big", "bundle", &entries)
}

/// A bundle whose one image has a single all-zero layer of `size` bytes
/// (use more than 4 GiB to cross the 32-bit line): written by
/// [`SynthTar::write_to`] as a sparse file. Root tag `v1`. `zeros_digest`,
/// when given, is trusted as the sha256 of the zeros (hashing 4 GiB takes a
/// while); else it is computed.
pub fn sparse_bundle(size: u64, zeros_digest: Option<Digest>) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let spec = ImageSpec::with_layers(
        "huge",
        vec![
            LayerSpec::small(31),
            LayerSpec::Zeros {
                len: size,
                digest: zeros_digest,
            },
        ],
    );
    let r = reg.push(&format!("{SOURCE_REGISTRY}/big/huge"), image(&spec));
    let entries = vec![LockEntry::kbld(
        &r,
        format!("{SOURCE_REGISTRY}/big/huge:v1"),
    )];
    export_v1(reg, "huge", "huge-bundle", &entries)
}

/// Pushes a bundle `name` listing `entries` (one Deployment naming them) to
/// `<SOURCE_REGISTRY>/big/<repo>` and exports it as `copy -b …:v1` does.
fn export_v1(mut reg: SourceRegistry, name: &str, repo: &str, entries: &[LockEntry]) -> SynthTar {
    let b = bundle(
        &[file("config/app.yml", deployment_yml(name, entries))],
        entries,
    );
    let root = reg.push(&format!("{SOURCE_REGISTRY}/big/{repo}"), b);
    reg.export_bundle(&root, "v1", ExportOptions::default())
        .expect("consistent")
}
