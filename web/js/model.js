// The page's model: the opened archive (a wasm object from pkg/), verify
// (workers), the plan preview, test connection and push. No DOM.

import { explainProbe } from './connection.js';
import { codedError } from './errors.js';
import { RateMeter, shortDigest } from './format.js';
import { PushClient } from './push-client.js';
import { nestTree } from './tree.js';
import { VerifyPool } from './verify-pool.js';

// Warm-up passes over warmup.tar (more passes let the engine optimise the
// hot wasm functions before the first real open).
const WARMUPS = 3;
// Wasm memory the warm-up grows and touches (then frees) for the first open:
// a 1,000-image package repository's open needs ~14 MiB more than the
// warm-up's, and fresh memory pages cost on first touch (crate/wasm/src/memory.rs).
const RESERVE_BYTES = 16 << 20;

/** Below this many bytes per pushed item a push is bound by requests, not bytes. */
export const SMALL_ITEM_BYTES = 1 << 20;

/**
 * Requests in flight for a push (`settings.concurrency`, 0 = automatic).
 * Automatic: 16 when the registry is the page's own origin, the page came
 * over HTTP/2 or HTTP/3 (one connection carries many requests) and the
 * items are small (`bytesPerItem` under 1 MiB: a push of many small items
 * waits on requests); else 6 (a browser opens at most 6 HTTP/1.1
 * connections per server, more would only queue inside the browser; large
 * layers went faster with 6 than with 16 over HTTP/2 here).
 */
export function pushConcurrency(settings, pageOrigin, { protocol = navigationProtocol(), bytesPerItem = 0 } = {}) {
  const chosen = Number(settings.concurrency) || 0;
  if (chosen > 0) return chosen;
  if (bytesPerItem >= SMALL_ITEM_BYTES) return 6;
  const host = String(settings.repository || '').trim().split('/')[0];
  let pageHost = '';
  try {
    pageHost = new URL(pageOrigin).host;
  } catch {
    // No page origin (a test harness): the HTTP/1.1 figure.
  }
  return host && host === pageHost && /^h[23]/.test(protocol || '') ? 16 : 6;
}

/** The protocol the page itself was loaded over ('http/1.1', 'h2', 'h3'; '' if unknown). */
function navigationProtocol() {
  const nav = globalThis.performance && performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
  return (nav && nav.nextHopProtocol) || '';
}

export class Model {
  constructor({ pageOrigin = globalThis.location ? location.origin : '' } = {}) {
    this.pageOrigin = pageOrigin;
    this.wasm = null;
    this.archive = null;
    this.file = null;
    this.treeData = null;
    this.verification = null; // {ok, problems, ...} once verified
    this.verifyPool = null;
    this.job = null;
    this.pushClient = null; // the push worker for this archive, made at the first push
    this.previewRows = [];
    this.planned = null; // {archive, key, items} of the last preview plan
  }

  async init() {
    try {
      // Imported dynamically so a missing or broken pkg/ shows an error on
      // the page instead of a blank one.
      this.wasm = await import('../pkg/airlock.js');
      this.exports = await this.wasm.default();
    } catch (e) {
      throw codedError('E_WASM', `loading pkg/airlock_bg.wasm: ${(e && e.message) || e}`);
    }
    this.warmed = this.warmUp();
  }

  /**
   * Opens a small package repository (warmup.tar: 20 package bundles × 5
   * images, 451 KiB, made by `gen large-package-repo --packages 20
   * --images-per-package 5 --tag warmup`, served next to the page) a few
   * times in the background after load, so the first real open does not
   * pay for compiling, first-running and tiering up the wasm and JS paths.
   * A 9 KiB single bundle warmed too little of them: the first open of the
   * 1,000-image repository still took ~2× a later one (bench/open-first.mjs
   * REPO=1). Then it grows the wasm memory by RESERVE_BYTES: the first open
   * of that repository took ~2× a later one again until it did (a later
   * open reuses memory the first one touched). Failures leave `warmUpMs`
   * unset and are otherwise ignored: it is only an optimisation.
   */
  async warmUp() {
    const started = performance.now();
    try {
      const res = await fetch(new URL('../warmup.tar', import.meta.url));
      if (!res.ok) return;
      const blob = await res.blob();
      for (let i = 0; i < WARMUPS; i += 1) {
        const archive = await this.wasm.openArchive(blob);
        nestTree(archive.tree());
        archive.plan(planOptions({ repository: 'warmup.invalid/warmup' }, archive.format));
        archive.free();
      }
      this.wasm.reserveMemory(RESERVE_BYTES);
      this.warmUpMs = performance.now() - started;
    } catch {
      // ignored
    }
  }

