//! `airlock`: the native command line, with imgpkg's vocabulary.
//!
//! Errors print `airlock: Error: <message>` on stderr and exit 1, like
//! imgpkg's `imgpkg: Error:`.

#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod copy;
#[cfg(not(target_arch = "wasm32"))]
mod copy_registry;
#[cfg(not(target_arch = "wasm32"))]
mod progress;
#[cfg(not(target_arch = "wasm32"))]
mod pull;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
