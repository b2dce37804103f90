// Headless Chromium driven over a bare DevTools pipe, for benchmarks that
// measure the page as a user's browser runs it. Playwright (the e2e tests'
// driver) enables the Network domain in every page and worker, and the test
// entry needs the Fetch domain; both put the browser's DevTools machinery
// on the path of every request (a bare HEAD loop: ~220 req/s under
// Playwright, ~390 req/s here, same machine, same minute). This driver
// enables nothing but what it uses: `Fetch` only while the page loads (to
// answer web/js/main.js with the test entry, then disabled), `Runtime` to
// evaluate, `DOM` to hand the file input a file, `Performance` for the
// main thread's busy time. PAGE_DRIVER=playwright in the benchmarks that use
// it measures the same steps under Playwright instead.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, TEST_ENTRY_PATTERNS, testEntryFulfillment } from '../tests/e2e/harness/browser.mjs';
import { requireFile } from '../tests/e2e/harness/procs.mjs';

/** A CDP connection over Chromium's --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-framed JSON). */
class Pipe {
  constructor(proc) {
    this.out = proc.stdio[3];
    this.next = 1;
    this.waiting = new Map();
    this.listeners = [];
    let buf = '';
    proc.stdio[4].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const m = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m.id && this.waiting.has(m.id)) {
          const { resolve, reject, method } = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          if (m.error) reject(new Error(`${method}: ${m.error.message}`));
          else resolve(m.result);
        } else if (m.method) {
          for (const l of this.listeners) l(m);
        }
      }
    });
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.out.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }
}

/** One tab: evaluate functions in it, give its file input files. */
class Tab {
  constructor(pipe, sessionId) {
    this.pipe = pipe;
    this.sessionId = sessionId;
  }

  send(method, params) {
    return this.pipe.send(method, params, this.sessionId);
  }

