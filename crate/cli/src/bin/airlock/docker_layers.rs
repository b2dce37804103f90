//! `--docker-layers tar|gzip`: how docker-archive layers are sent, and the
//! one pass over an OCI layout's or docker-archive's layers before a push
//! (every layer hashed; with `gzip`, each docker-archive layer compressed on
//! the same read to learn its digest and size: the core's
//! [`docker_gzip`]). The pass runs on all cores ([`crate::parallel`]).

use std::collections::HashMap;
use std::path::Path;

use airlock_cli::source::block_on;
use airlock_core::digest::Digest;
use airlock_core::formats::docker_gzip::{self, GzippedLayer};
use airlock_core::formats::{Format, ImageArchive};
use airlock_core::imageset::Problem;
use airlock_core::inspect::human_size;

use crate::archive_source::ArchiveSource;
use crate::error::CliError;
use crate::image_archive::verify_blobs;
use crate::parallel::each_check;

/// How docker-archive layers are sent (`--docker-layers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DockerLayers {
    /// As the archive holds them: uncompressed tars, each at its diff ID
    #[default]
    Tar,
    /// Gzip-compressed (Go's compress/gzip at BestSpeed: the same archive always gives the same digests)
    Gzip,
}

/// The archive as it will be pushed, after every layer was hashed (a bad
/// archive is refused with every problem): unchanged for `tar`; for `gzip`,
/// a docker-archive whose manifests name the compressed layers.
pub fn prepare(
    layers: DockerLayers,
    path: &Path,
    src: &ArchiveSource,
    archive: &ImageArchive,
) -> Result<ImageArchive, CliError> {
    let unsound = |problems| CliError::UnsoundImageArchive {
        tar: path.display().to_string(),
        format: archive.format.as_str(),
        problems,
    };
    if layers == DockerLayers::Tar {
        let problems = verify_blobs(src, archive);
        if !problems.is_empty() {
            return Err(unsound(problems));
        }
        return Ok(archive.clone());
    }
    if archive.format != Format::DockerArchive {
        return Err(CliError::Usage(
            "Flag --docker-layers gzip is for docker-archive tars; an OCI layout's layers are pushed as they are",
        ));
    }
    let start = std::time::Instant::now();
    let total: u64 = archive.blob_checks.iter().map(|c| c.size).sum();
    eprintln!(
        "copy | compressing {} docker-archive layer(s) ({}) with gzip...",
        archive.blob_checks.len(),
        human_size(total)
    );
    let gzipped = gzip_layers(src, archive).map_err(unsound)?;
    let out = docker_gzip::with_gzip_layers(archive, &gzipped).map_err(|e| CliError::Format {
        path: path.display().to_string(),
        source: Box::new(e),
    })?;
    let compressed: u64 = gzipped.values().map(|g| g.size).sum();
    eprintln!(
        "copy | compressed to {} in {:.1}s",
        human_size(compressed),
        start.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// [`docker_gzip::gzip_checked`] of every layer, on all cores; every
/// problem, in archive order.
pub fn gzip_layers(
    src: &ArchiveSource,
    archive: &ImageArchive,
) -> Result<HashMap<Digest, GzippedLayer>, Vec<Problem>> {
    let results = each_check(&archive.blob_checks, |c, buf| {
        block_on(docker_gzip::gzip_checked(src, c, buf, &mut |_| {}))
    });
    docker_gzip::collect(&archive.blob_checks, results)
}
