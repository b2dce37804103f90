// Verify worker: instantiates the Airlock wasm module and hashes byte ranges
// of the opened File in 4 MiB Blob.slice() reads, reporting progress. Several
// of these run at once (one per core) under js/verify-pool.js.
//
// Messages in:  {type: 'file', file}
//               {type: 'hash', id, offset, size, chunk}
// Messages out: {type: 'ready'} | {type: 'fatal', message}
//               {type: 'progress', id, bytes} (bytes hashed since the last report)
//               {type: 'done', id, digest, size} | {type: 'error', id, message}

import init, { Sha256 } from '../../pkg/airlock.js';

let file = null;
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
    const digest = await hashRange(msg.id, msg.offset, msg.size, msg.chunk);
    self.postMessage({ type: 'done', id: msg.id, digest, size: msg.size });
  } catch (e) {
    self.postMessage({ type: 'error', id: msg.id, message: String((e && e.message) || e) });
  }
};
