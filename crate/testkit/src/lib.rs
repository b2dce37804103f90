//! Test and benchmark machinery for Airlock. A dev-dependency only: nothing
//! here ships in the core, the CLI or the wasm package.
//!
//! - [`fuzz_entry`]: the fuzz targets' entry points (shared with `crate/fuzz`)
//! - [`go_inputs`]: the inputs of the Go oracle corpus's flate/gzip cases
//! - [`random`]: the one deterministic random generator (seeded)
//! - [`synth`]: deterministic synthetic imgpkg tarballs, bad archives, plan builders
//! - [`sources`]: byte sources that read short or not at once
//! - [`scenario`]: scripted exchanges and an in-memory fake registry on a fake clock
//! - [`support`]: real Distribution registries, a token issuer and a fault proxy on 127.0.0.1
//! - [`registry_state`]: independent views of a test registry (raw walk, storage links, snapshots)

pub mod fuzz_entry;
pub mod go_inputs;
pub mod random;
#[cfg(not(target_arch = "wasm32"))]
pub mod registry_state;
pub mod scenario;
pub mod sources;
#[cfg(not(target_arch = "wasm32"))]
pub mod support;
pub mod synth;

/// The native file source and executor, for tests of the core that read files.
#[cfg(not(target_arch = "wasm32"))]
pub use airlock_cli::source::{block_on, FileSource};
