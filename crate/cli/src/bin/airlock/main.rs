//! `airlock`: the native command line, with imgpkg's vocabulary.
//!
//! Errors print `airlock: Error: <message>` on stderr and exit 1, like
//! imgpkg's `imgpkg: Error:`.

mod cli;
mod copy;
mod copy_registry;
mod progress;
mod pull;
mod receipt;
mod thin;

fn main() {
    std::process::exit(cli::run());
}
