//! Synthetic imgpkg tarballs, byte-for-byte as `imgpkg copy -b|-i SRC
//! --to-tar` writes them, for tests, benchmarks and the browser e2e tests.
//!
//! The model mirrors what imgpkg sees:
//!
//! 1. build artifacts: [`image`] (OCI or Docker, layers from a seed),
//!    [`index`] (multi-arch, platforms from the children's configs),
//!    [`bundle`] (exactly what `imgpkg push -b` builds, through
//!    [`imagebuild::bundle_image`](airlock_core::imagebuild::bundle_image));
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
//! Pure: no IO except [`SynthTar::write_to`] (module `file`, native only).
//! Deterministic: the same options give the same bytes (seeded by
//! [`crate::random`]).
//!
//! Modules, one job each: `blob` (where bytes come from), `layers`,
//! `images`, `bundles`, `registry` (the source registry and the export),
//! `tar_writer` (the tar model and its writer), `file`, `package_repo`,
//! `scenarios`, `bad` (malformed tars) and [`plans`] (hand-made relocation
//! plans).

mod bad;
mod blob;
mod bundles;
#[cfg(not(target_arch = "wasm32"))]
mod file;
mod images;
mod layers;
mod package_repo;
pub mod plans;
mod registry;
mod scenarios;
mod tar_writer;
pub mod versions;

pub use bad::{alias_bomb_yml, bad_archive, BAD_ARCHIVES};
pub use blob::{zeros_digest, BlobData};
pub use bundles::{bundle, bundle_from_files, file, images_yml, BundleContent, LockEntry};
pub use images::{
    image, index, multi_arch_index, replace_layers, Artifact, Format, ImageSpec, SynthImage,
    SynthIndex,
};
pub use layers::{compressible_bytes, LayerSpec, SynthLayer};
pub use package_repo::{
    large_package_repository, package_repository, PackageBundle, PackageRepo, PackageRepoOptions,
};
pub use registry::SourceRegistry;
pub use scenarios::{big_bundle, plain_image, simple_bundle, sparse_bundle, BigOptions};
pub use tar_writer::{ExportOptions, SynthTar, TarBlob, TarItem, TarVersion};

/// The registry host the scenarios use for their sources.
pub const SOURCE_REGISTRY: &str = "registry.example.com";

/// The annotation kbld writes on every `images.yml` entry.
pub const KBLD_ID: &str = "kbld.carvel.dev/id";
