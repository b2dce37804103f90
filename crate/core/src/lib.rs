//! Airlock core: read, verify, plan and copy Carvel imgpkg bundles and images
//! into OCI registries, exactly as `imgpkg` 0.43.1 would.
//!
//! Layers, one way only:
//!
//! ```text
//! formats (digest, reference, manifest, lock, tar, imgpkg tar)
//!    -> plan (pure relocation planner)
//!    -> protocol (registry copy as a sans-IO state machine)
//!    -> transports at the edge (native HTTP, browser fetch)
//! ```
//!
//! Nothing in the format, plan or protocol layers performs IO or reads a clock.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod archive;
pub mod bundle_layer;
pub mod digest;
pub mod discover;
pub mod export;
pub mod formats;
pub mod go;
pub mod imagebuild;
pub mod imageset;
pub mod imgpkg_tar;
pub mod inspect;
pub mod kbld;
pub mod lock;
pub mod manifest;
pub mod plan;
pub mod planner;
pub mod receipt;
pub mod reference;
pub mod registry;
pub mod source;
pub mod tar;
pub mod thin;
pub mod verify;
pub mod yaml;
