// The page's side of the push worker (workers/push-worker.js): one worker
// per opened tarball, holding its own copy of the archive, so the copy
// session and its thousands of requests run off the main thread. No DOM.

import { codedError } from './errors.js';
import { workerScriptUrl } from './trusted.js';

export class PushClient {
  constructor(file, { workerUrl = new URL('./workers/push-worker.js', import.meta.url) } = {}) {
    this.worker = new Worker(workerScriptUrl(workerUrl), { type: 'module', name: 'airlock-push' });
    this.worker.postMessage({ type: 'open', file });
    this.current = null;
    this.fatal = null;
    this.worker.onmessage = (event) => this.message(event.data);
    this.worker.onerror = (e) => this.fail({ code: 'E_WASM', message: `push worker failed: ${e.message || 'script error'}` });
  }

  message(m) {
    if (m.type === 'fatal') {
      this.fatal = m.error;
      this.fail(m.error);
    } else if (!this.current) {
      // nothing running
    } else if (m.type === 'progress') {
      this.current.onProgress(m.progress);
    } else if (m.type === 'done') {
      const c = this.current;
      this.current = null;
      c.resolve(m.summary);
    } else if (m.type === 'failed') {
      this.fail(m.error);
    }
  }

  fail(error) {
    const c = this.current;
    this.current = null;
    if (c) c.reject(Object.assign(codedError(error.code || 'E_INTERNAL', error.message || 'push failed'), error));
  }

  /**
   * Runs one copy: `options` as archive.copy takes them (no onProgress);
   * `gzippedLayers`: the page's `archive.gzippedLayers()` for the worker's
   * archive to use (docker-archives pushed with gzip layers), or null.
   */
  push(options, onProgress, gzippedLayers = null) {
    if (this.current) return Promise.reject(codedError('E_INTERNAL', 'a push is already running'));
    if (this.fatal) return Promise.reject(Object.assign(codedError(this.fatal.code, this.fatal.message), this.fatal));
    return new Promise((resolve, reject) => {
      this.current = { resolve, reject, onProgress };
      this.worker.postMessage({ type: 'push', options, gzippedLayers });
    });
  }

  cancel() {
    if (this.current) this.worker.postMessage({ type: 'cancel' });
  }

  terminate() {
    this.worker.terminate();
    this.fail({ code: 'E_CANCELLED', message: 'push stopped' });
  }
}
