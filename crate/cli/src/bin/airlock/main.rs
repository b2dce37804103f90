//! `airlock`: the native command line, with imgpkg's vocabulary.
//!
//! Errors print `airlock: Error: <message>` on stderr and exit 1, like
//! imgpkg's `imgpkg: Error:`.
//!
//! Imports point one way: `cli` (parsing, dispatch, inspect/verify/lock)
//! uses the commands (`plan`, `copy` → `copy_registry` → `push`, `pull`),
//! which use the shared pieces (`copy_args`, `flags`, `tarball`, `output`,
//! `progress`, `error`, `thin`, `archive_source`, `docker_layers`); no module imports `cli`. `receipt` is a
//! command of its own.

mod archive_source;
mod cli;
mod copy;
mod copy_args;
mod copy_registry;
mod derived;
mod docker_layers;
mod error;
mod flags;
mod image_archive;
mod output;
mod parallel;
mod plan;
mod progress;
mod pull;
mod pull_files;
mod push;
mod receipt;
mod tarball;
mod thin;

fn main() {
    std::process::exit(cli::run());
}
