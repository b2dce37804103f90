// Page object for the Airlock page: the tests speak in user actions
// (open, verify, set destination, push) and read what the user sees.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/procs.mjs';

export class AirlockPage {
  constructor(page) {
    this.page = page;
  }

  async goto(origin) {
    await this.page.goto(`${origin}/`);
    await this.page.waitForFunction(() => /Ready|Could not|failed/.test(document.getElementById('app-status').textContent));
    return this.status();
  }

  status() {
    return this.page.textContent('#app-status');
  }

  // --- open ---------------------------------------------------------------

  /**
   * Opens a tarball with the file picker; resolves once it shows (and its
   * preview, planned after the tree is drawn) or fails.
   */
  async open(tarPath) {
    await this.page.setInputFiles('#file-input', tarPath);
    await this.page.waitForSelector('#inspect:not([hidden]), #open-error:not([hidden])');
    await this.page.waitForFunction(() => globalThis.airlockApp.controller.previewPending == null);
    return this.page.isVisible('#inspect');
  }

  openError() {
    return this.page.textContent('#open-error');
  }

  /** Every tree node: {kind, digest, name, depth}. */
  treeNodes() {
    return this.page.$$eval('#tree details', (nodes) =>
      nodes.map((d) => {
        let depth = 0;
        for (let p = d.parentElement; p && p.id !== 'tree'; p = p.parentElement) if (p.tagName === 'DETAILS') depth += 1;
        return { kind: d.dataset.kind, digest: d.dataset.digest, name: d.querySelector(':scope > summary .node-name').textContent, depth };
      }),
    );
  }

  /** Layer digests shown under the node with `digest`. */
  treeLayers(digest) {
    return this.page.$$eval(`#tree details[data-digest="${digest}"] > .leaf[data-layer]`, (ls) => ls.map((l) => l.dataset.layer));
  }

  bundleFiles() {
    return this.page.$$eval('#bundle-files button .path', (ps) => ps.map((p) => p.textContent));
  }

  async viewFile(filePath) {
    const buttons = await this.page.$$('#bundle-files button[data-path]');
    for (const b of buttons) {
      if ((await b.getAttribute('data-path')) === filePath) {
        await b.click();
        await this.page.waitForSelector('#file-view:not([hidden])');
        return this.page.textContent('#file-view-text');
      }
    }
    throw new Error(`no bundle file ${filePath}`);
  }

  // --- verify ---------------------------------------------------------------

  async verify() {
    await this.page.click('#verify-start');
    await this.page.waitForSelector('#verify-result .alert');
    return this.verifyResult();
  }

  async verifyResult() {
    const result = await this.page.getAttribute('#verify-result .alert', 'data-result');
    const problems = await this.page.$$eval('#verify-result .problems li', (li) => li.map((l) => l.textContent));
    return { result, text: await this.page.textContent('#verify-result'), problems };
  }

  // --- destination -------------------------------------------------------------

  async setRepository(repo) {
    await this.page.fill('#repository', repo);
    // The preview refreshes shortly after typing stops.
    await this.page.waitForSelector('#preview-body:not([hidden]), #preview-error:not([hidden])');
    await this.page.waitForTimeout(200);
  }

  async useCredentials(username, password) {
    await this.page.check('#auth-password');
    await this.page.fill('#username', username);
    await this.page.fill('#password', password);
  }

  async useAnonymous() {
    await this.page.check('#auth-anonymous');
  }

  async setOption(id, on) {
    await this.page.setChecked(id, on);
  }

  async testConnection() {
    await this.page.click('#test-connection');
    await this.page.waitForSelector('#connection-result .alert');
    return {
      code: await this.page.getAttribute('#connection-result .alert', 'data-code'),
      text: await this.page.textContent('#connection-result'),
    };
  }

  // --- preview -------------------------------------------------------------------

  /** The rendered preview rows (after a page of a large preview has filled). */
  async previewRows() {
    await this.page.waitForSelector('#preview-rows:not([data-rendering])', { state: 'attached' });
    return this.page.$$eval('#preview-rows tr[data-kind]', (rows) =>
      rows.map((r) => {
        const td = r.querySelectorAll('td');
        return { kind: r.dataset.kind, source: td[1].textContent, destination: td[2].textContent, tags: [...td[3].querySelectorAll('span')].map((s) => s.textContent) };
      }),
    );
  }

  async filterPreview(q) {
    await this.page.fill('#preview-filter', q);
    return this.previewRows();
  }

  downloadNames() {
    return this.page.$$eval('#downloads button[data-filename]', (bs) => bs.map((b) => b.dataset.filename));
  }

  async download(filename) {
    const [dl] = await Promise.all([this.page.waitForEvent('download'), this.page.click(`#downloads button[data-filename="${filename}"]`)]);
    const file = await dl.path();
    return readFileSync(file, 'utf8');
  }

  // --- push -------------------------------------------------------------------------

  async startPush() {
    await this.page.click('#push-start');
  }

  async waitPushResult(timeout = 120000) {
    await this.page.waitForSelector('#push-result .alert', { timeout });
    return {
      result: await this.page.getAttribute('#push-result .alert', 'data-result'),
      code: await this.page.getAttribute('#push-result .alert', 'data-code'),
      text: await this.page.textContent('#push-result'),
    };
  }

  async push(timeout) {
    await this.startPush();
    return this.waitPushResult(timeout);
  }

  /** Waits until the push progress bar shows at least `fraction` (0..1). */
  async waitPushFraction(fraction, timeout = 60000) {
    await this.page.waitForFunction(
      (min) => !document.getElementById('push-progress').hidden && document.getElementById('push-bar').value >= min,
      fraction,
      { timeout, polling: 20 },
    );
  }

  /** The push result's figures, label → value ("blobs uploaded" → "3"). */
  pushMetrics() {
    return this.page.$$eval('#push-result .metric', (ms) => Object.fromEntries(ms.map((m) => [m.querySelector('.label').textContent, m.querySelector('.value').textContent])));
  }

  async cancelPush() {
    await this.page.click('#push-cancel');
  }

  /** The visible text saying why Push is off ('' when it is on). */
  async pushReason() {
    return (await this.page.textContent('#push-reason')).trim();
  }

  /** The carried-over destination notice, or null when none is shown. */
  async carriedDestination() {
    if (!(await this.page.isVisible('#destination-carried'))) return null;
    return this.page.textContent('#destination-carried-text');
  }

  async confirmDestination() {
    await this.page.click('#destination-confirm');
  }

  async clearDestination() {
    await this.page.click('#destination-clear');
  }

  /** Screenshots go to target/e2e-screenshots; AIRLOCK_SCREENSHOTS=docs
   * refreshes the README's copies in docs/screenshots instead. */
  async screenshot(name) {
    const dir = process.env.AIRLOCK_SCREENSHOTS === 'docs'
      ? path.join(ROOT, 'docs/screenshots')
      : path.join(ROOT, 'target/e2e-screenshots');
    mkdirSync(dir, { recursive: true });
    await this.page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  }
}
