//! OCI layouts (`oci-archive`) and `docker save` tars on the command line:
//! telling them from imgpkg tars, `inspect`, and `copy --tar … --to-repo`
//! / `--to-repo-prefix`.

use std::fmt::Write as _;
use std::path::Path;

use airlock_cli::source::{block_on, FileSource};
use airlock_core::formats::destination::{self, Destination, Mapping};
use airlock_core::formats::{self, Format, ImageArchive};
use airlock_core::imageset::Problem;
use airlock_core::inspect;
use airlock_core::reference::Repository;
use airlock_core::source::CountingSource;
use airlock_core::verify;

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::push::{push_plan, PushRun};
use crate::tarball::Source;

/// What a tar on the command line holds.
pub enum Opened {
    /// An imgpkg tar: the caller opens it with the imgpkg reader.
    Imgpkg,
    Image(Source, Box<ImageArchive>),
}

/// Tells the format of `path` and opens it unless it is an imgpkg tar.
pub fn open(path: &Path) -> Result<Opened, CliError> {
    let src = FileSource::open(path).map_err(|source| CliError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let src = CountingSource::new(src);
    let bad = |source| CliError::Format {
        path: path.display().to_string(),
        source: Box::new(source),
    };
    let (entries, format) = block_on(formats::open_index(&src)).map_err(bad)?;
    if format == Format::Imgpkg {
        return Ok(Opened::Imgpkg);
    }
    let archive = block_on(formats::open(&src, entries, format)).map_err(bad)?;
    Ok(Opened::Image(src, Box::new(archive)))
}

/// `airlock inspect` of an OCI layout or docker-archive.
pub fn inspect_text(path: &Path, archive: &ImageArchive, json: bool) -> Result<String, CliError> {
    let tree = inspect::tree(&archive.set);
    let mut out = String::new();
    if json {
        let names: Vec<_> = archive
            .images
            .iter()
            .map(|i| {
                serde_json::json!({
                    "name": i.name.as_ref().map(|n| n.name()),
                    "tag": i.tag,
                    "digest": archive.set.nodes[i.node].digest.to_string(),
                })
            })
            .collect();
        let v = serde_json::json!({ "format": archive.format, "images": names, "tree": tree });
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
        let n = &archive.set.nodes[i.node];
        let name = match (&i.name, &i.tag) {
            (Some(r), _) => r.name(),
            (None, Some(t)) => format!("(tag {t})"),
            (None, None) => "(unnamed)".to_string(),
        };
        writeln!(out, "name {name} -> {}", n.digest)?;
    }
    write!(out, "{}", tree.render_text())?;
    Ok(out)
}

/// Hashes every layer kept as a tar range (sha256 and size; a docker-archive
/// layer against its diff ID).
pub fn verify_blobs(src: &Source, archive: &ImageArchive) -> Vec<Problem> {
    let mut buf = vec![0u8; 256 << 10];
    let mut problems = Vec::new();
    for c in &archive.blob_checks {
        if c.size != c.expected_size {
            problems.push(Problem::new(
                &c.name,
                format!("{} bytes, the manifest says {}", c.size, c.expected_size),
            ));
            continue;
        }
        if let Some(p) = block_on(verify::check_blob_with_buffer(
            src.inner(),
            c,
            &mut buf,
            &mut |_| {},
        )) {
            problems.push(p);
        }
    }
    problems
}

/// `airlock copy --tar X --to-repo R | --to-repo-prefix P` for an OCI layout
/// or docker-archive.
pub fn copy(
    args: &CopyArgs,
    tar: &Path,
    src: &Source,
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
    let mappings = destination::map(archive, &dest)?;
    // Every blob hashed before any request: a bad archive pushes nothing.
    let problems = verify_blobs(src, archive);
    if !problems.is_empty() {
        return Err(CliError::UnsoundImageArchive {
            tar: tar.display().to_string(),
            format: archive.format.as_str(),
            problems,
        });
    }
    print_mappings(archive, &mappings);
    let plans = destination::plans(archive, &mappings)?;
    let transport = args
        .registry
        .transport(args.concurrency + 2)?
        .with_tar_path(tar)?;
    let mut run = PushRun::default();
    for out in &plans {
        push_plan(args, out, &transport, &mut run)?;
    }
    eprintln!("Succeeded");
    Ok(0)
}

fn print_mappings(archive: &ImageArchive, mappings: &[Mapping]) {
    eprintln!(
        "copy | {} with {} image(s):",
        archive.format.as_str(),
        mappings.len()
    );
    for m in mappings {
        eprintln!("copy | {} -> {} ({})", m.source, m.destination(), m.digest);
    }
}

/// `airlock verify` of an OCI layout or docker-archive: opening checked every
/// manifest and config against its digest; here every layer is hashed.
pub fn verify(path: &Path, src: &Source, archive: &ImageArchive) -> i32 {
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
    for p in &problems {
        println!("{p}");
    }
    eprintln!(
        "airlock: Error: {} problem(s) found in {}",
        problems.len(),
        path.display()
    );
    1
}

/// `airlock plan --tar X --to-repo R` for an OCI layout or docker-archive:
/// every mapping, then what `--lock-output` would write.
pub fn plan_text(archive: &ImageArchive, repo: &str, json: bool) -> Result<String, CliError> {
    let dest = Destination::Repository(Repository::parse(repo)?);
    let mappings = destination::map(archive, &dest)?;
    let plans = destination::plans(archive, &mappings)?;
    let lock = plans.last().and_then(|p| p.lock_output.clone().ok());
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
    for m in &mappings {
        writeln!(out, "{} -> {} ({})", m.source, m.destination(), m.digest)?;
    }
    if let Some(lock) = lock {
        writeln!(out, "\n--lock-output would write:\n{lock}")?;
    }
    Ok(out)
}