  /** Opens a File: reads headers, manifest.json and the bundle layers only. */
  async open(file) {
    const started = performance.now();
    const archive = await this.wasm.openArchive(file);
    if (this.archive && typeof this.archive.free === 'function') this.archive.free();
    this.archive = archive;
    // `dockerLayers: 'gzip'`: the pass that learns the compressed digests, once per tarball.
    this.compressing = null;
    this.layersCompressed = false;
    this.file = file;
    if (this.pushClient) this.pushClient.terminate();
    this.pushClient = null;
    this.verification = null;
    this.treeData = nestTree(archive.tree());
    this.format = archive.format;
    this.thinInfo = archive.thin();
    return {
      file: { name: file.name, size: file.size, lastModified: file.lastModified },
      format: archive.format,
      formatName: archive.formatName,
      images: archive.images(),
      tree: this.treeData,
      thin: this.thinInfo,
      openMs: performance.now() - started,
    };
  }

  bundleFile(bundleDigest, path) {
    return this.archive.bundleFile(bundleDigest, path);
  }

  /**
   * Structure checks in wasm, then every blob hashed in workers.
   * onProgress({doneBytes, totalBytes, doneBlobs, totalBlobs, rate}).
   */
  async verify(onProgress = () => {}, { workers, wholeMax } = {}) {
    const started = performance.now();
    const problems = [...this.archive.verifyStructure()];
    const blobs = this.archive.blobsToVerify();
    const meter = new RateMeter();
    this.verifyPool = new VerifyPool({ ...(workers ? { workers } : {}), ...(wholeMax !== undefined ? { wholeMax } : {}) });
    const poolSize = this.verifyPool.count;
    let results;
    try {
      results = await this.verifyPool.run(this.file, blobs, (doneBytes, totalBytes, doneBlobs) => {
        meter.sample(doneBytes);
        onProgress({ doneBytes, totalBytes, doneBlobs, totalBlobs: blobs.length, rate: meter.rate(), eta: meter.eta(totalBytes - doneBytes) });
      });
    } finally {
      this.verifyPool = null;
    }
    // The problem texts come from the core (the same `airlock verify` prints).
    for (const r of results) {
      const problem = r.error ? this.archive.readProblem(r.blob.name, r.error) : this.archive.checkDigest(r.blob.name, r.digest, r.size);
      if (problem) problems.push(problem);
    }
    const seconds = (performance.now() - started) / 1000;
    const bytes = blobs.reduce((a, b) => a + b.size, 0);
    this.verification = { ok: problems.length === 0, problems, blobs: blobs.length, bytes, seconds, workers: poolSize };
    return this.verification;
  }

  cancelVerify() {
    if (this.verifyPool) this.verifyPool.cancel();
  }

  /** {base, registry, path, name, sameOrigin}; throws E_ARGUMENT. */
  endpoint(repository) {
    return this.wasm.registryEndpoint(repository, this.pageOrigin);
  }

  /** Whether the settings send this docker-archive's layers gzip-compressed. */
  gzipLayers(settings) {
    return this.format === 'docker-archive' && settings.dockerLayers === 'gzip';
  }

  /** The first pass of `dockerLayers: 'gzip'` (wasm `compressLayers()`), started once. */
  compressLayers(onProgress) {
    if (!this.compressing) {
      const archive = this.archive;
      this.compressing = archive.compressLayers(onProgress).then(() => {
        if (this.archive === archive) this.layersCompressed = true;
      });
      this.compressing.catch(() => {
        if (this.archive === archive) this.compressing = null;
      });
    }
    return this.compressing;
  }

  /** The preview for the current settings: rows and downloads. */
  plan(settings) {
    const options = planOptions(settings, this.format);
    const plan = this.archive.plan(options);
    // push() reuses the item count instead of planning again on the main thread.
    this.planned = { archive: this.archive, key: JSON.stringify(options), items: plan.images.length };
    this.previewRows = plan.images.map((i) => ({
      kind: i.kind,
      source: i.source,
      destination: i.destination,
      tags: i.tags || [],
    }));
    // Lower-cased text per row, built once, so a filter over thousands of
    // rows is one substring search each.
    this.previewHay = this.previewRows.map((r) => [r.kind, r.source, r.destination, ...r.tags].join('\n').toLowerCase());
    return { repository: plan.repository, repositories: plan.repositories, mappings: plan.mappings, layerMediaTypes: plan.layerMediaTypes || [], rows: this.previewRows, downloads: downloadsOf(plan), warnings: [...(plan.warnings || []), ...(plan.lockError ? [`No --lock-output document: ${plan.lockError}`] : [])] };
  }

  filterRows(query) {
    const q = query.trim().toLowerCase();
    if (!q) return this.previewRows;
    const hay = this.previewHay || [];
    return this.previewRows.filter((r, i) => hay[i].includes(q));
  }

