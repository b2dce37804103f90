// The controller: wires view events to the model and the store, and model
// results back to the view. No DOM (the view does that), no wasm (the model).

import { codedError } from './errors.js';

export class Controller {
  constructor({ model, view, store, thin = null }) {
    this.model = model;
    this.view = view;
    this.store = store;
    // Thin tars and receipts (thin.js); optional, so the parts stay testable alone.
    this.thin = thin;
    this.opened = false;
    this.busy = null; // 'open' | 'verify' | 'push'
    this.previewOk = false;
    this.previewTimer = null;
    // The tarball (tarSeq) whose first preview waits for the tree to paint.
    this.previewPending = null;
    // State per tarball: each successful open is a new tarball (`tarSeq`).
    // The destination belongs to the tarball it was entered or confirmed
    // for (`destinationFor`); one carried over from an earlier tarball (or
    // remembered from an earlier visit: -1) must be confirmed or cleared
    // before a push.
    this.tarSeq = 0;
    this.destinationFor = -1;
    this.destinationConfirmed = true;
    this.fileName = null;
    // The push runs in a worker (model.js); benchmarks set this to compare
    // with the main thread.
    this.pushInPage = false;
    this.lastPush = null;
  }

  start() {
    const v = this.view;
    v.destination.set(this.store.get());
    if (this.store.legacyPasswordRemoved) v.destination.showLegacyPasswordRemoved();
    v.open.bindOpen((file) => this.open(file));
    v.tree.bindButtons();
    v.preview.bindPaging();
    v.files.bindFile((digest, path) => this.showBundleFile(digest, path));
    v.verify.bind(
      () => this.verify(),
      () => this.model.cancelVerify(),
    );
    v.destination.bindChange((settings, how) => this.destinationChanged(settings, how));
    v.destination.bindCarried(
      () => this.confirmDestination(),
      () => this.clearDestination(),
    );
    v.destination.bindTestConnection(() => this.testConnection());
    if (this.thin) this.thin.bindReceipt(() => this.downloadReceipt());
    v.preview.bindFilter((q) => v.preview.renderRows(this.model.filterRows(q), this.model.previewRows.length));
    v.preview.bindCopyTable(() => v.preview.copyText(this.model.tableText(this.model.filterRows(v.preview.filterValue()))));
    v.push.bind(
      () => this.push(),
      () => {
        v.push.showCancelling();
        this.model.cancelPush();
      },
    );
    v.setStatus('Ready: open a tarball.');
  }

  async open(file) {
    if (this.busy === 'verify') this.model.cancelVerify();
    if (this.busy === 'push') {
      this.view.setStatus(`Not opening ${file.name}: wait for the push to finish (or cancel it).`, { error: true });
      return;
    }
    this.busy = 'open';
    const started = performance.now();
    this.view.showOpening(file);
    try {
      const opened = await this.model.open(file);
      this.opened = true;
      this.tarSeq += 1;
      const previous = this.fileName;
      this.fileName = file.name;
      const repository = this.store.get().repository;
      this.destinationConfirmed = !repository || this.destinationFor === this.tarSeq;
      if (this.destinationConfirmed) this.view.destination.hideCarried();
      else this.view.destination.showCarried(repository, previous);
      const rendering = performance.now();
      // Before the tree is drawn: its layer badges ask thin.js.
      if (this.thin) this.thin.showArchive(opened.thin, repository);
      this.view.showArchive(opened);
      // Timings for the benchmark: wasm (open + tree), the tree's DOM, and
      // the handler up to the tree; the preview's part once it shows.
      const now = performance.now();
      const timing = { wasmMs: opened.openMs, domMs: now - rendering, totalMs: now - started, treePaintedMs: null, previewMs: null, previewDoneMs: null };
      this.lastOpen = timing;
      this.deferPreview(() => {
        const previewing = performance.now();
        timing.treePaintedMs = previewing - started;
        this.refreshPreview();
        const done = performance.now();
        timing.previewMs = done - previewing;
        timing.previewDoneMs = done - started;
      });
    } catch (e) {
      this.opened = false;
      this.view.open.showOpenError(file, e);
    } finally {
      this.busy = null;
      this.updatePush();
    }
  }

