// The view: the only module that touches the DOM. Everything untrusted
// reaches the page through el()/textContent (see dom.js), never as HTML.

import { $, clear, el, replace } from './dom.js';
import { explain } from './errors.js';
import { formatBytes, formatDuration, formatRate, plural, shortDigest } from './format.js';

// Built at load: the first Intl use costs ~15–18 ms here (locale data),
// which the first open would otherwise pay.
const GROUPED = new Intl.NumberFormat('en-US');

export class View {
  constructor() {
    this.status = $('app-status');
    this.dropzone = $('dropzone');
    this.fileInput = $('file-input');
    this.chooseFile = $('choose-file');
    this.openError = $('open-error');
    this.fileSummary = $('file-summary');
    this.sections = {
      inspect: $('inspect'),
      verify: $('verify'),
      preview: $('preview'),
      push: $('push'),
    };
    this.tree = $('tree');
    this.bundleFiles = $('bundle-files');
    this.filesEmpty = $('files-empty');
    this.fileView = $('file-view');
    this.fileViewName = $('file-view-name');
    this.fileViewText = $('file-view-text');
    this.verifyStart = $('verify-start');
    this.verifyCancel = $('verify-cancel');
    this.verifyProgress = $('verify-progress');
    this.verifyBar = $('verify-bar');
    this.verifyProgressText = $('verify-progress-text');
    this.verifyResult = $('verify-result');
    this.form = $('destination-form');
    this.repository = $('repository');
    this.carried = $('destination-carried');
    this.carriedText = $('destination-carried-text');
    this.carriedConfirm = $('destination-confirm');
    this.carriedClear = $('destination-clear');
    this.authAnonymous = $('auth-anonymous');
    this.authPassword = $('auth-password');
    this.credentials = $('credentials');
    this.username = $('username');
    this.password = $('password');
    this.remember = $('remember');
    this.rememberPassword = $('remember-password');
    this.legacyPasswordNote = $('legacy-password-note');
    this.optRepoBasedTags = $('opt-repo-based-tags');
    this.optNonDistributable = $('opt-non-distributable');
    this.optUploadChunk = $('opt-upload-chunk');
    this.cosignNote = $('cosign-note');
    this.testButton = $('test-connection');
    this.connectionBusy = $('connection-busy');
    this.connectionResult = $('connection-result');
    this.previewEmpty = $('preview-empty');
    this.previewError = $('preview-error');
    this.previewBody = $('preview-body');
    this.previewFilter = $('preview-filter');
    this.previewCopy = $('preview-copy');
    this.previewCount = $('preview-count');
    this.previewRows = $('preview-rows');
    this.previewMoreBar = $('preview-more-bar');
    this.previewShown = $('preview-shown');
    this.previewMore = $('preview-more');
    this.previewAll = $('preview-all');
    this.previewPage = { rows: [], total: 0, shown: 0 };
    this.downloads = $('downloads');
    this.previewWarnings = $('preview-warnings');
    this.pushStart = $('push-start');
    this.pushCancel = $('push-cancel');
    this.pushReason = $('push-reason');
    this.pushProgress = $('push-progress');
    this.pushBar = $('push-bar');
    this.pushStats = $('push-stats');
    this.pushActive = $('push-active');
    this.pushResult = $('push-result');
  }

  // --- app status -----------------------------------------------------------

  setStatus(text, { error = false } = {}) {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }

  showFatal(err) {
    const x = explain(err);
    this.setStatus(x.title, { error: true });
    replace(this.openError, errorBlock(x));
    this.openError.hidden = false;
    this.fileInput.disabled = true;
    this.chooseFile.disabled = true;
  }

  // --- 1. open ---------------------------------------------------------------

