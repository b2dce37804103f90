//! Argument parsing, dispatch, and the offline commands inspect, verify
//! and lock. The top of the binary: the other modules never import it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use airlock_cli::source::block_on;
use airlock_core::archive::Archive;
use airlock_core::imageset::Problem;
use airlock_core::inspect;
use airlock_core::verify;
use clap::{Parser, Subcommand};

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::output::{self, emit};
use crate::plan::PlanArgs;
use crate::pull::PullArgs;
use crate::tarball::Source;

#[derive(Parser)]
#[command(
    name = "airlock",
    version,
    about = "Move container images and Carvel imgpkg bundles into air-gapped OCI registries",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what an imgpkg tarball holds: bundles, images, indexes, layers, bundle files
    Inspect {
        /// The tarball (from `imgpkg copy … --to-tar`)
        tar: PathBuf,
        /// Print the tree as JSON
        #[arg(long)]
        json: bool,
        /// Print bytes read and read calls to stderr
        #[arg(long)]
        stats: bool,
    },
    /// Check every blob, manifest, config and bundle rule of a tarball
    Verify {
        tar: PathBuf,
        /// Hashing threads (default: all cores)
        #[arg(long)]
        threads: Option<usize>,
        /// Print bytes read, read calls and throughput to stderr
        #[arg(long)]
        stats: bool,
        /// Bytes per read when hashing (default 256 KiB: fits the CPU cache)
        #[arg(long = "chunk-size", hide = true, default_value_t = VERIFY_CHUNK)]
        chunk_size: usize,
    },
    /// Preview where every image of a tarball lands in a repository
    Plan(PlanArgs),
    /// Copy a bundle, image, lock file or tarball into a repository or a tarball (imgpkg's flags)
    Copy(Box<CopyArgs>),
    /// Download a bundle or image into a directory (imgpkg's flags)
    Pull(Box<PullArgs>),
    /// Record what destination repositories hold, for a thin export (`copy --skip-blobs`)
    Receipt(Box<crate::receipt::ReceiptArgs>),
    /// ImagesLock / BundleLock files
    Lock {
        #[command(subcommand)]
        command: LockCommand,
    },
}

#[derive(Subcommand)]
enum LockCommand {
    /// Validate an ImagesLock or BundleLock file as imgpkg does
    Validate { file: PathBuf },
}

pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { tar, json, stats } => inspect_cmd(&tar, json, stats),
        Command::Verify {
            tar,
            threads,
            stats,
            chunk_size,
        } => verify_cmd(&tar, threads, stats, chunk_size),
        Command::Plan(args) => crate::plan::run(&args),
        Command::Copy(args) => crate::copy::run(&args),
        Command::Pull(args) => crate::pull::run(&args),
        Command::Receipt(args) => crate::receipt::run(&args),
        Command::Lock {
            command: LockCommand::Validate { file },
        } => lock_validate(&file),
    };
    match result {
        Ok(code) => code,
        Err(e) => crate::error::report(&e),
    }
}

/// Hashing reads: small enough to stay in the CPU cache between the copy
/// from the page cache and the hash.
const VERIFY_CHUNK: usize = 256 << 10;

/// What opening a tar may read (see [`Archive::read_budget`]).
fn open_budget(archive: &Archive) -> u64 {
    archive.read_budget()
}

fn bundle_layer_bytes(archive: &Archive) -> u64 {
    archive
        .set
        .bundles
        .values()
        .map(|b| archive.set.nodes[b.node].layers_size())
        .sum()
}

/// One line on stderr, `key=value` pairs, for scripts.
fn print_stats(src: &Source, archive: &Archive, elapsed: std::time::Duration, extra: &str) {
    eprintln!(
        "airlock stats: bytes_read={} read_calls={} tar_entries={} manifest_json_bytes={} bundle_layer_bytes={} small_entry_bytes={} open_budget={} elapsed_ms={:.1}{extra}",
        src.bytes_read(),
        src.calls(),
        archive.entries.len(),
        archive.manifest_json.len(),
        bundle_layer_bytes(archive),
        archive.small_entry_bytes(),
        open_budget(archive),
        elapsed.as_secs_f64() * 1000.0,
    );
}