  /** Tab-separated text of rows, for the clipboard. */
  tableText(rows) {
    const lines = [['kind', 'source', 'destination', 'tags'].join('\t')];
    for (const r of rows) lines.push([r.kind, r.source, r.destination, r.tags.join(' ')].join('\t'));
    return `${lines.join('\n')}\n`;
  }

  /**
   * The destination's receipt (wasm `receipt()`: the JSON `airlock receipt
   * REPO` writes), read with the push's client and credentials.
   */
  receipt(settings, credentials) {
    return this.wasm.receipt({
      repository: settings.repository.trim(),
      ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
    });
  }

  /** Runs the core's probe (wasm `probe()`) and words its result. */
  async testConnection(settings, credentials) {
    const result = await this.wasm.probe({
      repository: settings.repository.trim(),
      ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
    });
    return explainProbe(result, this.pageOrigin);
  }

  /**
   * Pushes the archive. onProgress receives the engine's progress plus
   * `rate` and `eta`. Resolves to the summary; rejects with a coded Error.
   */
  async push(settings, credentials, onProgress = () => {}, { inPage = false } = {}) {
    const meter = new RateMeter();
    const started = performance.now();
    // Bad options fail at once, here, as before (the worker would say the same
    // later); options the preview planned already passed (a plan of a 1,000-image
    // repository is a ~70 ms task this thread need not run again).
    const plan = planOptions(settings, this.format);
    const planned = this.planned;
    const items = planned && planned.archive === this.archive && planned.key === JSON.stringify(plan) ? planned.items : this.archive.plan(plan).images.length;
    const options = {
      ...plan,
      username: credentials ? credentials.username : undefined,
      password: credentials ? credentials.password : undefined,
      concurrency: pushConcurrency(settings, this.pageOrigin, { bytesPerItem: this.archive.size / Math.max(1, items) }),
      uploadChunkSize: (Number(settings.uploadChunkMiB) || 0) * 1024 * 1024,
    };
    const progress = (p) => {
      meter.sample(p.bytesSent);
      onProgress({ ...p, rate: meter.rate(), eta: meter.eta(p.bytesTotal - p.bytesDone) });
    };
    let done;
    if (inPage || typeof Worker === 'undefined') {
      // On the main thread (benchmarks compare it with the worker).
      const job = this.archive.copy({ ...options, onProgress: progress });
      this.job = job;
      done = job.done;
    } else {
      if (!this.pushClient) this.pushClient = new PushClient(this.file);
      this.job = this.pushClient;
      // The worker takes this page's first gzip pass instead of running its own.
      const gzippedLayers = this.gzipLayers(settings) ? this.archive.gzippedLayers() : null;
      done = this.pushClient.push(options, progress, gzippedLayers);
    }
    try {
      const summary = await done;
      return { ...summary, concurrency: options.concurrency, seconds: (performance.now() - started) / 1000 };
    } finally {
      this.job = null;
    }
  }

  cancelPush() {
    if (this.job) this.job.cancel();
  }
}

/** The plan options of the settings; the prefix choice only for OCI layouts and docker-archives. */
function planOptions(s, format) {
  return {
    repository: s.repository.trim(),
    repoBasedTags: !!s.repoBasedTags,
    includeNonDistributableLayers: !!s.includeNonDistributableLayers,
    toRepoPrefix: format !== 'imgpkg' && !!s.toRepoPrefix,
    ...(format === 'docker-archive' && s.dockerLayers === 'gzip' ? { dockerLayers: 'gzip' } : {}),
  };
}

/** The plan's documents as [{label, filename, text}]. */
function downloadsOf(plan) {
  const out = [];
  const bundles = Object.entries(plan.imagesYml || {});
  for (const [digest, text] of bundles) {
    const suffix = bundles.length > 1 ? `-${shortDigest(digest).replace(':', '-')}` : '';
    out.push({ label: `images.yml${suffix ? ` (${shortDigest(digest)})` : ''} — relocated, as imgpkg pull gives it`, filename: `images${suffix}.yml`, text });
  }
  if (plan.lock) out.push({ label: 'Lock output (--lock-output)', filename: 'lock-output.yml', text: plan.lock });
  for (const [digest, text] of Object.entries(plan.kbld || {})) {
    const suffix = Object.keys(plan.kbld).length > 1 ? `-${shortDigest(digest).replace(':', '-')}` : '';
    out.push({ label: `Bundle YAML with relocated images (kbld)${suffix ? ` (${shortDigest(digest)})` : ''}`, filename: `bundle-relocated${suffix}.yml`, text });
  }
  const repos = Object.entries(plan.packageRepositories || {});
  for (const [digest, text] of repos) {
    const suffix = repos.length > 1 ? `-${shortDigest(digest).replace(':', '-')}` : '';
    out.push({ label: `PackageRepository for kapp-controller${suffix ? ` (${shortDigest(digest)})` : ''}`, filename: `packagerepository${suffix}.yml`, text });
  }
  return out;
}