  /**
   * Runs `plan` (the preview of a newly opened tarball) once the tree is on
   * screen: planning every image of a package repository takes a few
   * hundred ms, and the tree should not wait for it. A later open, or an
   * edit that refreshes the preview first, makes it moot.
   */
  deferPreview(plan) {
    const seq = this.tarSeq;
    this.previewPending = seq;
    this.previewOk = false;
    if (this.store.get().repository) this.view.preview.showBusy('Planning where every image lands…');
    // Runs once: the first call clears previewPending (so does any
    // refreshPreview or later open before it).
    const run = () => {
      if (this.previewPending !== seq) return;
      this.previewPending = null;
      plan();
    };
    // After the next frame is painted; a hidden tab paints no frame.
    requestAnimationFrame(() => setTimeout(run, 0));
    setTimeout(run, 100);
  }

  showBundleFile(digest, path) {
    try {
      this.view.files.showFile(path, this.model.bundleFile(digest, path));
    } catch (e) {
      this.view.files.showFileError(path, e);
    }
  }

  async verify() {
    if (this.busy) return null;
    this.busy = 'verify';
    this.updatePush();
    this.view.verify.showRunning();
    const progress = throttled((p) => this.view.verify.showProgress(p));
    try {
      const result = await this.model.verify(progress);
      progress.flush();
      this.view.verify.showResult(result);
      if (this.thin) this.thin.showVerifyNote(result);
      return result;
    } catch (e) {
      progress.cancel();
      this.view.verify.showError(e);
      return null;
    } finally {
      this.busy = null;
      this.updatePush();
    }
  }

