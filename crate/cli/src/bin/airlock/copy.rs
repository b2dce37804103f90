//! `airlock copy`: imgpkg's `copy` flags and messages. A tarball source
//! is pushed from here; registry sources are in [`crate::copy_registry`].

use std::path::Path;

use airlock_core::archive::Archive;
use airlock_core::planner;
use airlock_core::reference::Repository;
use airlock_core::verify;

use crate::copy_args::CopyArgs;
use crate::docker_layers::DockerLayers;
use crate::error::CliError;
use crate::image_archive;
use crate::push::push_plan;
use crate::tarball::Source;

pub fn run(args: &CopyArgs) -> Result<i32, CliError> {
    args.validate()?;
    let Some(tar) = &args.tar else {
        return crate::copy_registry::run(args);
    };
    let (src, archive) = match image_archive::open(tar)? {
        image_archive::Opened::Image(src, archive) => {
            return image_archive::copy(args, tar, &src, &archive);
        }
        image_archive::Opened::Imgpkg(src, archive) => (src, *archive),
    };
    if args.to_repo_prefix.is_some() {
        return Err(CliError::Usage(
            airlock_core::formats::destination::PREFIX_FOR_IMGPKG,
        ));
    }
    if args.docker_layers != DockerLayers::Tar {
        return Err(CliError::Usage(
            "Flag --docker-layers gzip is for docker-archive tars; an imgpkg tar's layers are pushed as they are",
        ));
    }
    match &args.to_repo {
        Some(repo) => tar_to_repo(args, tar, repo, src, archive),
        None => crate::copy_registry::run(args),
    }
}

fn tar_to_repo(
    args: &CopyArgs,
    tar: &Path,
    repo: &str,
    src: Source,
    mut archive: Archive,
) -> Result<i32, CliError> {
    let repo = Repository::parse(repo)?;
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
    let mut present = Vec::new();
    if let Some(o) = &omitted {
        // A thin tar: every omitted layer must already be in the registry.
        let found = crate::thin::check_import(&args.registry, &transport, tar, o, &repo)?;
        airlock_core::thin::resolve(&mut archive.set, &found.found);
        // Found in the destination already: the copy asks no more about them.
        present = found.present();
    }
    let out = planner::plan(&archive.set, &repo, args.plan_options())?;
    let documents = args
        .derived
        .prepare(&archive.set, &out, &tar.display().to_string())?;
    push_plan(args, &out, &transport, present)?;
    documents.write()?;
    eprintln!("Succeeded");
    Ok(0)
}
