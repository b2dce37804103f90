#!/usr/bin/env node
// The page's docker-archive push, uncompressed layers vs `dockerLayers:
// 'gzip'` (issue 11): bench/archives.sh's 512 MiB docker-archive opened in
// the page; each run opens the File afresh (so gzip pays its first pass, as
// the push worker does) and copies it on the main thread into a fresh
// repository of one local Distribution behind the page's nginx. Rounds
// alternate; prints seconds per run and medians. With gzip, the pushed tags
// are compared with `airlock copy --docker-layers gzip` of the same tar when
// target/release/airlock exists.
// Usage: node bench/archives-page.mjs [rounds]

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPage, sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';
import { tagLines } from '../tests/e2e/harness/registry-client.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1 << 20;
// The docker-archive bench/archives.sh makes (8 images x 4 layers x 16 MiB).
const docker = path.join(ROOT, 'bench-out/big-512m-docker.tar');
if (!existsSync(docker)) {
  console.error(`${docker} is missing: run bench/archives.sh first (it makes it)`);
  process.exit(2);
}
const rounds = Number(process.argv[2] || 3);
const size = statSync(docker).size;
const stack = new Stack();
try {
  const env = await sameOrigin(stack);
  const ui = await browserPage(stack);
  await ui.airlock.goto(env.origin);
  if (!(await ui.airlock.open(docker))) throw new Error(await ui.airlock.openError());
  const res = { tar: [], gzip: [] };
  let n = 0;
  let gzipRepo = null;
  for (let r = 0; r < rounds; r += 1) {
    for (const v of ['tar', 'gzip']) {
      n += 1;
      const repo = `ap/r${n}`;
      const s = await ui.page.evaluate(
        async ({ repository, dockerLayers }) => {
          const m = await import(new URL('pkg/airlock.js', location.href).href);
          await m.default();
          // The File the page opened (the input itself is cleared after each pick).
          const file = globalThis.airlockApp.model.file;
          const t0 = performance.now();
          const archive = await m.openArchive(file);
          let compressed = null;
          const job = archive.copy({ repository, dockerLayers, toRepoPrefix: true, onProgress: (p) => { if (p.phase !== 'compressing' && compressed === null) compressed = performance.now() - t0; } });
          const sum = await job.done;
          archive.free();
          return { s: (performance.now() - t0) / 1000, pass1: compressed / 1000, bytes: sum.bytesUploaded, note: sum.uploadNote };
        },
        { repository: `${env.host}/${repo}`, dockerLayers: v },
      );
      res[v].push(s.s);
      if (v === 'gzip') gzipRepo = repo;
      console.error(`${v}: ${s.s.toFixed(2)} s${v === 'gzip' ? ` (pass 1 ${s.pass1.toFixed(2)} s)` : ''}, ${(s.bytes / MiB).toFixed(1)} MiB uploaded, ${s.note || 'one request per blob'}`);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`docker-archive ${(size / MiB).toFixed(0)} MiB, ${rounds} rounds`);
  for (const v of ['tar', 'gzip']) console.log(`${v.padEnd(5)} median ${med(res[v]).toFixed(2)} s (${(size / MiB / med(res[v])).toFixed(0)} MiB/s)  runs ${res[v].map((x) => x.toFixed(2)).join(', ')}`);
  // The page's own flow: the Push button, the copy in the push worker. With
  // gzip the first pass runs once, on the main thread, for the preview's
  // digests; the worker takes its results (useGzippedLayers) and only
  // compresses again while uploading.
  if (!(await ui.airlock.open(docker))) throw new Error(await ui.airlock.openError());
  await ui.airlock.setOption('#opt-to-repo-prefix', true);
  const flow = {};
  for (const v of ['tar', 'gzip']) {
    await ui.page.selectOption('#opt-docker-layers', v);
    const t0 = performance.now();
    await ui.airlock.setRepository(`${env.host}/ui-${v}`);
    const want = v === 'gzip' ? 'tar+gzip' : 'layer.v1.tar';
    await ui.page.waitForFunction((w) => (document.getElementById('preview-layers')?.textContent || '').endsWith(w), want, { timeout: 600000 });
    const preview = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const r = await ui.airlock.push(600000);
    if (r.result !== 'pushed') throw new Error(`page push (${v}) failed: ${r.text}`);
    flow[v] = { preview, push: (performance.now() - t1) / 1000 };
    console.error(`page flow ${v}: preview ${preview.toFixed(2)} s, push ${flow[v].push.toFixed(2)} s`);
  }
  for (const v of ['tar', 'gzip']) console.log(`page flow (Push button, worker) ${v.padEnd(5)} preview ${flow[v].preview.toFixed(2)} s, push ${flow[v].push.toFixed(2)} s (${(size / MiB / flow[v].push).toFixed(0)} MiB/s)`);
  const cli = path.join(ROOT, 'target/release/airlock');
  if (existsSync(cli)) {
    await promisify(execFile)(cli, ['copy', '--tar', docker, '--to-repo-prefix', `${env.registry.host}/cli`, '--docker-layers', 'gzip'], { maxBuffer: 64 << 20 });
    for (const app of Array.from({ length: 8 }, (_, i) => `bench/app-${i}`)) {
      const page = await tagLines(env.registry.base, `${gzipRepo}/${app}`);
      const cliTags = await tagLines(env.registry.base, `cli/${app}`);
      console.log(`${app}: page ${page.join()} | cli ${cliTags.join()} | ${page.join() === cliTags.join() && page.length ? 'same' : 'DIFFERENT'}`);
    }
  }
} finally {
  await stack.stop();
}
