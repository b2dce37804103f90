//! Pushing a plan to a repository with progress, then writing what
//! `--lock-output` asks for.

use std::io::IsTerminal;
use std::time::Instant;

use airlock_cli::transport::{run_copy, NativeTransport};
use airlock_core::planner::PlanOutput;
use std::collections::BTreeMap;

use airlock_core::digest::Digest;
use airlock_core::reference::Repository;
use airlock_core::registry::upload_chunks::{ChunkReason, UploadMode};
use airlock_core::registry::{CopyOptions, CopySession};

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::output::{print_warnings, write_lock};
use crate::progress::Progress;

/// What one push of a run tells the next ones (`--to-repo-prefix` pushes
/// several plans to one registry): where each blob now is, so a later
/// repository mounts it instead of uploading it again, and the chunk size a
/// 413/416 fallback found.
#[derive(Debug, Default)]
pub struct PushRun {
    known: BTreeMap<Digest, Repository>,
    chunk_size: Option<u64>,
}

/// Pushes a plan with progress, then writes the lock output.
pub fn push_plan(
    args: &CopyArgs,
    out: &PlanOutput,
    transport: &NativeTransport,
    run: &mut PushRun,
) -> Result<(), CliError> {
    let started = Instant::now();
    // Refuse before pushing anything when the asked-for lock cannot be written.
    if let (Some(_), Err(e)) = (&args.lock_output, &out.lock_output) {
        return Err(CliError::LockOutput(e.clone()));
    }
    let client = args.registry.client()?;
    let mut session = CopySession::new(
        client,
        out.plan.clone(),
        CopyOptions {
            concurrency: args.concurrency,
            chunk_size: run
                .chunk_size
                .or(Some(args.upload_chunk_size).filter(|c| *c > 0)),
            mount_known: run.known.clone(),
            ..CopyOptions::default()
        },
    );
    let total_bytes: u64 = out
        .plan
        .unique_blobs()
        .iter()
        .filter(|b| !matches!(b.source, airlock_core::plan::BlobSource::Skip))
        .map(|b| b.size)
        .sum();
    let items = out.plan.items.len();
    eprintln!("copy | importing {items} images...");
    let mut progress = Progress::new(std::io::stderr().is_terminal(), total_bytes);
    let result = run_copy(transport, &mut session, &mut |e| progress.event(&e));
    progress.finish();
    let summary = result?;
    for b in out.plan.unique_blobs() {
        if !matches!(b.source, airlock_core::plan::BlobSource::Skip) {
            run.known
                .entry(b.digest)
                .or_insert_with(|| out.plan.repository.clone());
        }
    }
    if let UploadMode::Chunked { chunk_size, reason } = summary.upload_mode {
        if reason != ChunkReason::Requested {
            run.chunk_size = Some(chunk_size);
        }
    }
    eprintln!("copy | done uploading images");
    print_warnings(out);
    if let (Some(path), Ok(lock)) = (&args.lock_output, &out.lock_output) {
        write_lock(path, lock)?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "copy | {} items pushed, {} already there; blobs: {} sent, {} present, {} mounted; {} in {:.1}s ({}/s); {} requests",
        summary.items_pushed,
        summary.items_skipped,
        summary.blobs_uploaded,
        summary.blobs_present,
        summary.blobs_mounted,
        airlock_core::inspect::human_size(summary.bytes_uploaded),
        secs,
        airlock_core::inspect::human_size((summary.bytes_uploaded as f64 / secs.max(1e-3)) as u64),
        summary.requests
    );
    if let Some(line) = summary.upload_note() {
        eprintln!("copy | {line}");
    }
    Ok(())
}
