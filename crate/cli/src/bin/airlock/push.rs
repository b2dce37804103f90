//! Pushing a plan to a repository with progress, then writing what
//! `--lock-output` asks for.

use std::io::IsTerminal;
use std::time::Instant;

use airlock_cli::transport::{run_copy, FlightStats, NativeTransport};
use std::collections::BTreeMap;
use std::sync::Mutex;

use airlock_core::digest::Digest;
use airlock_core::planner::PlanOutput;
use airlock_core::reference::Repository;
use airlock_core::registry::upload_chunks::{ChunkReason, UploadMode};
use airlock_core::registry::{CopyOptions, CopySession, CopySummary};

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::output::{print_warnings, write_lock};
use crate::progress::Progress;

/// What one push of a run tells the pushes that start after it
/// (`--to-repo-prefix` pushes several plans to one registry): where each
/// blob now is, so a later repository mounts it instead of uploading it
/// again, and the chunk size a 413/416 fallback found.
#[derive(Debug, Default)]
pub struct PushRun {
    known: BTreeMap<Digest, Repository>,
    chunk_size: Option<u64>,
}

impl PushRun {
    /// Records what a finished push of `out` left in the registry.
    fn learn(&mut self, out: &PlanOutput, summary: &CopySummary) {
        for b in out.plan.unique_blobs() {
            if !matches!(b.source, airlock_core::plan::BlobSource::Skip) {
                self.known
                    .entry(b.digest)
                    .or_insert_with(|| out.plan.repository.clone());
            }
        }
        if let UploadMode::Chunked { chunk_size, reason } = summary.upload_mode {
            if reason != ChunkReason::Requested {
                self.chunk_size = Some(chunk_size);
            }
        }
    }
}

/// Pushes a plan with progress, then writes the lock output. `present`:
/// blobs already found in the destination (a thin import's check).
pub fn push_plan(
    args: &CopyArgs,
    out: &PlanOutput,
    transport: &NativeTransport,
    present: Vec<airlock_core::digest::Digest>,
) -> Result<(), CliError> {
    let started = Instant::now();
    // Refuse before pushing anything when the asked-for lock cannot be written.
    if let (Some(_), Err(e)) = (&args.lock_output, &out.lock_output) {
        return Err(CliError::LockOutput(e.clone()));
    }
    let summary = run_session(
        args,
        out,
        transport,
        args.concurrency,
        std::io::stderr().is_terminal(),
        present,
        &Mutex::new(PushRun::default()),
    )?;
    print_warnings(out);
    if let (Some(path), Ok(lock)) = (&args.lock_output, &out.lock_output) {
        write_lock(path, lock)?;
    }
    print_summary(&summary, started, transport.flight());
    Ok(())
}

/// Pushes several plans (an OCI layout's or docker-archive's, one per
/// destination repository) at once: up to `--concurrency` copy sessions in
/// parallel, sharing the `--concurrency` requests in flight, so that eight
/// one-image repositories push about as fast as one repository of eight
/// images (pushed in turn, each session's last upload and its manifest
/// would stall the next). The lock (the last plan's, which lists every
/// image) is written once every plan succeeded. Progress is printed as log
/// lines.
pub fn push_plans(
    args: &CopyArgs,
    plans: &[PlanOutput],
    transport: &NativeTransport,
) -> Result<(), CliError> {
    if plans.len() == 1 {
        return push_plan(args, &plans[0], transport, Vec::new());
    }
    let started = Instant::now();
    if let (Some(_), Some(Err(e))) = (&args.lock_output, plans.last().map(|p| &p.lock_output)) {
        return Err(CliError::LockOutput(e.clone()));
    }
    // Each session may use the whole budget; the transport's gate keeps the
    // total at --concurrency, so the last sessions are not left with a
    // fixed share (one request each) while the others have finished.
    let parallel = args.concurrency.min(plans.len()).max(1);
    let each = args.concurrency;
    let transport = &transport.clone().with_request_limit(args.concurrency);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    // After a failure no further plan starts.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let run = Mutex::new(PushRun::default());
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| {
                use std::sync::atomic::Ordering::Relaxed;
                while let Some(out) = plans.get(next.fetch_add(1, Relaxed)) {
                    if failed.load(Relaxed) {
                        break;
                    }
                    let r = run_session(args, out, transport, each, false, Vec::new(), &run);
                    if r.is_err() {
                        failed.store(true, Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                }
            });
        }
    });
    let mut total = CopySummary::default();
    for r in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        total.absorb(&r?);
    }
    for out in plans {
        print_warnings(out);
    }
    if let (Some(path), Some(Ok(lock))) = (&args.lock_output, plans.last().map(|p| &p.lock_output))
    {
        write_lock(path, lock)?;
    }
    print_summary(&total, started, transport.flight());
    Ok(())
}

/// One copy session of `out` with `concurrency` requests in flight.
fn run_session(
    args: &CopyArgs,
    out: &PlanOutput,
    transport: &NativeTransport,
    concurrency: usize,
    terminal: bool,
    present: Vec<airlock_core::digest::Digest>,
    run: &Mutex<PushRun>,
) -> Result<CopySummary, CliError> {
    let client = args.registry.client()?;
    let (chunk_size, mount_known) = {
        let run = run.lock().unwrap_or_else(|e| e.into_inner());
        (run.chunk_size, run.known.clone())
    };
    let mut session = CopySession::new(
        client,
        out.plan.clone(),
        CopyOptions {
            concurrency,
            chunk_size: chunk_size.or(Some(args.upload_chunk_size).filter(|c| *c > 0)),
            mount_known,
            ..CopyOptions::default()
        },
    )
    .with_present_blobs(present);
    let total_bytes: u64 = out
        .plan
        .unique_blobs()
        .iter()
        .filter(|b| !matches!(b.source, airlock_core::plan::BlobSource::Skip))
        .map(|b| b.size)
        .sum();
    let items = out.plan.items.len();
    eprintln!("copy | importing {items} images...");
    let mut progress = Progress::new(terminal, total_bytes);
    let result = run_copy(transport, &mut session, &mut |e| progress.event(&e));
    progress.finish();
    let summary = result?;
    run.lock()
        .unwrap_or_else(|e| e.into_inner())
        .learn(out, &summary);
    eprintln!("copy | done uploading images");
    if let Some(line) = summary.upload_note() {
        eprintln!("copy | {line}");
    }
    Ok(summary)
}

fn print_summary(summary: &CopySummary, started: Instant, flight: FlightStats) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "copy | {} items pushed, {} already there; blobs: {} sent, {} present, {} mounted; {} in {:.1}s ({}/s); {} requests, {:.1} in flight on average, {} at most",
        summary.items_pushed,
        summary.items_skipped,
        summary.blobs_uploaded,
        summary.blobs_present,
        summary.blobs_mounted,
        airlock_core::inspect::human_size(summary.bytes_uploaded),
        secs,
        airlock_core::inspect::human_size((summary.bytes_uploaded as f64 / secs.max(1e-3)) as u64),
        summary.requests,
        flight.mean,
        flight.max
    );
}
