//! Two releases of one package repository, for thin transfers: version 2
//! keeps most package bundles (and so their images) of version 1 and
//! changes `changed` of them (new images with new layers, a new package
//! version); the repository bundle itself always changes.
//!
//! Every image has one base layer shared by all images and one layer of
//! its own, `layer_size` bytes of incompressible data each.

use super::package_repo::RepoBundle;
use super::{
    image, Format, ImageSpec, LayerSpec, LockEntry, SourceRegistry, SynthTar, SOURCE_REGISTRY,
};

/// What to build with [`package_repository_release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseOptions {
    pub packages: usize,
    pub images_per_package: usize,
    /// Bytes of each image's own layer (and of the shared base layer).
    pub layer_size: u64,
    /// How many packages (the first ones) version 2 changes.
    pub changed: usize,
    /// 1 or 2.
    pub release: u32,
    /// The tag `-b` named.
    pub tag: String,
}

impl ReleaseOptions {
    /// A small repository for tests: 4 packages x 2 images, 1 changed.
    pub fn small(release: u32) -> ReleaseOptions {
        ReleaseOptions {
            packages: 4,
            images_per_package: 2,
            layer_size: 3000,
            changed: 1,
            release,
            tag: format!("v{release}.0.0"),
        }
    }
}

/// Whether version `release` of package `p` differs from version 1.
fn is_changed(o: &ReleaseOptions, p: usize) -> bool {
    o.release >= 2 && p < o.changed
}

/// The package repository at `o.release`, as `imgpkg copy -b <repo>:<tag> --to-tar`
/// exports it.
pub fn package_repository_release(o: &ReleaseOptions) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let mut repo = RepoBundle::default();
    let base = LayerSpec::Random {
        seed: 9_000_000,
        len: o.layer_size,
    };
    for p in 0..o.packages {
        let changed = is_changed(o, p);
        let version = if changed { "2.0.0" } else { "1.0.0" };
        let name = format!("pkg{p:04}");
        let mut images = Vec::new();
        for i in 0..o.images_per_package {
            let seed = (p * o.images_per_package + i) as u64
                + 3_000_000
                + if changed { 500_000 } else { 0 };
            let spec = ImageSpec {
                name: format!("{name}-app{i}"),
                format: Format::Oci,
                architecture: "amd64".into(),
                os: "linux".into(),
                layers: vec![
                    base.clone(),
                    LayerSpec::Random {
                        seed,
                        len: o.layer_size,
                    },
                ],
            };
            let r = reg.push(
                &format!("{SOURCE_REGISTRY}/apps/{name}-app{i}"),
                image(&spec),
            );
            images.push(LockEntry::kbld(
                &r,
                format!("{SOURCE_REGISTRY}/apps/{name}-app{i}:{version}"),
            ));
        }
        repo.add_package(&mut reg, &name, version, &images);
    }
    repo.export(reg, &o.tag)
}

/// The layer bytes version 2 adds over version 1 (the changed images' own
/// layers): what a thin tar cannot do without.
pub fn changed_layer_bytes(o: &ReleaseOptions) -> u64 {
    (o.changed.min(o.packages) * o.images_per_package) as u64 * o.layer_size
}
