// Hashes byte ranges of a File in Web Workers (one per core), largest blob
// first, so verification uses every core and the page stays responsive.
// No DOM.

import { codedError } from './errors.js';
import { workerScriptUrl } from './trusted.js';

export const CHUNK = 4 * 1024 * 1024;
export const WHOLE_MAX = 64 * 1024 * 1024;

export function defaultWorkerCount() {
  const n = Number(globalThis.navigator && navigator.hardwareConcurrency) || 2;
  return Math.max(1, Math.min(n, 8));
}

export class VerifyPool {
  /**
   * @param {object} o
   * @param {number} [o.workers] how many workers (default: one per core)
   * @param {number} [o.chunk] bytes per Blob.slice read (default 4 MiB)
   * @param {number} [o.inFlight] ranges each worker works on at once (default 1; 2 measured no faster on 2 cores)
   * @param {number} [o.wholeMax] ranges up to this size are hashed by WebCrypto in one read, larger ones by the wasm Sha256 (default 64 MiB; 0 = wasm only)
   * @param {URL|string} [o.workerUrl]
   */
  constructor({ workers = defaultWorkerCount(), chunk = CHUNK, inFlight = 1, wholeMax = WHOLE_MAX, workerUrl } = {}) {
    this.wholeMax = wholeMax;
    this.count = workers;
    this.chunk = chunk;
    this.inFlight = inFlight;
    this.workerUrl = workerUrl || new URL('./workers/verify-worker.js', import.meta.url);
    this.workers = [];
    this.cancelled = false;
    this.rejectRun = null;
  }

  /**
   * Hashes every `{name, offset, size, digest}` range of `file`.
   * Resolves to `[{blob, digest, size, error}]` in input order (`size`:
   * bytes hashed). `onProgress(doneBytes,
   * totalBytes, doneBlobs)` is called as slices are hashed.
   */
  run(file, blobs, onProgress = () => {}) {
    const totalBytes = blobs.reduce((a, b) => a + b.size, 0);
    const results = new Array(blobs.length);
    const queue = blobs.map((b, i) => i).sort((a, b) => blobs[b].size - blobs[a].size);
    let doneBytes = 0;
    let doneBlobs = 0;
    this.cancelled = false;

    return new Promise((resolve, reject) => {
      this.rejectRun = reject;
      if (blobs.length === 0) {
        resolve([]);
        return;
      }
      const n = Math.max(1, Math.min(this.count, blobs.length));
      const finish = () => {
        this.terminate();
        resolve(results);
      };
      const dispatch = (worker) => {
        if (this.cancelled) return;
        const i = queue.shift();
        if (i === undefined) {
          return;
        }
        const b = blobs[i];
        worker.postMessage({ type: 'hash', id: i, offset: b.offset, size: b.size, chunk: this.chunk, wholeMax: this.wholeMax });
      };
      for (let k = 0; k < n; k += 1) {
        const worker = new Worker(workerScriptUrl(this.workerUrl), { type: 'module', name: `airlock-verify-${k}` });
        this.workers.push(worker);
        worker.postMessage({ type: 'file', file });
        worker.onerror = (e) => {
          this.terminate();
          reject(codedError('E_WASM', `verify worker failed to start: ${e.message || 'script error'}`));
        };
        worker.onmessage = (event) => {
          const m = event.data;
          if (m.type === 'ready') {
            for (let j = 0; j < this.inFlight; j += 1) dispatch(worker);
          } else if (m.type === 'fatal') {
            this.terminate();
            reject(codedError('E_WASM', `verify worker could not load the wasm module: ${m.message}`));
          } else if (m.type === 'progress') {
            doneBytes += m.bytes;
            onProgress(doneBytes, totalBytes, doneBlobs);
          } else if (m.type === 'done' || m.type === 'error') {
            results[m.id] = {
              blob: blobs[m.id],
              digest: m.type === 'done' ? m.digest : null,
              size: m.type === 'done' ? m.size : null,
              error: m.type === 'error' ? m.message : null,
            };
            doneBlobs += 1;
            onProgress(doneBytes, totalBytes, doneBlobs);
            if (doneBlobs === blobs.length) finish();
            else dispatch(worker);
          }
        };
      }
    });
  }

  cancel() {
    this.cancelled = true;
    this.terminate();
    if (this.rejectRun) this.rejectRun(codedError('E_CANCELLED', 'verification cancelled'));
  }

  terminate() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
