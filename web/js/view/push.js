// Step 5 of the view: the Push button (and why it is off), its progress
// (total and per blob) and the final summary or error.

import { clear, el, replace } from '../dom.js';
import { explain } from '../errors.js';
import { formatBytes, formatDuration, formatRate, shortDigest } from '../format.js';
import { byIds, errorBlock } from './common.js';

export class PushView {
  constructor() {
    Object.assign(this, byIds('push-start', 'push-cancel', 'push-reason', 'push-progress', 'push-bar', 'push-stats', 'push-active', 'push-result'));
  }

  /** A new tarball: no result, the button says "Push". */
  reset() {
    clear(this.pushResult);
    clear(this.pushActive);
    this.pushProgress.hidden = true;
    this.pushBar.value = 0;
    this.pushStats.textContent = '';
    this.pushStart.textContent = 'Push';
  }

  bind(start, cancel) {
    this.pushStart.addEventListener('click', start);
    this.pushCancel.addEventListener('click', cancel);
  }

  /** Push on or off; when off, why, in visible text next to the button. */
  setEnabled(enabled, reason = '') {
    this.pushStart.disabled = !enabled;
    this.pushReason.textContent = enabled ? '' : reason;
  }

  showRunning() {
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

  showCancelling() {
    this.pushCancel.disabled = true;
    this.pushStats.textContent = 'Cancelling…';
  }

  showProgress(p) {
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

  showResult(s) {
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
        s.repositories && s.repositories.length > 1 ? el('ul', { className: 'repositories' }, s.repositories.map((r) => el('li', { className: 'mono' }, r))) : null,
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
        s.requests ? el('p', { className: 'muted', attrs: { 'data-requests': '' } }, `${s.requests} requests, at most ${s.maxInFlight} in flight of ${s.concurrency} allowed (${(s.meanInFlight || 0).toFixed(1)} on average).`) : null,
        s.uploadNote ? el('p', { attrs: { 'data-upload-note': '' } }, `${s.uploadNote[0].toUpperCase()}${s.uploadNote.slice(1)}.`) : null,
      ),
    );
  }

  showError(err) {
    this.pushCancel.hidden = true;
    this.pushStart.disabled = false;
    this.pushStart.textContent = 'Push again';
    clear(this.pushActive);
    this.pushStats.textContent = '';
    const x = explain(err);
    replace(this.pushResult, errorBlock(x, { cancelled: x.code === 'E_CANCELLED' }));
  }
}
