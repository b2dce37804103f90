//! `archive.copy({...})`: pushes the archive into a repository with the
//! registry copy session, driven by the browser transport. An OCI layout or
//! docker-archive whose images go to several repositories (a prefix) has
//! one plan per repository, pushed in turn as the CLI does.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::archive::{to_js, Archive, PlanArgs};
use super::endpoint::page_origin;
use super::error::{Code, WasmError};
use super::transport::{answers_without_cors, Driver, Inbox};
use airlock_core::formats::destination::Relocation;
use airlock_core::formats::docker_gzip::DockerLayers;
use airlock_core::formats::Format;
use airlock_core::plan::{BlobSource as PlanBlobSource, RelocationPlan};
use airlock_core::reference::Repository;
use airlock_core::registry::op::BlobOutcome;
use airlock_core::registry::{
    auth::StaticKeychain, Client, ClientConfig, CopyError, CopyEvent, CopyOptions, CopySession,
    CopySummary, Credentials, RegistryError,
};

/// A running copy. `job.cancel()`; `await job.done` gives the summary or
/// throws an Error with a `code`.
#[wasm_bindgen]
pub struct CopyJob {
    cancelled: Rc<Cell<bool>>,
    inbox: Rc<Inbox>,
    done: js_sys::Promise,
}

#[wasm_bindgen]
impl CopyJob {
    /// Stops the copy: requests in flight are aborted, nothing new starts.
    /// `done` then rejects with `E_CANCELLED`. Running the copy again sends
    /// only what is missing.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        self.inbox.poke();
    }

    /// Resolves to the summary, or rejects with a coded Error.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<CopySummary>")]
    pub fn done(&self) -> js_sys::Promise {
        self.done.clone()
    }
}

#[derive(Serialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct ActiveJs {
    digest: String,
    size: u64,
    done: u64,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProgressJs {
    phase: &'static str,
    bytes_total: u64,
    /// Bytes uploaded, plus the sizes of blobs found already present.
    bytes_done: u64,
    /// Bytes actually sent so far (for the rate).
    bytes_sent: u64,
    blobs_total: u64,
    blobs_done: u64,
    blobs_skipped: u64,
    blobs_mounted: u64,
    items_total: u64,
    items_done: u64,
    items_skipped: u64,
    manifests_done: u64,
    active: Vec<ActiveJs>,
}

/// The chunk size of a push with `dockerLayers: 'gzip'` when none was
/// asked for: a compressed layer up to this size is one request body.
const GZIP_CHUNK: u64 = 16 << 20;

