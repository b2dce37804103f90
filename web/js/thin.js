// Thin tars in the page (DOM, like view.js; untrusted text only through
// el()/textContent): the omitted layers in the tree ("expected in REPO"),
// their count and bytes in the contents and the preview, the verify note,
// the thin import check's result or refusal at the push, and the
// destination step's "Download receipt". The texts come from the core
// (`archive.thin()`, the push summary and errors): the CLI prints the same.

import { $, clear, el, replace } from './dom.js';
import { explain } from './errors.js';
import { formatBytes, plural } from './format.js';
import { byIds, download } from './view/common.js';

// What the tree's layer badges need: the omitted digests and the destination.
const state = { digests: new Set(), repository: '' };

function expectedText() {
  return `expected in ${state.repository || 'the destination registry'}`;
}

/**
 * The badge of a layer the tar does not hold (view.js's tree calls this):
 * "expected in REPO" for a thin tar's omitted layer, else "not in tar".
 */
export function missingLayerBadge(layer) {
  if (state.digests.has(layer.digest)) {
    return el('span', { className: 'badge expected', dataset: { expected: 'true' }, attrs: { title: 'left out of this thin tar; the push checks that the registry has it before it writes' } }, expectedText());
  }
  return el('span', { className: 'badge missing' }, 'not in tar');
}

export class ThinView {
  constructor() {
    Object.assign(this, byIds('tree', 'file-summary', 'preview-body', 'verify-result', 'push-result'));
    this.info = null;
    // Contents: the omitted layers, under the file summary.
    this.contents = el('div', { id: 'thin-contents', className: 'alert warn', attrs: { 'data-thin': 'contents' }, hidden: true });
    this.fileSummary.after(this.contents);
    // Preview: their count and bytes, above the table.
    this.preview = el('p', { id: 'thin-preview', className: 'alert warn', attrs: { 'data-thin': 'preview' }, hidden: true });
    this.previewBody.prepend(this.preview);
    // Destination: "Download receipt", next to "Test connection".
    const test = $('test-connection');
    this.receiptButton = el('button', { type: 'button', id: 'download-receipt', attrs: { 'aria-describedby': 'receipt-help' } }, 'Download receipt');
    this.receiptStatus = el('span', { id: 'receipt-status', className: 'muted', attrs: { 'aria-live': 'polite' } });
    test.after(this.receiptButton);
    this.receiptButton.after(this.receiptStatus);
    this.receiptHelp = el(
      'p',
      { id: 'receipt-help', className: 'muted' },
      'A receipt lists what this repository holds (every tag, manifest and blob), as ',
      el('code', {}, 'airlock receipt'),
      ' writes it: carry it to the connected side, where ',
      el('code', {}, 'airlock copy … --to-tar thin.tar --skip-blobs receipt.json'),
      ' leaves those layers out of the next tar.',
    );
    this.receiptStatus.after(this.receiptHelp);
  }

  /** A tarball was opened: `info` is `archive.thin()` (null for a full tar). */
  showArchive(info, repository) {
    this.info = info;
    state.digests = new Set(info ? info.blobs.map((b) => b.digest) : []);
    state.repository = (repository || '').trim();
    this.render();
  }

  /** The destination changed: every "expected in" follows it. */
  setDestination(repository) {
    state.repository = (repository || '').trim();
    if (!this.info) return;
    for (const b of this.tree.querySelectorAll('.badge[data-expected]')) b.textContent = expectedText();
    this.render();
  }

  render() {
    const t = this.info;
    this.contents.hidden = !t;
    this.preview.hidden = !t;
    if (!t) {
      clear(this.contents);
      clear(this.preview);
      return;
    }
    const promises = t.promises.map((p) => `${p.kind} ${p.file}${p.createdAt ? ` (${p.createdAt})` : ''}`).join(', ');
    replace(
      this.contents,
      el('p', { className: 'title' }, `Thin tar: ${plural(t.count, 'layer')} (${formatBytes(t.bytes)}) left out, ${expectedText()}`),
      el('p', {}, `Listed in ${t.entry}, promised by ${promises}. The push first checks that the registry holds every one (or mounts it from a repository the receipt names) and writes nothing if one is missing. imgpkg cannot import this tar ("file … not found in tar").`),
      el('details', { className: 'thin-text' }, el('summary', {}, 'As airlock inspect prints it'), el('pre', { className: 'mono', attrs: { tabindex: '0' } }, t.inspectText)),
    );
    replace(this.preview, `Thin tar: ${plural(t.count, 'omitted layer')} (${formatBytes(t.bytes)}) are not in this tar; ${expectedText()}, checked at the start of the push.`);
  }

  /** After verify: a thin tar's note, the line `airlock verify` prints. */
  showVerifyNote(result) {
    if (!this.info || !result || !result.ok) return;
    const alert = this.verifyResult.querySelector('.alert');
    if (alert) alert.append(el('p', { attrs: { 'data-thin': 'verify' } }, this.info.verifyNote));
  }

  /** While the push runs its thin check: says so; returns whether it did. */
  showPushProgress(progress) {
    if (!progress || progress.phase !== 'thin-check') return false;
    $('push-stats').textContent = `Checking that ${state.repository || 'the registry'} has the ${plural(this.info ? this.info.count : 0, 'omitted layer')}…`;
    return true;
  }

  /** After a push: the check's result line. */
  showPushCheck(summary) {
    if (!summary || !summary.thinCheck) return;
    const alert = this.pushResult.querySelector('.alert');
    if (alert) alert.append(el('p', { attrs: { 'data-thin': 'check' } }, summary.thinCheck));
  }

  /** A refused thin push: each missing layer, the image needing it, its promise. */
  showRefusal(err) {
    if (!err || err.code !== 'E_THIN') return;
    const alert = this.pushResult.querySelector('.alert');
    if (!alert) return;
    const missing = Array.isArray(err.missing) ? err.missing : [];
    // The error block already shows the message (the CLI's refusal, word
    // for word): keep its lines.
    const message = alert.querySelector('.message');
    if (message) {
      message.classList.add('thin-text');
      message.dataset.thin = 'cli-text';
    }
    alert.append(
      el('p', { className: 'title', attrs: { 'data-thin': 'refused' } }, 'Nothing was pushed.'),
      el(
        'ul',
        { className: 'problems', attrs: { 'data-thin': 'missing' } },
        missing.map((m) => el('li', { dataset: { digest: m.digest } }, el('span', { className: 'mono' }, m.digest), ` (${formatBytes(m.size)}), needed by ${m.images.join(', ')}; promised by ${m.promisedBy}`)),
      ),
    );
  }

  bindReceipt(handler) {
    this.receiptButton.addEventListener('click', handler);
  }

  showReceiptBusy() {
    this.receiptButton.disabled = true;
    this.receiptStatus.textContent = 'Reading the repository…';
  }

  showReceipt(json, filename) {
    this.receiptButton.disabled = false;
    const r = JSON.parse(json);
    const c = r.counts;
    this.receiptStatus.textContent = `${filename}: ${plural(c.tags, 'tag')}, ${plural(c.manifests, 'manifest')}, ${plural(c.blobs, 'blob')} (${formatBytes(c.blobBytes)}).`;
    download(filename, json, 'application/json');
  }

  showReceiptError(err) {
    this.receiptButton.disabled = false;
    const x = explain(err);
    this.receiptStatus.textContent = `No receipt: ${x.title}. ${x.message}`;
  }
}