fn inspect_cmd(path: &Path, json: bool, stats: bool) -> Result<i32, CliError> {
    let start = std::time::Instant::now();
    let (src, archive) = match crate::image_archive::open(path)? {
        crate::image_archive::Opened::Image(_, a) => {
            return emit(&crate::image_archive::inspect_text(path, &a, json)?)
        }
        crate::image_archive::Opened::Imgpkg(src, a) => (src, *a),
    };
    let omitted = crate::thin::omitted_of(&src, &archive, path)?;
    let tree = inspect::tree(&archive.set);
    if stats {
        print_stats(&src, &archive, start.elapsed(), "");
    }
    let mut out = String::new();
    if json {
        let mut v = serde_json::to_value(&tree)?;
        if let (Some(o), Some(map)) = (&omitted, v.as_object_mut()) {
            map.insert("omitted".into(), serde_json::to_value(o)?);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(
            out,
            "{}: imgpkg tar, {}, {} tar entries, {} blobs ({})",
            path.display(),
            inspect::human_size(archive.size),
            archive.entries.len(),
            tree.blob_count,
            inspect::human_size(tree.blob_bytes)
        )?;
        write!(out, "{}", tree.render_text())?;
        if let Some(o) = &omitted {
            write!(out, "{}", airlock_core::thin::inspect_text(o))?;
        }
        for p in &tree.problems {
            writeln!(out, "problem: {p}")?;
        }
    }
    emit(&out)
}

fn verify_cmd(
    path: &Path,
    threads: Option<usize>,
    stats: bool,
    chunk: usize,
) -> Result<i32, CliError> {
    let start = std::time::Instant::now();
    let (src, archive) = match crate::image_archive::open(path)? {
        crate::image_archive::Opened::Image(src, a) => {
            return Ok(crate::image_archive::verify(path, &src, &a))
        }
        crate::image_archive::Opened::Imgpkg(src, a) => (src, *a),
    };
    let omitted = crate::thin::omitted_of(&src, &archive, path)?;
    let opened = (src.bytes_read(), src.calls());
    let mut problems: Vec<Problem> = verify::structural(&archive);
    if let Some(o) = &omitted {
        problems = airlock_core::thin::filter_problems(&archive, o, problems);
    }
    let checks = verify::blob_checks(&archive);
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let chunk = chunk.max(4096);
    let next = AtomicUsize::new(0);
    let hashed = AtomicU64::new(0);
    let found = std::sync::Mutex::new(Vec::new());
    // Largest blobs first, so the threads finish together.
    let mut order: Vec<usize> = (0..checks.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(checks[i].size));
    let hash_start = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.min(checks.len().max(1)) {
            s.spawn(|| {
                // One buffer per worker, reused for every read.
                let mut buf = vec![0u8; chunk];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&ci) = order.get(i) else { break };
                    let p = block_on(verify::check_blob_with_buffer(
                        &src,
                        &checks[ci],
                        &mut buf,
                        &mut |n| {
                            hashed.fetch_add(n, Ordering::Relaxed);
                        },
                    ));
                    if let Some(p) = p {
                        found.lock().unwrap().push(p);
                    }
                }
            });
        }
    });
    let hash_time = hash_start.elapsed();
    problems.extend(found.into_inner().unwrap());
    if stats {
        let h = hashed.load(Ordering::Relaxed);
        print_stats(
            &src,
            &archive,
            start.elapsed(),
            &format!(
                " open_bytes_read={} open_read_calls={} hashed_bytes={h} hash_ms={:.1} hash_mib_s={:.0} threads={threads} chunk={chunk}",
                opened.0,
                opened.1,
                hash_time.as_secs_f64() * 1000.0,
                h as f64 / (1 << 20) as f64 / hash_time.as_secs_f64().max(1e-9),
            ),
        );
    }
    if problems.is_empty() {
        println!(
            "{}: all {} blobs verified ({}), {} manifests and configs match their digests",
            path.display(),
            checks.len(),
            inspect::human_size(hashed.load(Ordering::Relaxed)),
            archive.set.nodes.len()
        );
        if let Some(o) = &omitted {
            println!(
                "{}",
                airlock_core::thin::verify_note(&path.display().to_string(), o)
            );
        }
        Ok(0)
    } else {
        Ok(output::report_problems(path, &problems))
    }
}

fn lock_validate(path: &Path) -> Result<i32, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::ReadPath {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.display().to_string();
    match airlock_core::lock::parse_lock_file(&bytes, &name)? {
        airlock_core::lock::LockFile::Bundle(b) => {
            println!("{name}: valid BundleLock ({})", b.image);
        }
        airlock_core::lock::LockFile::Images(l) => {
            println!("{name}: valid ImagesLock ({} images)", l.images.len());
        }
    }
    Ok(0)
}
