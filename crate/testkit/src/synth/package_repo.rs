//! kapp-controller package repositories (spec §11): a repository bundle
//! whose Package CRs name package bundles, each listing its images.

use std::collections::HashSet;

use airlock_core::digest::Digest;

use super::bundles::deployment_yml;
use super::registry::normalise;
use super::{
    bundle, file, image, multi_arch_index, Artifact, ExportOptions, ImageSpec, LayerSpec,
    LockEntry, SourceRegistry, SynthTar, SOURCE_REGISTRY,
};

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
    let mut repo = RepoBundle::default();
    for p in 0..packages {
        let name = format!("pkg{p:04}");
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
        repo.add_package(&mut reg, &name, "1.0.0", &images);
    }
    repo.export(reg, tag)
}

/// A package repository bundle being put together: its files (Package
/// metadata and CRs) and its images.yml entries (the package bundles).
#[derive(Default)]
pub(super) struct RepoBundle {
    files: Vec<(String, u32, Vec<u8>)>,
    images: Vec<LockEntry>,
}

impl RepoBundle {
    /// Pushes package `name`'s bundle (a deployment of `images`) and lists
    /// it in the repository at `version`.
    pub(super) fn add_package(
        &mut self,
        reg: &mut SourceRegistry,
        name: &str,
        version: &str,
        images: &[LockEntry],
    ) {
        let ref_name = format!("{name}.corp.example.com");
        let config = file(&format!("config/{name}.yml"), deployment_yml(name, images));
        let b = bundle(&[config], images);
        let reference = reg.push(&format!("{SOURCE_REGISTRY}/packages/{name}"), b);
        self.files.push(file(
            &format!("packages/{ref_name}/metadata.yml"),
            package_metadata(&ref_name),
        ));
        self.files.push(file(
            &format!("packages/{ref_name}/{version}.yml"),
            package_cr(&ref_name, version, &reference),
        ));
        self.images.push(LockEntry::kbld(&reference, &reference));
    }

    /// Pushes the repository bundle and exports it as `imgpkg copy -b
    /// <repo>:<tag> --to-tar` does.
    pub(super) fn export(self, mut reg: SourceRegistry, tag: &str) -> SynthTar {
        let root = reg.push(
            &format!("{SOURCE_REGISTRY}/packages/repo"),
            bundle(&self.files, &self.images),
        );
        reg.export_bundle(&root, tag, ExportOptions::default())
            .expect("the scenario is consistent")
    }
}