  bindOpen(handler) {
    this.chooseFile.addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files && this.fileInput.files[0];
      if (file) handler(file);
      this.fileInput.value = '';
    });
    for (const type of ['dragenter', 'dragover']) {
      this.dropzone.addEventListener(type, (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        this.dropzone.classList.add('dragover');
      });
    }
    for (const type of ['dragleave', 'dragend']) {
      this.dropzone.addEventListener(type, () => this.dropzone.classList.remove('dragover'));
    }
    this.dropzone.addEventListener('drop', (e) => {
      e.preventDefault();
      this.dropzone.classList.remove('dragover');
      const file = e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) handler(file);
    });
    // A file dropped outside the drop zone must not navigate away.
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => e.preventDefault());
  }

  showOpening(file) {
    this.setStatus(`Opening ${file.name}…`);
    this.openError.hidden = true;
    this.fileSummary.hidden = true;
    for (const s of Object.values(this.sections)) s.hidden = true;
  }

  showOpenError(file, err) {
    const x = explain(err);
    this.setStatus(`Could not open ${file.name}`, { error: true });
    replace(this.openError, errorBlock(x));
    this.openError.hidden = false;
  }

  showArchive({ file, tree, openMs }) {
    const counts = countItems(tree.items);
    this.setStatus(`Opened ${file.name} in ${Math.max(1, Math.round(openMs))} ms`);
    replace(
      this.fileSummary,
      el('dt', {}, 'File'),
      el('dd', { className: 'mono' }, file.name),
      el('dt', {}, 'Size'),
      el('dd', {}, `${formatBytes(file.size)} (${GROUPED.format(file.size)} bytes)`),
      el('dt', {}, 'Contents'),
      el(
        'dd',
        {},
        [
          counts.bundle && plural(counts.bundle, 'bundle'),
          counts.image && plural(counts.image, 'image'),
          counts.index && plural(counts.index, 'index', 'indexes'),
          counts.signature && plural(counts.signature, 'signature'),
          plural(counts.layers, 'layer blob'),
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    );
    if (tree.root) {
      this.fileSummary.append(el('dt', {}, 'Root'), el('dd', { className: 'mono' }, tree.root));
    }
    this.fileSummary.hidden = false;
    this.cosignNote.textContent = counts.signature
      ? `Cosign signatures: the ${plural(counts.signature, '.sig image')} in this tarball ${counts.signature === 1 ? 'is' : 'are'} copied like any other image, with ${counts.signature === 1 ? 'its' : 'their'} tag${counts.signature === 1 ? '' : 's'} (imgpkg's --cosign-signatures only changes copies from a registry).`
      : "Cosign signatures: this tarball holds no .sig images, so there are none to copy (imgpkg's --cosign-signatures only changes copies from a registry).";
    if (tree.problems && tree.problems.length) {
      this.fileSummary.append(el('dt', {}, 'Problems'), el('dd', {}, `${plural(tree.problems.length, 'problem')} found while reading — run Verify for the list.`));
    }
    this.renderTree(tree);
    this.renderBundleFiles(tree.bundles || []);
    this.fileView.hidden = true;
    this.resetPerTarball();
    for (const s of Object.values(this.sections)) s.hidden = false;
  }

  /** Verify and push state belong to one tarball: a new one starts afresh. */
  resetPerTarball() {
    clear(this.verifyResult);
    this.verifyProgress.hidden = true;
    this.verifyBar.value = 0;
    this.verifyProgressText.textContent = '';
    this.verifyStart.disabled = false;
    this.verifyStart.hidden = false;
    this.verifyStart.textContent = 'Verify';
    this.verifyCancel.hidden = true;
    clear(this.pushResult);
    clear(this.pushActive);
    this.pushProgress.hidden = true;
    this.pushBar.value = 0;
    this.pushStats.textContent = '';
    this.pushStart.textContent = 'Push';
    this.clearConnectionResult();
  }

  // --- 2. contents -----------------------------------------------------------

  renderTree(tree) {
    // Small trees are built whole; large ones build a node's contents when
    // it is first opened, and list long children in pages (TREE_PAGE).
    const lazy = countNodes(tree.items) > TREE_EAGER_MAX;
    this.tree.dataset.lazy = String(lazy);
    const nodes = [];
    pagedChildren(nodes, tree.items, 0, lazy);
    if (nodes.length === 0) nodes.push(el('p', { className: 'muted' }, 'The tarball lists no images.'));
    replace(this.tree, nodes);
  }

  bindTreeButtons() {
    $('tree-expand').addEventListener('click', () => {
      // Opening fills a lazy node at once (fill()), so one click expands
      // every level that is rendered (long lists stay paged).
      for (let round = 0; round < 16; round += 1) {
        const closed = this.tree.querySelectorAll('details:not([open])');
        if (closed.length === 0) break;
        for (const d of closed) {
          fill(d);
          d.open = true;
        }
      }
    });
    $('tree-collapse').addEventListener('click', () => {
      for (const d of this.tree.querySelectorAll('details')) d.open = false;
    });
  }

  renderBundleFiles(bundles) {
    clear(this.bundleFiles);
    this.filesEmpty.hidden = bundles.length > 0;
    for (const b of bundles) {
      const group = el('div', { className: 'bundle-group' });
      group.append(el('p', { className: 'bundle-group-title' }, b.source || b.digest));
      for (const f of b.files) {
        group.append(
          el(
            'button',
            {
              type: 'button',
              attrs: { 'aria-pressed': 'false' },
              dataset: { bundle: b.digest, path: f.path },
            },
            el('span', { className: 'path' }, f.path),
            el('span', { className: 'size' }, formatBytes(f.size)),
          ),
        );
      }
      this.bundleFiles.append(group);
    }
  }

  bindBundleFile(handler) {
    this.bundleFiles.addEventListener('click', (e) => {
      const button = e.target.closest('button[data-path]');
      if (!button) return;
      for (const b of this.bundleFiles.querySelectorAll('button[aria-pressed="true"]')) b.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-pressed', 'true');
      handler(button.dataset.bundle, button.dataset.path);
    });
  }

  showBundleFile(path, text) {
    this.fileViewName.textContent = path;
    this.fileViewText.textContent = text;
    this.fileView.hidden = false;
  }

  showBundleFileError(path, err) {
    const x = explain(err);
    this.fileViewName.textContent = path;
    this.fileViewText.textContent = `${x.title}: ${x.message}`;
    this.fileView.hidden = false;
  }

  // --- 3. verify ----------------------------------------------------------------

  bindVerify(start, cancel) {
    this.verifyStart.addEventListener('click', start);
    this.verifyCancel.addEventListener('click', cancel);
  }

  showVerifyRunning() {
    this.verifyStart.disabled = true;
    this.verifyCancel.hidden = false;
    this.verifyProgress.hidden = false;
    this.verifyBar.value = 0;
    this.verifyProgressText.textContent = 'Checking structure…';
    clear(this.verifyResult);
  }

  showVerifyProgress(p) {
    this.verifyBar.value = p.totalBytes > 0 ? p.doneBytes / p.totalBytes : 0;
    this.verifyProgressText.textContent = `${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} · ${p.doneBlobs} of ${plural(p.totalBlobs, 'blob')} · ${formatRate(p.rate)} · ${Number.isFinite(p.eta) ? `${formatDuration(p.eta)} left` : ''}`;
  }

  showVerifyResult(v) {
    this.verifyStart.disabled = false;
    this.verifyStart.textContent = 'Verify again';
    this.verifyCancel.hidden = true;
    this.verifyBar.value = 1;
    this.verifyProgressText.textContent = `${formatBytes(v.bytes)} hashed in ${formatDuration(v.seconds)} (${formatRate(v.bytes / Math.max(v.seconds, 0.001))}, ${plural(v.workers, 'worker')})`;
    if (v.ok) {
      replace(this.verifyResult, el('div', { className: 'alert ok', attrs: { 'data-result': 'ok' } }, el('p', { className: 'title' }, `All ${v.blobs} blobs verified.`), el('p', {}, 'Every manifest, config and layer matches its digest and size.')));
    } else {
      replace(
        this.verifyResult,
        el(
          'div',
          { className: 'alert error', attrs: { role: 'alert', 'data-result': 'problems' } },
          el('p', { className: 'title' }, `${plural(v.problems.length, 'problem')} found — do not push this tarball.`),
          el(
            'ul',
            { className: 'problems' },
            v.problems.map((p) => el('li', {}, p.subject ? el('span', { className: 'mono' }, p.subject) : null, p.subject ? ': ' : '', p.message)),
          ),
        ),
      );
    }
  }

  showVerifyError(err) {
    this.verifyStart.disabled = false;
    this.verifyCancel.hidden = true;
    this.verifyProgress.hidden = true;
    replace(this.verifyResult, errorBlock(explain(err)));
  }

  // --- 4. destination ---------------------------------------------------------------

  setDestination(s) {
    this.repository.value = s.repository;
    this.authAnonymous.checked = s.auth !== 'password';
    this.authPassword.checked = s.auth === 'password';
    this.credentials.hidden = s.auth !== 'password';
    this.username.value = s.username;
    this.password.value = s.password;
    this.remember.checked = s.remember;
    this.rememberPassword.checked = s.remember && s.rememberPassword;
    this.rememberPassword.disabled = !s.remember;
    this.optRepoBasedTags.checked = s.repoBasedTags;
    this.optNonDistributable.checked = s.includeNonDistributableLayers;
    this.optUploadChunk.value = String(s.uploadChunkMiB || 0);
  }

  getDestination() {
    return {
      repository: this.repository.value.trim(),
      auth: this.authPassword.checked ? 'password' : 'anonymous',
      username: this.username.value,
      password: this.password.value,
      remember: this.remember.checked,
      rememberPassword: this.remember.checked && this.rememberPassword.checked,
      repoBasedTags: this.optRepoBasedTags.checked,
      includeNonDistributableLayers: this.optNonDistributable.checked,
      uploadChunkMiB: Number(this.optUploadChunk.value) || 0,
    };
  }

  bindDestinationChange(handler) {
    const fire = (e) => {
      this.credentials.hidden = !this.authPassword.checked;
      this.rememberPassword.disabled = !this.remember.checked;
      if (!this.remember.checked) this.rememberPassword.checked = false;
      handler(this.getDestination(), { repositoryEdited: e.target === this.repository });
    };
    this.form.addEventListener('input', fire);
    this.form.addEventListener('change', fire);
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  /** A destination kept from before this tarball: shown, to be confirmed or cleared. */
  showCarriedDestination(repository, from) {
    this.carriedText.textContent = from ? `Carried over from ${from}: ${repository}` : `Remembered from an earlier visit: ${repository}`;
    this.carried.hidden = false;
    this.repository.setAttribute('aria-describedby', 'destination-carried-text repository-help');
  }

  hideCarriedDestination() {
    this.carried.hidden = true;
    this.repository.setAttribute('aria-describedby', 'repository-help');
  }

  bindCarriedDestination(confirm, clearIt) {
    this.carriedConfirm.addEventListener('click', confirm);
    this.carriedClear.addEventListener('click', clearIt);
  }

  /** Empties the repository field and puts the focus there. */
  clearRepository() {
    this.repository.value = '';
    this.repository.focus();
  }

  showLegacyPasswordRemoved() {
    this.legacyPasswordNote.hidden = false;
  }

  bindTestConnection(handler) {
    this.testButton.addEventListener('click', handler);
  }

  showConnectionBusy() {
    this.testButton.disabled = true;
    this.connectionBusy.hidden = false;
    clear(this.connectionResult);
  }

  showConnectionResult(r) {
    this.testButton.disabled = false;
    this.connectionBusy.hidden = true;
    const block = el(
      'div',
      { className: `alert ${r.ok ? 'ok' : 'error'}`, attrs: { 'data-code': r.code || 'OK', role: r.ok ? null : 'alert' } },
      el('p', { className: 'title' }, r.title),
      r.hint ? el('p', { className: 'hint' }, r.hint) : null,
      r.steps && r.steps.length ? el('ul', {}, r.steps.map((s) => el('li', {}, `${s.ok ? '✓' : '✗'} ${s.text}`))) : null,
      r.code ? el('p', { className: 'code' }, r.code) : null,
    );
    replace(this.connectionResult, block);
  }

  showConnectionError(err) {
    this.testButton.disabled = false;
    this.connectionBusy.hidden = true;
    replace(this.connectionResult, errorBlock(explain(err)));
  }

  clearConnectionResult() {
    clear(this.connectionResult);
  }

  // --- 5. preview ------------------------------------------------------------------

  showPreviewEmpty() {
    this.previewEmpty.hidden = false;
    this.previewError.hidden = true;
    this.previewBody.hidden = true;
  }

  showPreviewError(err) {
    this.previewEmpty.hidden = true;
    this.previewBody.hidden = true;
    replace(this.previewError, errorBlock(explain(err), { bare: true }));
    this.previewError.hidden = false;
  }

  showPreview(preview) {
    this.previewEmpty.hidden = true;
    this.previewError.hidden = true;
    this.previewBody.hidden = false;
    this.renderPreviewRows(preview.rows, preview.rows.length);
    const warnings = preview.warnings || [];
    replace(this.previewWarnings, warnings.map((w) => el('li', {}, w)));
    this.previewWarnings.hidden = warnings.length === 0;
    replace(
      this.downloads,
      preview.downloads.map((d) =>
        el('button', { type: 'button', className: 'small', dataset: { filename: d.filename }, on: { click: () => download(d.filename, d.text) } }, `⤓ ${d.label}`),
      ),
    );
    if (preview.downloads.length === 0) this.downloads.append(el('p', { className: 'muted' }, 'Nothing to download for this tarball.'));
  }

  /**
   * Shows the first PREVIEW_PAGE of `rows` (the filtered rows; `total` is
   * the unfiltered count); "Show more" / "Show all" add the rest. "Copy
   * table" copies every filtered row, shown or not.
   */
  renderPreviewRows(rows, total) {
    clear(this.previewRows);
    cancelAnimationFrame(this.previewFrame);
    this.previewPage = { rows, total, shown: 0 };
    // The first rows at once, the rest of the page over the next frames, so
    // a filter over thousands of rows shows its result within one frame.
    this.appendPreviewRows(PREVIEW_FIRST);
    const more = () => {
      if (this.previewPage.shown >= Math.min(rows.length, PREVIEW_PAGE)) {
        delete this.previewRows.dataset.rendering;
        return;
      }
      this.appendPreviewRows(PREVIEW_FIRST);
      this.previewFrame = requestAnimationFrame(more);
    };
    if (rows.length > PREVIEW_FIRST) {
      this.previewRows.dataset.rendering = 'true';
      // After the frame that shows the first rows.
      this.previewFrame = requestAnimationFrame(() => {
        this.previewFrame = requestAnimationFrame(more);
      });
    }
    if (rows.length === 0) {
      this.previewRows.append(el('tr', {}, el('td', { attrs: { colspan: 4 }, className: 'muted' }, 'No row matches the filter.')));
    }
    const all = `${GROUPED.format(total)} ${total === 1 ? 'row' : 'rows'}`;
    this.previewCount.textContent = rows.length === total ? all : `${GROUPED.format(rows.length)} of ${all}`;
  }

  appendPreviewRows(count) {
    const p = this.previewPage;
    const end = Math.min(p.rows.length, p.shown + count);
    const frag = document.createDocumentFragment();
    for (let i = p.shown; i < end; i += 1) frag.append(previewRow(p.rows[i]));
    this.previewRows.append(frag);
    p.shown = end;
    const more = p.rows.length - p.shown;
    this.previewMoreBar.hidden = more === 0;
    this.previewShown.textContent = `Showing ${GROUPED.format(p.shown)} of ${GROUPED.format(p.rows.length)} rows.`;
    this.previewMore.textContent = `Show ${GROUPED.format(Math.min(more, PREVIEW_PAGE))} more`;
  }

  bindPreviewPaging() {
    const now = (count) => {
      cancelAnimationFrame(this.previewFrame);
      delete this.previewRows.dataset.rendering;
      this.appendPreviewRows(count);
    };
    this.previewMore.addEventListener('click', () => now(PREVIEW_PAGE));
    this.previewAll.addEventListener('click', () => now(Infinity));
  }

  bindPreviewFilter(handler) {
    this.previewFilter.addEventListener('input', () => handler(this.previewFilter.value));
  }

  previewFilterValue() {
    return this.previewFilter.value;
  }

  bindCopyTable(handler) {
    this.previewCopy.addEventListener('click', handler);
  }

  async copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      this.flash(this.previewCopy, 'Copied');
    } catch {
      // Clipboard refused (not focused, or permissions): select a textarea instead.
      const area = el('textarea', { className: 'visually-hidden', value: text });
      document.body.append(area);
      area.select();
      const ok = document.execCommand && document.execCommand('copy');
      area.remove();
      this.flash(this.previewCopy, ok ? 'Copied' : 'Copy failed');
    }
  }

  flash(button, text) {
    const old = button.textContent;
    button.textContent = text;
    setTimeout(() => {
      button.textContent = old;
    }, 1200);
  }

  // --- 6. push -------------------------------------------------------------------------

  bindPush(start, cancel) {
    this.pushStart.addEventListener('click', start);
    this.pushCancel.addEventListener('click', cancel);
  }

  /** Push on or off; when off, why, in visible text next to the button. */
  setPushEnabled(enabled, reason = '') {
    this.pushStart.disabled = !enabled;
    this.pushReason.textContent = enabled ? '' : reason;
  }

  showPushRunning() {
    this.pushStart.disabled = true;
    this.pushStart.textContent = 'Pushing…';
    this.pushCancel.hidden = false;
    this.pushCancel.disabled = false;
    this.pushProgress.hidden = false;
    this.pushBar.value = 0;
    this.pushStats.textContent = 'Checking what the registry already has…';
    clear(this.pushActive);
    clear(this.pushResult);
  }

  showPushCancelling() {
    this.pushCancel.disabled = true;
    this.pushStats.textContent = 'Cancelling…';
  }

  showPushProgress(p) {
    this.pushBar.value = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    const parts = [
      `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
      formatRate(p.rate),
      Number.isFinite(p.eta) && p.bytesDone < p.bytesTotal ? `${formatDuration(p.eta)} left` : null,
      `blobs ${p.blobsDone} of ${p.blobsTotal}`,
      `${p.blobsSkipped} skipped`,
      `${p.blobsMounted} mounted`,
      p.manifestsTotal ? `manifests ${p.manifestsDone} of ${p.manifestsTotal}` : null,
      p.phase ? `(${p.phase})` : null,
    ];
    this.pushStats.textContent = parts.filter(Boolean).join(' · ');
    replace(
      this.pushActive,
      (p.active || []).map((a) =>
        el(
          'li',
          {},
          el('span', { className: 'mono', attrs: { title: a.digest } }, shortDigest(a.digest)),
          el('progress', { max: 1, value: a.size > 0 ? a.done / a.size : 0 }),
          el('span', { className: 'nums' }, `${formatBytes(a.done)} / ${formatBytes(a.size)}`),
        ),
      ),
    );
  }

  showPushResult(s) {
    this.pushCancel.hidden = true;
    this.pushStart.disabled = false;
    this.pushStart.textContent = 'Push again';
    this.pushBar.value = 1;
    clear(this.pushActive);
    this.pushStats.textContent = '';
    const metric = (value, label) => el('div', { className: 'metric' }, el('div', { className: 'value' }, value), el('div', { className: 'label' }, label));
    replace(
      this.pushResult,
      el(
        'div',
        { className: 'alert ok', attrs: { 'data-result': 'pushed' } },
        el('p', { className: 'title' }, `Pushed to ${s.repository}`),
        el(
          'div',
          { className: 'result-grid' },
          metric(String(s.blobsUploaded), 'blobs uploaded'),
          metric(formatBytes(s.bytesUploaded), 'bytes uploaded'),
          metric(String(s.blobsSkipped), 'blobs already there'),
          metric(String(s.blobsMounted), 'blobs mounted'),
          metric(String(s.manifestsPut), 'manifests written'),
          metric(String(s.manifestsSkipped), 'manifests already there'),
          metric(String(s.tagsPut), 'tags written'),
          metric(formatDuration(s.seconds), `at ${formatRate(s.bytesUploaded / Math.max(s.seconds, 0.001))}`),
        ),
        s.rootReference ? el('p', {}, 'Root: ', el('span', { className: 'mono' }, s.rootReference)) : null,
        s.uploadNote ? el('p', { attrs: { 'data-upload-note': '' } }, `${s.uploadNote[0].toUpperCase()}${s.uploadNote.slice(1)}.`) : null,
      ),
    );
  }

  showPushError(err) {
    this.pushCancel.hidden = true;
    this.pushStart.disabled = false;
    this.pushStart.textContent = 'Push again';
    clear(this.pushActive);
    this.pushStats.textContent = '';
    const x = explain(err);
    replace(this.pushResult, errorBlock(x, { cancelled: x.code === 'E_CANCELLED' }));
  }
}

// --- helpers (DOM builders) ---------------------------------------------------------

/** Trees up to this many nodes (items + layers) are built whole at open. */
export const TREE_EAGER_MAX = 1500;
/** Children listed per page in a tree node. */
export const TREE_PAGE = 200;
/** Preview rows shown at first and per "Show more". */
export const PREVIEW_PAGE = 200;
/** Preview rows rendered per frame while a page fills. */
const PREVIEW_FIRST = 40;

function previewRow(r) {
  return el(
    'tr',
    { dataset: { kind: r.kind } },
    el('td', {}, el('span', { className: `badge ${badgeClass(r.kind)}` }, r.kind)),
    el('td', { className: 'ref' }, r.source),
    el('td', { className: 'ref' }, r.destination),
    el('td', { className: 'tags' }, r.tags.map((t) => el('span', {}, t))),
  );
}

function countNodes(items) {
  let n = 0;
  const walk = (list) => {
    for (const i of list) {
      n += 1 + (i.layers ? i.layers.length : 0);
      if (i.children) walk(i.children);
    }
  };
  walk(items);
  return n;
}

/** Appends tree nodes for `items` to `out`, TREE_PAGE at a time when lazy. */
function pagedChildren(out, items, depth, lazy, from = 0) {
  const end = lazy ? Math.min(items.length, from + TREE_PAGE) : items.length;
  for (let i = from; i < end; i += 1) out.push(treeNode(items[i], depth, lazy));
  if (end < items.length) {
    const more = el('button', { type: 'button', className: 'small more' }, `Show ${Math.min(TREE_PAGE, items.length - end)} more of ${GROUPED.format(items.length)}`);
    more.addEventListener('click', () => {
      const next = [];
      pagedChildren(next, items, depth, lazy, end);
      more.replaceWith(...next);
    });
    out.push(more);
  }
}

/** Builds a lazy node's contents (once). */
function fill(details) {
  const build = details.airlockBuild;
  if (!build) return;
  details.airlockBuild = null;
  details.append(...build());
}

function errorBlock(x, { bare = false, cancelled = false } = {}) {
  const children = [el('p', { className: 'title' }, x.title), el('p', { className: 'hint' }, x.hint), x.message && x.message !== x.title ? el('p', { className: 'message mono' }, x.message) : null, el('p', { className: 'code' }, x.code)];
  if (bare) return children;
  return el('div', { className: `alert ${cancelled ? 'warn' : 'error'}`, attrs: { role: 'alert', 'data-code': x.code } }, children);
}

function badgeClass(kind) {
  if (kind === 'bundle' || kind === 'locations') return 'bundle';
  if (kind === 'index' || kind === 'index-child') return 'index';
  if (kind === 'signature') return 'signature';
  return 'image';
}

function treeNode(item, depth, lazy = false) {
  const meta = [formatBytes(item.size), item.mediaType, item.platform].filter(Boolean).join(' · ');
  const summary = el(
    'summary',
    {},
    el(
      'span',
      { className: 'node-line' },
      el('span', { className: `badge ${badgeClass(item.kind)}` }, item.kind),
      el('span', { className: 'node-name' }, item.source || item.digest),
      item.tag ? el('span', { className: 'badge' }, `tag ${item.tag}`) : null,
      item.missing ? el('span', { className: 'badge missing' }, 'not in tar') : null,
      el('span', { className: 'node-meta' }, meta),
      item.children && item.children.length ? el('span', { className: 'node-meta node-count' }, plural(item.children.length, 'item')) : null,
    ),
  );
  const build = () => nodeBody(item, depth, lazy);
  const open = depth < 1;
  const details = el('details', { open, dataset: { kind: item.kind, digest: item.digest || '', children: String((item.children || []).length) } }, summary);
  if (!lazy || open) {
    details.append(...build());
  } else {
    details.airlockBuild = build;
    details.addEventListener('toggle', () => {
      if (details.open) fill(details);
    });
  }
  return details;
}

function nodeBody(item, depth, lazy) {
  const body = [];
  if (item.source && item.digest && !item.source.endsWith(item.digest)) {
    body.push(el('div', { className: 'leaf' }, el('span', { className: 'node-meta' }, 'digest'), el('span', { className: 'node-name' }, item.digest)));
  }
  for (const l of item.layers || []) {
    body.push(
      el(
        'div',
        { className: 'leaf', dataset: { layer: l.digest } },
        el('span', { className: 'badge' }, l.role || 'layer'),
        el('span', { className: 'node-name', attrs: { title: l.digest } }, shortDigest(l.digest)),
        el('span', { className: 'node-meta' }, [formatBytes(l.size), l.mediaType].join(' · ')),
        l.nonDistributable ? el('span', { className: 'badge skip' }, 'non-distributable') : null,
        l.present === false ? el('span', { className: 'badge missing' }, 'not in tar') : null,
      ),
    );
  }
  pagedChildren(body, item.children || [], depth + 1, lazy);
  return body;
}

function countItems(items) {
  const counts = { bundle: 0, image: 0, index: 0, signature: 0, layers: 0 };
  const seen = new Set();
  const layers = new Set();
  const walk = (list) => {
    for (const i of list) {
      const key = `${i.kind}:${i.digest}`;
      if (!seen.has(key)) {
        seen.add(key);
        if (i.kind in counts) counts[i.kind] += 1;
        for (const l of i.layers || []) if (l.role !== 'config') layers.add(l.digest);
      }
      walk(i.children || []);
    }
  };
  walk(items);
  counts.layers = layers.size;
  return counts;
}

function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/yaml' }));
  const a = el('a', { attrs: { href: url, download: filename }, className: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