  /** `fn(arg)` in the page; its (awaited) result by value. */
  async evaluate(fn, arg) {
    const r = await this.send('Runtime.evaluate', { expression: `(${fn.toString()})(${JSON.stringify(arg)})`, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Resolves once `fn(arg)` is truthy in the page (polled every `every` ms). */
  async waitFor(fn, arg, { timeout = 60000, every = 50 } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(fn, arg);
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString().slice(0, 120)}`);
      await new Promise((r) => setTimeout(r, every));
    }
  }

  async selectOption(selector, value) {
    await this.evaluate(({ selector, value }) => {
      const s = document.querySelector(selector);
      s.value = value;
      s.dispatchEvent(new Event('change', { bubbles: true }));
    }, { selector, value });
  }

  /** The main thread's busy time so far (CDP Performance `TaskDuration`, seconds). */
  async taskDuration() {
    if (!this.performance) {
      await this.send('Performance.enable');
      this.performance = true;
    }
    return (await this.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  }

  async setInputFiles(selector, files) {
    const { root } = await this.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await this.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    await this.send('DOM.setFileInputFiles', { nodeId, files });
  }
}

/** Starts Chromium; `newTab()` opens a blank tab. */
export async function rawChromium({ ignoreHTTPSErrors = false } = {}) {
  requireFile(CHROMIUM, 'install Debian package chromium (scripts/setup.sh does)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airlock-raw-chromium-'));
  const args = [...CHROMIUM_ARGS, `--user-data-dir=${dir}`, '--remote-debugging-pipe', '--window-size=1280,900'];
  if (ignoreHTTPSErrors) args.push('--ignore-certificate-errors');
  args.push('about:blank');
  const proc = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => proc.on('exit', r));
  const pipe = new Pipe(proc);
  await pipe.send('Browser.getVersion');
  return {
    async newTab() {
      const { targetId } = await pipe.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await pipe.send('Target.attachToTarget', { targetId, flatten: true });
      return new Tab(pipe, sessionId);
    },
    async stop() {
      // Browser.close lets Chromium end its own child processes; kill only if it does not answer.
      await Promise.race([pipe.send('Browser.close').catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill();
      await exited;
      // Chromium's helper processes may still be writing into the profile
      // for a moment after the browser exits.
      for (let i = 0; ; i += 1) {
        try {
          rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
          break;
        } catch (e) {
          if (i === 4) throw e;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
  };
}

/**
 * The page's controls, as tests/e2e/pages/airlock-page.mjs drives them
 * (the subset the benchmarks use), through a Tab.
 */
class RawAirlock {
  constructor(tab) {
    this.tab = tab;
  }

  /** Loads the page with the test entry for web/js/main.js; the Fetch domain is off again once it is ready. */
  async goto(origin) {
    const tab = this.tab;
    tab.pipe.listeners.push((m) => {
      if (m.sessionId !== tab.sessionId || m.method !== 'Fetch.requestPaused') return;
      tab.send('Fetch.fulfillRequest', testEntryFulfillment(m.params.requestId)).catch(() => {});
    });
    await tab.send('Fetch.enable', { patterns: TEST_ENTRY_PATTERNS });
    await tab.send('Page.navigate', { url: `${origin}/` });
    await tab.waitFor(() => globalThis.airlockApp && /Ready|Could not|failed/.test(document.getElementById('app-status')?.textContent || ''));
    await tab.send('Fetch.disable');
  }

  /** Opens a tarball with the file input; resolves to true once it shows, false when it failed. */
  async open(tarPath) {
    await this.tab.evaluate(() => {
      globalThis.__openSeen = globalThis.airlockApp.controller.lastOpen;
      document.getElementById('open-error').hidden = true;
    });
    await this.tab.setInputFiles('#file-input', [tarPath]);
    await this.tab.waitFor(() => globalThis.airlockApp.controller.lastOpen !== globalThis.__openSeen || !document.getElementById('open-error').hidden, undefined, { timeout: 120000, every: 10 });
    // The preview is planned after the tree is drawn.
    await this.tab.waitFor(() => globalThis.airlockApp.controller.previewPending == null, undefined, { timeout: 120000, every: 10 });
    return this.tab.evaluate(() => document.getElementById('open-error').hidden);
  }

  openError() {
    return this.tab.evaluate(() => document.getElementById('open-error').textContent);
  }

  async verify() {
    await this.tab.evaluate(() => document.getElementById('verify-start').click());
    await this.tab.waitFor(() => document.querySelector('#verify-result .alert'), undefined, { timeout: 600000 });
  }

  async setRepository(repo) {
    await this.tab.evaluate((repo) => {
      const r = document.getElementById('repository');
      r.value = repo;
      r.dispatchEvent(new Event('input', { bubbles: true }));
    }, repo);
    await this.tab.waitFor(() => !document.getElementById('preview-body').hidden || !document.getElementById('preview-error').hidden);
    await new Promise((r) => setTimeout(r, 200));
  }

  /** Clicks Push; resolves to {result, text} once the result shows. */
  async push(timeout = 120000) {
    await this.tab.evaluate(() => {
      globalThis.__pushResultSeen = document.querySelector('#push-result .alert');
      document.getElementById('push-start').click();
    });
    await this.tab.waitFor(() => {
      const a = document.querySelector('#push-result .alert');
      return a && a !== globalThis.__pushResultSeen;
    }, undefined, { timeout, every: 100 });
    return this.tab.evaluate(() => {
      const a = document.querySelector('#push-result .alert');
      return { result: a.dataset.result, code: a.dataset.code, text: document.getElementById('push-result').textContent };
    });
  }
}

/**
 * A raw Chromium tab with the page's driver, stopped by `stack`:
 * `{ page, airlock }` like tests/e2e/harness/env.mjs's browserPage, where
 * `page` offers evaluate, selectOption and metrics.
 */
export async function rawPage(stack, { ignoreHTTPSErrors = false } = {}) {
  const browser = stack.add(await rawChromium({ ignoreHTTPSErrors }));
  const tab = await browser.newTab();
  return { page: tab, airlock: new RawAirlock(tab) };
}
