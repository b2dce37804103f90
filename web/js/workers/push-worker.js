// Push worker: runs the copy session and its transport (fetch + XHR, Blob
// slices of the File) off the page's main thread, so the page stays
// responsive during a push of thousands of requests. One per opened
// tarball (js/push-client.js); the archive is opened here once and reused
// by "Push again".
//
// Messages in:  {type: 'open', file}
//               {type: 'push', options, gzippedLayers}   (archive.copy options, no
//                 onProgress; gzippedLayers: the page's first gzip pass, or null)
//               {type: 'cancel'}
// Messages out: {type: 'ready'} | {type: 'fatal', error}
//               {type: 'progress', progress}   (at most every PROGRESS_MS)
//               {type: 'done', summary} | {type: 'failed', error}
// Errors travel as {code, message, ...own fields}.

import init, { openArchive } from '../../pkg/airlock.js';

const PROGRESS_MS = 100;

let archive = null;
let opening = null;
let job = null;

const plainError = (e) => {
  const out = { code: (e && e.code) || 'E_INTERNAL', message: String((e && e.message) || e) };
  if (e && typeof e === 'object') {
    for (const [k, v] of Object.entries(e)) if (['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v)) out[k] = v;
  }
  return out;
};

const ready = init().then(
  () => self.postMessage({ type: 'ready' }),
  (e) => {
    self.postMessage({ type: 'fatal', error: { code: 'E_WASM', message: `push worker could not load the wasm module: ${(e && e.message) || e}` } });
    throw e;
  },
);

async function push(options, gzippedLayers) {
  await ready;
  if (!archive) archive = await opening;
  if (gzippedLayers && !archive.gzippedLayers()) archive.useGzippedLayers(gzippedLayers);
  let last = 0;
  let pending = null;
  let timer = 0;
  const flush = () => {
    timer = 0;
    last = performance.now();
    if (pending) self.postMessage({ type: 'progress', progress: pending });
    pending = null;
  };
  job = archive.copy({
    ...options,
    onProgress: (p) => {
      pending = p;
      if (p.phase === 'done') {
        clearTimeout(timer);
        flush();
      } else if (!timer) {
        timer = setTimeout(flush, Math.max(0, PROGRESS_MS - (performance.now() - last)));
      }
    },
  });
  try {
    const summary = await job.done;
    clearTimeout(timer);
    self.postMessage({ type: 'done', summary });
  } finally {
    clearTimeout(timer);
    job = null;
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'open') {
    opening = ready.then(() => openArchive(msg.file));
    opening.catch(() => {});
  } else if (msg.type === 'push') {
    push(msg.options, msg.gzippedLayers).catch((e) => self.postMessage({ type: 'failed', error: plainError(e) }));
  } else if (msg.type === 'cancel') {
    if (job) job.cancel();
  }
};
