//! `airlock copy`: imgpkg's `copy` flags and messages. A tarball source
//! is pushed from here; registry sources are in [`crate::copy_registry`].

use std::path::Path;

use airlock_core::planner;
use airlock_core::reference::Repository;
use airlock_core::verify;

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::image_archive;
use crate::push::push_plan;
use crate::tarball;

pub fn run(args: &CopyArgs) -> Result<i32, CliError> {
    args.validate()?;
    if let Some(tar) = &args.tar {
        if let image_archive::Opened::Image(src, archive) = image_archive::open(tar)? {
            return image_archive::copy(args, tar, &src, &archive);
        }
        if args.to_repo_prefix.is_some() {
            return Err(CliError::Usage(
                "Flag --to-repo-prefix is for OCI layouts and docker-archives; an imgpkg tar goes to one --to-repo",
            ));
        }
    }
    match (&args.tar, &args.to_repo) {
        (Some(tar), Some(repo)) => tar_to_repo(args, tar, repo),
        _ => crate::copy_registry::run(args),
    }
}

fn tar_to_repo(args: &CopyArgs, tar: &Path, repo: &str) -> Result<i32, CliError> {
    let repo = Repository::parse(repo)?;
    let (src, mut archive) = tarball::open(tar)?;
    let omitted = crate::thin::omitted_of(&src, &archive, tar)?;
    // Validation before any request: a tar that fails it pushes nothing.
    let mut problems = verify::structural(&archive);
    if let Some(o) = &omitted {
        problems = airlock_core::thin::filter_problems(&archive, o, problems);
    }
    if !problems.is_empty() {
        return Err(CliError::UnsoundTar {
            tar: tar.display().to_string(),
            problems,
        });
    }
    let transport = args
        .registry
        .transport(args.concurrency + 2)?
        .with_tar_path(tar)?;
    if let Some(o) = &omitted {
        // A thin tar: every omitted layer must already be in the registry.
        let found = crate::thin::check_import(&args.registry, &transport, tar, o, &repo)?;
        airlock_core::thin::resolve(&mut archive.set, &found);
    }
    let out = planner::plan(&archive.set, &repo, args.plan_options())?;
    let documents = args
        .derived
        .prepare(&archive.set, &out, &tar.display().to_string())?;
    push_plan(args, &out, &transport, &mut Default::default())?;
    documents.write()?;
    eprintln!("Succeeded");
    Ok(0)
}
