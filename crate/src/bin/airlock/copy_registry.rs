//! `airlock copy` from a registry (`-b`, `-i`, `--lock`) and to a tarball
//! (`--to-tar`).

use crate::cli::Failure;
use crate::copy::CopyArgs;

pub fn run(_args: &CopyArgs) -> Result<i32, Failure> {
    Err(Failure(
        "copying from a registry (-b, -i, --lock) or to a tarball (--to-tar) is not available in this build yet; use --tar with --to-repo".into(),
    ))
}