  destinationChanged(settings, { repositoryEdited = false } = {}) {
    // Typing a repository chooses it for this tarball (or, with none open,
    // for the next one).
    if (repositoryEdited) this.destinationChosen();
    this.store.update(settings);
    if (this.thin) this.thin.setDestination(settings.repository);
    this.view.destination.clearConnectionResult();
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.refreshPreview(), 120);
  }

  destinationChosen() {
    this.destinationFor = this.opened ? this.tarSeq : this.tarSeq + 1;
    this.destinationConfirmed = true;
    this.view.destination.hideCarried();
  }

  confirmDestination() {
    this.destinationChosen();
    this.updatePush();
  }

  clearDestination() {
    this.view.destination.clearRepository();
    this.destinationChosen();
    this.store.update({ repository: '' });
    if (this.thin) this.thin.setDestination('');
    this.refreshPreview();
    this.updatePush();
  }

  refreshPreview() {
    if (!this.opened) return;
    this.previewPending = null;
    const s = this.store.get();
    // Unchanged plan inputs (a 'change' event after typing, an auth or
    // "remember" edit): keep the table as it is, with its pages and filter.
    const gzip = this.model.gzipLayers(s);
    const key = JSON.stringify([this.tarSeq, s.repository.trim(), !!s.repoBasedTags, !!s.includeNonDistributableLayers, !!s.toRepoPrefix, gzip]);
    if (this.previewOk && key === this.previewKey) {
      this.updatePush();
      return;
    }
    this.previewKey = key;
    this.previewOk = false;
    if (!s.repository) {
      this.view.preview.showEmpty();
    } else if (gzip && !this.model.layersCompressed) {
      // The compressed digests come from one pass over every layer first.
      const seq = this.tarSeq;
      this.view.preview.showBusy('Compressing the layers with gzip to learn their digests…');
      this.model
        .compressLayers((p) => {
          if (seq === this.tarSeq) this.view.preview.showBusy(`Compressing the layers with gzip to learn their digests… ${Math.floor((100 * p.bytesDone) / Math.max(p.bytesTotal, 1))} %`);
        })
        .then(
          () => {
            if (seq !== this.tarSeq) return;
            this.previewKey = null;
            this.refreshPreview();
          },
          (e) => {
            if (seq === this.tarSeq) this.view.preview.showError(e);
          },
        );
    } else {
      try {
        const preview = this.model.plan(s);
        this.view.preview.show(preview);
        const q = this.view.preview.filterValue();
        if (q) this.view.preview.renderRows(this.model.filterRows(q), preview.rows.length);
        this.previewOk = true;
      } catch (e) {
        this.view.preview.showError(e);
      }
    }
    this.updatePush();
  }

  /** "Download receipt": what the destination repository holds, as `airlock receipt` writes it. */
  async downloadReceipt() {
    const s = this.store.get();
    if (!s.repository.trim()) {
      this.thin.showReceiptError(codedError('E_ARGUMENT', 'enter a destination repository first'));
      return;
    }
    this.thin.showReceiptBusy();
    try {
      const json = await this.model.receipt(s, this.store.credentials());
      this.thin.showReceipt(json, 'receipt.json');
    } catch (e) {
      this.thin.showReceiptError(e);
    }
  }

  async testConnection() {
    const s = this.store.get();
    this.view.destination.showConnectionBusy();
    try {
      this.view.destination.showConnectionResult(await this.model.testConnection(s, this.store.credentials()));
    } catch (e) {
      this.view.destination.showConnectionError(e);
    }
  }

  async push() {
    if (this.busy || !this.previewOk || !this.destinationConfirmed) return;
    // Never push a tarball that has not been verified: a corrupt tar must
    // push nothing.
    let v = this.model.verification;
    if (!v) {
      v = await this.verify();
      if (!v) return;
    }
    if (!v.ok) {
      this.view.push.showError(codedError('E_VERIFY', `${v.problems.length} problem(s) found by verification; nothing was pushed`));
      return;
    }
    this.busy = 'push';
    this.updatePush();
    this.view.push.showRunning();
    const progress = throttled((p) => (this.thin && this.thin.showPushProgress(p)) || this.view.push.showProgress(p));
    try {
      const summary = await this.model.push(this.store.get(), this.store.credentials(), progress, { inPage: this.pushInPage });
      progress.cancel();
      this.lastPush = summary;
      this.view.push.showResult(summary);
      if (this.thin) this.thin.showPushCheck(summary);
    } catch (e) {
      progress.cancel();
      this.view.push.showError(e);
      if (this.thin) this.thin.showRefusal(e);
    } finally {
      this.busy = null;
      this.updatePush();
    }
  }

  updatePush() {
    let reason = '';
    if (!this.opened) reason = 'Open a tarball first.';
    else if (!this.destinationConfirmed) reason = 'Confirm or clear the destination carried over from before this tarball.';
    else if (this.previewPending != null) reason = 'Wait for the preview of this tarball.';
    else if (!this.previewOk) reason = this.store.get().repository ? 'Enter a valid destination repository.' : 'Enter a destination repository.';
    else if (this.busy) reason = `Wait for ${this.busy} to finish.`;
    else if (this.model.verification && !this.model.verification.ok) reason = 'Verification found problems.';
    this.view.push.setEnabled(reason === '', reason);
  }
}

/**
 * Calls `fn` with the latest value at most once per animation frame and at
 * most every `minMs` (progress redraws relayout the page; at 60 Hz they took
 * CPU from the uploads on a 2-core machine).
 */
function throttled(fn, minMs = 200) {
  let latest = null;
  let frame = 0;
  let timer = 0;
  let last = -Infinity;
  const run = () => {
    frame = 0;
    last = performance.now();
    if (latest !== null) fn(latest);
  };
  const schedule = () => {
    if (frame || timer) return;
    const wait = minMs - (performance.now() - last);
    if (wait <= 0) {
      frame = requestAnimationFrame(run);
    } else {
      timer = setTimeout(() => {
        timer = 0;
        frame = requestAnimationFrame(run);
      }, wait);
    }
  };
  const stop = () => {
    if (frame) cancelAnimationFrame(frame);
    if (timer) clearTimeout(timer);
    frame = 0;
    timer = 0;
  };
  const f = (value) => {
    latest = value;
    schedule();
  };
  f.flush = () => {
    stop();
    if (latest !== null) fn(latest);
  };
  f.cancel = () => {
    stop();
    latest = null;
  };
  return f;
}
