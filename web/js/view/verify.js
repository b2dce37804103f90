// Step 2 of the view: the Verify button, its progress bar and the result
// (every problem, or "All N blobs verified").

import { clear, el, replace } from '../dom.js';
import { explain } from '../errors.js';
import { formatBytes, formatDuration, formatRate, plural } from '../format.js';
import { byIds, errorBlock } from './common.js';

export class VerifyView {
  constructor() {
    Object.assign(this, byIds('verify-start', 'verify-cancel', 'verify-progress', 'verify-bar', 'verify-progress-text', 'verify-result'));
  }

  /** A new tarball: no result, the button says "Verify". */
  reset() {
    clear(this.verifyResult);
    this.verifyProgress.hidden = true;
    this.verifyBar.value = 0;
    this.verifyProgressText.textContent = '';
    this.verifyStart.disabled = false;
    this.verifyStart.hidden = false;
    this.verifyStart.textContent = 'Verify';
    this.verifyCancel.hidden = true;
  }

  bind(start, cancel) {
    this.verifyStart.addEventListener('click', start);
    this.verifyCancel.addEventListener('click', cancel);
  }

  showRunning() {
    this.verifyStart.disabled = true;
    this.verifyCancel.hidden = false;
    this.verifyProgress.hidden = false;
    this.verifyBar.value = 0;
    this.verifyProgressText.textContent = 'Checking structure…';
    clear(this.verifyResult);
  }

  showProgress(p) {
    this.verifyBar.value = p.totalBytes > 0 ? p.doneBytes / p.totalBytes : 0;
    this.verifyProgressText.textContent = `${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} · ${p.doneBlobs} of ${plural(p.totalBlobs, 'blob')} · ${formatRate(p.rate)} · ${Number.isFinite(p.eta) ? `${formatDuration(p.eta)} left` : ''}`;
  }

  showResult(v) {
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

  showError(err) {
    this.verifyStart.disabled = false;
    this.verifyCancel.hidden = true;
    this.verifyProgress.hidden = true;
    replace(this.verifyResult, errorBlock(explain(err)));
  }
}