/// Adds the items, blobs and bytes of `plans` to the totals of `progress`.
fn count(plans: &[RelocationPlan], progress: &mut ProgressJs) {
    for plan in plans {
        progress.items_total += (plan.items.len() + plan.locations.len()) as u64;
        let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
        for b in plan.unique_blobs() {
            if !matches!(b.source, PlanBlobSource::Skip) {
                sizes.insert(b.digest.to_string(), b.size);
            }
        }
        progress.blobs_total += sizes.len() as u64;
        progress.bytes_total += sizes.values().sum::<u64>();
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJs {
    repository: String,
    /// Every repository pushed to, in order.
    repositories: Vec<String>,
    /// A thin tar's check: the line `airlock copy --tar` prints.
    thin_check: Option<String>,
    root_reference: Option<String>,
    blobs_uploaded: u64,
    bytes_uploaded: u64,
    blobs_skipped: u64,
    blobs_mounted: u64,
    manifests_put: u64,
    manifests_skipped: u64,
    tags_put: u64,
    tags_skipped: u64,
    items_pushed: u64,
    requests: u64,
    retries: u64,
    /// Blobs sent in `PATCH` chunks, and why (`uploads: …`), or null.
    upload_note: Option<String>,
    upload_resumes: u64,
    /// Requests in flight on average over the push, and at most.
    mean_in_flight: f64,
    max_in_flight: u32,
}

/// `options[key]` when it is a number.
pub(crate) fn number_opt(options: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(options, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
}

pub(crate) fn string_opt(options: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(options, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|s| !s.is_empty())
}

/// The push's client: Basic credentials (also used for the Docker token
/// flow) for the destination's registry only.
pub(crate) fn push_client(repo: &Repository, username: Option<String>, password: String) -> Client {
    let mut keychain = StaticKeychain::new();
    if let Some(u) = username {
        keychain = keychain.with(
            repo.registry().as_str().to_string(),
            Credentials::Basic {
                username: u,
                password,
            },
        );
    }
    Client::new(ClientConfig::default(), Box::new(keychain))
}

#[wasm_bindgen]
impl Archive {
    /// Starts pushing: `copy({repository, username?, password?,
    /// repoBasedTags?, includeNonDistributableLayers?, concurrency? (6),
    /// uploadChunkSize? (bytes; 0: one request per blob, chunks after a
    /// 413), onProgress?})` → `CopyJob`. Throws `E_ARGUMENT` at once for bad
    /// options; everything else arrives through `job.done`.
    pub fn copy(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CopyOptions")] options: JsValue,
    ) -> Result<CopyJob, JsValue> {
        let args = PlanArgs::from_js(options.clone())?;
        // `dockerLayers: 'gzip'` before `compressLayers()`: the options are
        // checked now, the layers compressed first thing in the job.
        let compress = match &self.core {
            airlock_core::formats::AnyArchive::Image(a)
                if args.layers()? == DockerLayers::Gzip
                    && a.format == Format::DockerArchive
                    && self.gzipped.borrow().is_none() =>
            {
                Some((
                    self.source.clone(),
                    a.clone(),
                    Archive::destination(&args)?,
                    self.gzipped.clone(),
                ))
            }
            _ => None,
        };
        let planned = match compress {
            Some(_) => self.plan_outputs(&PlanArgs {
                docker_layers: None,
                ..args.clone()
            })?,
            None => self.plan_outputs(&args)?,
        };
        let plans: Vec<RelocationPlan> = planned.plans.into_iter().map(|o| o.plan).collect();
        let repository = match &planned.relocation {
            Some(_) => args.repository.trim().to_string(),
            None => plans[0].repository.name(),
        };
        let username = string_opt(&options, "username");
        let password = string_opt(&options, "password").unwrap_or_default();
        let concurrency = number_opt(&options, "concurrency")
            .map(|n| n.clamp(1.0, 32.0) as usize)
            .unwrap_or(6);
        let fetch_blobs = string_opt(&options, "uploadWith").as_deref() == Some("fetch");
        let response_timeout_ms = number_opt(&options, "responseHeaderTimeoutMs")
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n.min(f64::from(u32::MAX)) as u32)
            .unwrap_or(super::transport::RESPONSE_TIMEOUT_MS);
        let chunk_size = number_opt(&options, "uploadChunkSize")
            .filter(|n| n.is_finite() && *n >= 1.0)
            .map(|n| n as u64);
        let on_progress = js_sys::Reflect::get(&options, &"onProgress".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());

        // One client per plan (as the CLI makes), all with the same login.
        let client_for = move |plan: &RelocationPlan| {
            push_client(&plan.repository, username.clone(), password.clone())
        };
        // A thin tar: checked first, then planned again with its omitted
        // layers pointed at where the check found them.
        let thin = match (&self.omitted, &self.core) {
            (Some(o), airlock_core::formats::AnyArchive::Imgpkg(a)) => {
                Some((o.clone(), a.set.clone()))
            }
            _ => None,
        };
        let tar_name = self.name.clone();
        let plan_args = args.clone();

        let mut progress = ProgressJs {
            phase: "checking",
            ..Default::default()
        };
        count(&plans, &mut progress);
        let repositories: Vec<String> = plans.iter().map(|p| p.repository.name()).collect();
        let root_reference = plans[0]
            .tags
            .first()
            .map(|t| plans[0].repository.tagged(&t.tag).name());
        let base = super::endpoint::resolve(&repositories[0], &page_origin())
            .map(|e| e.base)
            .unwrap_or_default();
        let gzip = args.layers()? == DockerLayers::Gzip;
        let copy_options = CopyOptions {
            concurrency,
            // Compressed layers are built in memory, so a big one goes in
            // chunks (one chunk in memory at a time).
            chunk_size: match chunk_size {
                None if gzip => Some(GZIP_CHUNK),
                c => c,
            },
            mount: false,
            ..CopyOptions::default()
        };
        let cancelled = Rc::new(Cell::new(false));
        let inbox = Rc::new(Inbox::default());
        let inbox_done = inbox.clone();
        let cancelled_done = cancelled.clone();
        let driver = Driver {
            source: Some(self.source.clone()),
            page_origin: page_origin(),
            inbox: inbox.clone(),
            cancelled: cancelled.clone(),
            fetch_blobs,
            response_timeout_ms,
        };
        let done = wasm_bindgen_futures::future_to_promise(async move {
            let active: RefCell<BTreeMap<String, ActiveJs>> = RefCell::new(BTreeMap::new());
            let mut last_emit = 0.0;
            let mut total = CopySummary::default();
            let mut failure = None;
            let mut plans = plans;
            let mut copy_options = copy_options;
            let mut present = Vec::new();
            let mut thin_check = None;
            if let Some((source, archive, dest, cell)) = compress {
                let total: u64 = archive.blob_checks.iter().map(|c| c.size).sum();
                let mut shown = ProgressJs {
                    phase: "compressing",
                    bytes_total: total,
                    ..Default::default()
                };
                let mut last = 0.0;
                let gz = super::archive::gzip_archive(&source, &archive, &mut |n| {
                    shown.bytes_done += n;
                    shown.bytes_sent = shown.bytes_done;
                    let now = js_sys::Date::now();
                    if now - last > 50.0 || shown.bytes_done == total {
                        last = now;
                        if let (Some(f), Ok(v)) = (&on_progress, to_js(&shown)) {
                            let _ = f.call1(&JsValue::NULL, &v);
                        }
                    }
                })
                .await?;
                let relocation = Relocation::new(&gz, &dest)
                    .map_err(|e| WasmError::new(Code::Format, e.to_string()))?;
                *cell.borrow_mut() = Some(gz);
                plans = relocation.plans.into_iter().map(|o| o.plan).collect();
                progress = ProgressJs {
                    phase: "checking",
                    ..Default::default()
                };
                count(&plans, &mut progress);
            }
            if let Some((omitted, mut set)) = thin {
                if let (Some(f), Ok(v)) = (
                    &on_progress,
                    to_js(&ProgressJs {
                        phase: "thin-check",
                        ..Default::default()
                    }),
                ) {
                    let _ = f.call1(&JsValue::NULL, &v);
                }
                let repo = plans[0].repository.clone();
                let (result, _) =
                    super::thin::check(&driver, client_for(&plans[0]), &tar_name, &omitted, &repo)
                        .await;
                let outcome = match result {
                    Ok(o) => o,
                    // Cancelled during the check: its requests were aborted.
                    Err(_) if cancelled_done.get() => {
                        return Err(WasmError::new(Code::Cancelled, "push cancelled").into())
                    }
                    Err(e) => {
                        return Err(super::thin::check_error(
                            e,
                            &base,
                            inbox_done.send_failures.get() > 0,
                        )
                        .await)
                    }
                };
                airlock_core::thin::resolve(&mut set, &outcome.found);
                plans = vec![super::archive::plan_imgpkg(&set, &plan_args)?.plan];
                present = outcome.present();
                thin_check = Some(outcome.to_string());
                // Only a thin tar's layers come from a repository (mounted
                // from the one its receipt names).
                copy_options.mount = true;
            }
            for plan in plans {
                let mut session = CopySession::new(client_for(&plan), plan, copy_options.clone())
                    .with_present_blobs(present.clone());
                driver
                    .run(
                        &mut session,
                        |s: &mut CopySession| {
                            let mut changed = false;
                            while let Some(ev) = s.poll_event() {
                                changed = true;
                                apply(&mut progress, &mut active.borrow_mut(), ev);
                            }
                            let now = js_sys::Date::now();
                            if changed && now - last_emit > 50.0 {
                                last_emit = now;
                                progress.active = active.borrow().values().cloned().collect();
                                if let (Some(f), Ok(v)) = (&on_progress, to_js(&progress)) {
                                    let _ = f.call1(&JsValue::NULL, &v);
                                }
                            }
                        },
                        |s: &mut CopySession| s.cancel(),
                    )
                    .await;
                match session.result().unwrap_or(Err(CopyError::Cancelled)) {
                    Ok(sum) => total.absorb(&sum),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            match failure {
                None => {
                    let sum = total;
                    progress.phase = "done";
                    progress.active.clear();
                    if let (Some(f), Ok(v)) = (&on_progress, to_js(&progress)) {
                        let _ = f.call1(&JsValue::NULL, &v);
                    }
                    Ok(to_js(&SummaryJs {
                        repository,
                        repositories,
                        thin_check,
                        root_reference,
                        blobs_uploaded: sum.blobs_uploaded,
                        bytes_uploaded: sum.bytes_uploaded,
                        blobs_skipped: sum.blobs_present,
                        blobs_mounted: sum.blobs_mounted,
                        manifests_put: sum.manifests_pushed,
                        manifests_skipped: sum.items_skipped,
                        tags_put: sum.tags_pushed,
                        tags_skipped: sum.tags_skipped,
                        items_pushed: sum.items_pushed,
                        requests: sum.requests,
                        retries: sum.retries,
                        upload_note: sum.upload_note(),
                        upload_resumes: sum.upload_resumes,
                        mean_in_flight: (inbox_done.flight().mean() * 100.0).round() / 100.0,
                        max_in_flight: inbox_done.flight().max,
                    })?)
                }
                Some(e) => Err(classify(e, &base, inbox_done.send_failures.get() > 0)
                    .await
                    .into()),
            }
        });
        Ok(CopyJob {
            cancelled,
            inbox,
            done,
        })
    }
}

fn apply(p: &mut ProgressJs, active: &mut BTreeMap<String, ActiveJs>, ev: CopyEvent) {
    match ev {
        CopyEvent::StepStarted(step) => {
            p.phase = match step {
                airlock_core::registry::copy::CopyStep::Upload => "uploading",
                airlock_core::registry::copy::CopyStep::Verify => "verifying",
                airlock_core::registry::copy::CopyStep::Locations => "locations",
                airlock_core::registry::copy::CopyStep::Tags => "tags",
                airlock_core::registry::copy::CopyStep::Done => "done",
            }
        }
        CopyEvent::ItemSkipped { .. } => {
            p.items_done += 1;
            p.items_skipped += 1;
        }
        CopyEvent::ItemPushed { .. } => p.items_done += 1,
        CopyEvent::BlobProgress {
            digest,
            bytes_sent,
            size,
        } => {
            let a = active.entry(digest.to_string()).or_default();
            let delta = bytes_sent.saturating_sub(a.done);
            a.digest = digest.to_string();
            a.size = size;
            a.done = bytes_sent.min(size);
            p.bytes_sent += delta;
            p.bytes_done += delta;
        }
        CopyEvent::BlobDone {
            digest,
            size,
            outcome,
        } => {
            let sent = active
                .remove(&digest.to_string())
                .map(|a| a.done)
                .unwrap_or(0);
            p.blobs_done += 1;
            match outcome {
                BlobOutcome::Present => {
                    p.blobs_skipped += 1;
                    p.bytes_done += size;
                }
                BlobOutcome::Mounted => {
                    p.blobs_mounted += 1;
                    p.bytes_done += size;
                }
                BlobOutcome::Uploaded { bytes, .. } => {
                    let rest = bytes.saturating_sub(sent);
                    p.bytes_sent += rest;
                    p.bytes_done += rest;
                }
            }
        }
        CopyEvent::ManifestPushed { .. } => p.manifests_done += 1,
        _ => {}
    }
}

/// Maps a copy failure to a coded error. A request the browser could not
/// send is either a network failure or CORS: an opaque `no-cors` probe of
/// the registry tells them apart (it succeeds when the server answers).
pub(crate) async fn classify(e: CopyError, base: &str, send_failed: bool) -> WasmError {
    let message = e.to_string();
    match &e {
        CopyError::Cancelled => WasmError::new(Code::Cancelled, "push cancelled"),
        CopyError::Registry {
            source: RegistryError::Cancelled,
            ..
        } => WasmError::new(Code::Cancelled, "push cancelled"),
        // A request that got no HTTP answer (possibly wrapped by the ping's
        // scheme fallback) while the browser refused to send something.
        CopyError::Registry {
            source: RegistryError::Transport { .. } | RegistryError::PingFailed { .. },
            ..
        } if send_failed => {
            if !base.is_empty() && answers_without_cors(&format!("{base}/v2/")).await {
                WasmError::new(
                    Code::Cors,
                    format!("{message} — the registry answered, but the browser blocked the response (CORS)"),
                )
            } else {
                WasmError::new(Code::Network, message)
            }
        }
        CopyError::Registry { source, .. } if source.is_denied() => {
            WasmError::new(Code::Auth, message)
        }
        _ => WasmError::new(Code::Registry, message),
    }
}
