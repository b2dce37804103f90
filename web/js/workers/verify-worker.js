// Verify worker: hashes byte ranges of the opened File. Several of these run
// at once (one per core) under js/verify-pool.js.
//
// Ranges up to WHOLE_MAX are read with one Blob.slice() and hashed by
// WebCrypto (`crypto.subtle.digest`, ~1.7× the wasm sha2 here, and it runs
// off this thread, so the next read overlaps it); larger ranges stream
// through the wasm Sha256 in 4 MiB slices (WebCrypto cannot stream), so a
// worker never holds more than WHOLE_MAX + one slice.
//
// Messages in:  {type: 'file', file}
//               {type: 'hash', id, offset, size, chunk, wholeMax?}
// Messages out: {type: 'ready'} | {type: 'fatal', message}
//               {type: 'progress', id, bytes} (bytes hashed since the last report)
//               {type: 'done', id, digest, size} | {type: 'error', id, message}

import init, { Sha256 } from '../../pkg/airlock.js';

let file = null;
const WHOLE_MAX = 64 * 1024 * 1024;

async function hashWhole(id, offset, size) {
  const buf = await file.slice(offset, offset + size).arrayBuffer();
  if (buf.byteLength !== size) throw new Error(`short read at offset ${offset}: got ${buf.byteLength} of ${size} bytes`);
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  self.postMessage({ type: 'progress', id, bytes: size });
  let hex = '';
  for (const b of d) hex += b.toString(16).padStart(2, '0');
  return `sha256:${hex}`;
}
const ready = init().then(
  () => self.postMessage({ type: 'ready' }),
  (e) => self.postMessage({ type: 'fatal', message: String((e && e.message) || e) }),
);

async function hashRange(id, offset, size, chunk) {
  const hasher = new Sha256();
  let pos = 0;
  // Read the next slice while the current one is being hashed.
  const read = (at) => {
    const n = Math.min(chunk, size - at);
    return file.slice(offset + at, offset + at + n).arrayBuffer();
  };
  let next = size > 0 ? read(0) : null;
  while (pos < size) {
    const buf = await next;
    const n = Math.min(chunk, size - pos);
    if (buf.byteLength !== n) {
      throw new Error(`short read at offset ${offset + pos}: got ${buf.byteLength} of ${n} bytes`);
    }
    pos += n;
    next = pos < size ? read(pos) : null;
    hasher.update(new Uint8Array(buf));
    self.postMessage({ type: 'progress', id, bytes: n });
  }
  return hasher.finish();
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'file') {
    file = msg.file;
    return;
  }
  if (msg.type !== 'hash') return;
  await ready;
  try {
    if (!file) throw new Error('no file was sent to the worker');
    const whole = msg.size <= (msg.wholeMax ?? WHOLE_MAX) && globalThis.crypto && crypto.subtle;
    const digest = whole ? await hashWhole(msg.id, msg.offset, msg.size) : await hashRange(msg.id, msg.offset, msg.size, msg.chunk);
    self.postMessage({ type: 'done', id: msg.id, digest, size: msg.size });
  } catch (e) {
    self.postMessage({ type: 'error', id: msg.id, message: String((e && e.message) || e) });
  }
};
