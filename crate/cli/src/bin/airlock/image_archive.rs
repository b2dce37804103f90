//! OCI layouts (`oci-archive`) and `docker save` tars on the command line:
//! telling them from imgpkg tars, `inspect`, and `copy --tar … --to-repo`
//! / `--to-repo-prefix`.

use std::fmt::Write as _;
use std::path::Path;

use airlock_cli::source::block_on;
use airlock_core::formats::destination::{self, Destination, Relocation};
use airlock_core::formats::ImageArchive;
use airlock_core::imageset::Problem;
use airlock_core::inspect;
use airlock_core::reference::Repository;
use airlock_core::source::ByteSource;
use airlock_core::verify;

use crate::copy_args::CopyArgs;
use crate::docker_layers;
use crate::error::CliError;
use crate::push::push_plans;

pub use crate::archive_source::{open, ArchiveSource, Opened};

/// `airlock inspect` of an OCI layout or docker-archive.
pub fn inspect_text(path: &Path, archive: &ImageArchive, json: bool) -> Result<String, CliError> {
    let tree = inspect::tree(&archive.set);
    let mut out = String::new();
    if json {
        let v = serde_json::json!({ "format": archive.format, "images": archive.names(), "tree": tree });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(out);
    }
    writeln!(
        out,
        "{}: {}, {}, {} tar entries, {} blobs ({})",
        path.display(),
        archive.format.as_str(),
        inspect::human_size(archive.size),
        archive.entries.len(),
        tree.blob_count,
        inspect::human_size(tree.blob_bytes)
    )?;
    for i in &archive.images {
        writeln!(
            out,
            "name {} -> {}",
            i.label(),
            archive.set.nodes[i.node].digest
        )?;
    }
    write!(out, "{}", tree.render_text())?;
    Ok(out)
}

/// Hashes every layer kept as a tar range (sha256 and size; a docker-archive
/// layer against its diff ID), on all cores.
pub fn verify_blobs<S: ByteSource + Sync + ?Sized>(
    src: &S,
    archive: &ImageArchive,
) -> Vec<Problem> {
    crate::parallel::each_check(&archive.blob_checks, |c, buf| {
        if c.size != c.expected_size {
            return Some(Problem::new(
                &c.name,
                format!("{} bytes, the manifest says {}", c.size, c.expected_size),
            ));
        }
        block_on(verify::check_blob_with_buffer(src, c, buf, &mut |_| {}))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `airlock copy --tar X --to-repo R | --to-repo-prefix P` for an OCI layout
/// or docker-archive.
pub fn copy(
    args: &CopyArgs,
    tar: &Path,
    src: &ArchiveSource,
    archive: &ImageArchive,
) -> Result<i32, CliError> {
    let dest = match (&args.to_repo, &args.to_repo_prefix) {
        (Some(r), None) => Destination::Repository(Repository::parse(r)?),
        (None, Some(p)) => Destination::Prefix(p.clone()),
        _ => {
            return Err(CliError::Usage(
                "Expected either --to-repo or --to-repo-prefix",
            ))
        }
    };
    // Destination errors before any layer is read.
    destination::map(archive, &dest)?;
    // Every blob hashed before any request: a bad archive pushes nothing
    // (with --docker-layers gzip, the same pass compresses the layers).
    let archive = &docker_layers::prepare(args.docker_layers, tar, src, archive)?;
    let relocation = Relocation::new(archive, &dest)?;
    print_mappings(archive, &relocation);
    let transport = src.attach(args.registry.transport(args.concurrency + 2)?, tar)?;
    push_plans(args, &relocation.plans, &transport)?;
    eprintln!("Succeeded");
    Ok(0)
}

fn print_mappings(archive: &ImageArchive, relocation: &Relocation) {
    eprintln!(
        "copy | {} with {} image(s):",
        archive.format.as_str(),
        relocation.mappings.len()
    );
    for m in &relocation.mappings {
        eprintln!("copy | {}", m.line());
    }
}

/// `airlock verify` of an OCI layout or docker-archive: opening checked every
/// manifest and config against its digest; here every layer is hashed.
pub fn verify<S: ByteSource + Sync + ?Sized>(path: &Path, src: &S, archive: &ImageArchive) -> i32 {
    let problems = verify_blobs(src, archive);
    if problems.is_empty() {
        println!(
            "{}: {}: all {} blobs verified ({}), {} manifests and configs match their digests",
            path.display(),
            archive.format.as_str(),
            archive.blob_checks.len(),
            inspect::human_size(archive.blob_checks.iter().map(|c| c.size).sum()),
            archive.set.nodes.len()
        );
        return 0;
    }
    crate::output::report_problems(path, &problems)
}

/// `airlock plan --tar X --to-repo R` for an OCI layout or docker-archive:
/// every mapping, then what `--lock-output` would write.
pub fn plan_text(archive: &ImageArchive, repo: &str, json: bool) -> Result<String, CliError> {
    let dest = Destination::Repository(Repository::parse(repo)?);
    let relocation = Relocation::new(archive, &dest)?;
    let mappings = &relocation.mappings;
    let lock = relocation.lock();
    let mut out = String::new();
    if json {
        let v = serde_json::json!({
            "format": archive.format,
            "images": mappings.iter().map(|m| serde_json::json!({
                "source": m.source,
                "destination": m.destination(),
                "digest": m.digest.to_string(),
            })).collect::<Vec<_>>(),
            "lock": lock,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(out);
    }
    writeln!(
        out,
        "{}: {} image(s)",
        archive.format.as_str(),
        mappings.len()
    )?;
    for m in mappings {
        writeln!(out, "{}", m.line())?;
    }
    if let Some(lock) = lock {
        writeln!(out, "\n--lock-output would write:\n{lock}")?;
    }
    Ok(out)
}
