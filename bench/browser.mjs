#!/usr/bin/env node
// Browser benchmarks, one run on this machine, printed as a table:
//   1. open → full tree, on a generated 512 MiB bundle and a > 4 GiB tar
//      (should be flat in tar size, ≤ 100 ms);
//   2. verify with 1 worker vs one per core (target ≥ 1.6×);
//   3. push 512 MiB into a fresh registry through the page vs `curl -T` of
//      the same bytes (the transfer limit) [vs the native CLI when given:
//      AIRLOCK_CLI=path/to/airlock];
//   4. JS heap + wasm memory while pushing the > 4 GiB tar (≤ 64 MiB).
// Usage: node bench/browser.mjs   (after scripts/build-wasm.sh; uses
// tests/e2e/node_modules). Generated tars go to bench-out/ (git-ignored).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPage, openPage, Stack } from '../tests/e2e/harness/env.mjs';
import { writeBundleTar } from '../tests/e2e/harness/make-bundle.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
mkdirSync(OUT, { recursive: true });
const MiB = 1 << 20;
const rows = [];
const row = (what, value, target = '') => {
  rows.push([what, value, target]);
  console.error(`  ${what}: ${value}`);
};

async function tarOf(name, spec) {
  const file = path.join(OUT, `${name}.tar`);
  if (!existsSync(file)) {
    console.error(`generating ${file}…`);
    await writeBundleTar(file, spec);
  }
  return file;
}

// 512 MiB: 8 images × 4 layers × 16 MiB (like the imgpkg reference numbers).
const small = await tarOf('bundle-512m', { seed: 'bench-512', images: Array.from({ length: 8 }, (_, i) => ({ repo: `bench/app${i}`, layers: [16 * MiB, 16 * MiB, 16 * MiB, 16 * MiB] })) });
// > 4 GiB: 8 images × 4 layers × 130 MiB (some entries past the 4 GiB offset).
const big = await tarOf('bundle-4g', { seed: 'bench-4g', images: Array.from({ length: 8 }, (_, i) => ({ repo: `bench/big${i}`, layers: [130 * MiB, 130 * MiB, 130 * MiB, 130 * MiB] })) });

const stack = new Stack();
try {
  const { env, ui } = await openPage(stack);
  // The page warms its wasm paths in the background at load; a user takes
  // longer than that to pick a file.
  await ui.page.evaluate(() => window.airlockApp.model.warmed);

  // 1. open → tree on screen (the first task after the tree's frame): in the
  // page, the wasm part (open + tree), the DOM update and the change handler;
  // from Node, setInputFiles → tree visible
  // (adds the CDP round trips). bench/open-first.mjs repeats the first open
  // in fresh browsers.
  for (const [label, file] of [['512 MiB', small], ['4+ GiB', big]]) {
    const t0 = Date.now();
    await ui.airlock.open(file);
    const wall = Date.now() - t0;
    const t = await ui.page.evaluate(() => window.airlockApp.controller.lastOpen);
    row(`open → tree on screen, ${label} (${(statSync(file).size / MiB).toFixed(0)} MiB)`, `${t.treePaintedMs.toFixed(0)} ms (wasm ${t.wasmMs.toFixed(0)}, DOM ${t.domMs.toFixed(0)}, handler ${t.totalMs.toFixed(0)}; ${wall} ms seen from Node, with the preview)`, '≤ 100 ms, flat');
  }

  // 2. verify: 1 worker vs one per core, on the 512 MiB tar.
  await ui.airlock.open(small);
  const verify = async (workers) =>
    ui.page.evaluate(async (w) => {
      const r = await window.airlockApp.model.verify(() => {}, w ? { workers: w } : {});
      return { mibs: r.bytes / 1048576 / r.seconds, workers: r.workers, ok: r.ok };
    }, workers);
  await verify(0); // warm the page cache
  const ones = [];
  const alls = [];
  let workers = 0;
  for (let i = 0; i < 3; i += 1) {
    ones.push((await verify(1)).mibs);
    const a = await verify(0);
    alls.push(a.mibs);
    workers = a.workers;
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const fmt = (a) => `${med(a).toFixed(0)} MiB/s (runs ${a.map((x) => x.toFixed(0)).join(', ')})`;
  row('verify 512 MiB, 1 worker', fmt(ones));
  row(`verify 512 MiB, ${workers} workers`, `${fmt(alls)}, ${(med(alls) / med(ones)).toFixed(2)}×`, '≥ 1.6×');

  // 3. push 512 MiB into a fresh repository, through the page: a fresh
  // browser with only this tar opened (as a user would; the verify runs
  // above leave Chromium slower), verified beforehand so only the push is
  // timed.
  const pushUi = await browserPage(stack);
  await pushUi.airlock.goto(env.origin);
  await pushUi.airlock.open(small);
  await pushUi.page.evaluate(() => window.airlockApp.model.verify(() => {}));
  await pushUi.airlock.setRepository(`${env.host}/bench/push512`);
  const t0 = Date.now();
  const pushed = await pushUi.airlock.push(600000);
  const pushS = (Date.now() - t0) / 1000;
  const size = statSync(small).size;
  row('push 512 MiB, page (same-origin nginx)', pushed.result === 'pushed' ? `${pushS.toFixed(2)} s, ${(size / MiB / pushS).toFixed(0)} MiB/s` : `failed: ${pushed.text}`);
  // The transfer limit: curl -T of the same bytes as one blob upload.
  // Async child processes only: a synchronous one would stop this process
  // draining the registry's log pipe, and the registry would block on it.
  const loc = (await execFileP('curl', ['-s', '-D', '-', '-o', '/dev/null', '-X', 'POST', `${env.registry.base}/v2/bench/curl/blobs/uploads/`])).stdout;
  const upload = /location: (\S+)/i.exec(loc)[1];
  const digest = `sha256:${(await execFileP('sha256sum', [small])).stdout.split(' ')[0]}`;
  const url = `${new URL(upload, env.registry.base).href}&digest=${digest}`;
  const c0 = Date.now();
  await execFileP('curl', ['-s', '-o', '/dev/null', '-T', small, '-H', 'Content-Type: application/octet-stream', url]);
  const curlS = (Date.now() - c0) / 1000;
  row('curl -T of the same 512 MiB as one blob', `${curlS.toFixed(2)} s, ${(size / MiB / curlS).toFixed(0)} MiB/s`);
  // The same layers as the page uploads them: 33 blobs, 6 curl uploads at once.
  const layersDir = path.join(OUT, 'layers-512m');
  mkdirSync(layersDir, { recursive: true });
  await execFileP('tar', ['-xf', small, '-C', layersDir]);
  const layerFiles = readdirSync(layersDir).filter((f) => f.endsWith('.tar.gz'));
  const p0 = Date.now();
  const pending = [...layerFiles];
  const worker = async () => {
    for (let f = pending.shift(); f; f = pending.shift()) {
      const { stdout } = await execFileP('curl', ['-s', '-D', '-', '-o', '/dev/null', '-X', 'POST', `${env.registry.base}/v2/bench/curl6/blobs/uploads/`]);
      const u = /location: (\S+)/i.exec(stdout)[1];
      const d = f.replace('.tar.gz', '').replace('sha256-', 'sha256:');
      await execFileP('curl', ['-s', '-f', '-o', '/dev/null', '-T', path.join(layersDir, f), '-H', 'Content-Type: application/octet-stream', `${new URL(u, env.registry.base).href}&digest=${d}`]);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  const parS = (Date.now() - p0) / 1000;
  rmSync(layersDir, { recursive: true, force: true });
  row(`parallel curl: the ${layerFiles.length} layer blobs, 6 at once`, `${parS.toFixed(2)} s, ${(size / MiB / parS).toFixed(0)} MiB/s`, `page at ${((parS / pushS) * 100).toFixed(0)}% of it`);
  if (process.env.AIRLOCK_CLI) {
    const n0 = Date.now();
    await execFileP(process.env.AIRLOCK_CLI, ['copy', '--tar', small, '--to-repo', `${env.registry.host}/bench/cli512`], { maxBuffer: 64 << 20 });
    const cliS = (Date.now() - n0) / 1000;
    row('push 512 MiB, native CLI', `${cliS.toFixed(2)} s`, `page ≥ 85% of it: ${((cliS / pushS) * 100).toFixed(0)}%`);
  }

  // 4. memory while pushing the > 4 GiB tar.
  await ui.airlock.open(big);
  await ui.airlock.setRepository(`${env.host}/bench/push4g`);
  const cdp = await ui.context.newCDPSession(ui.page);
  await cdp.send('Performance.enable');
  let peakHeap = 0;
  let peakWasm = 0;
  const b0 = Date.now();
  await ui.airlock.startPush();
  const done = ui.airlock.waitPushResult(1800000);
  let finished = false;
  done.then(() => {
    finished = true;
  });
  while (!finished) {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
    const wasm = await ui.page.evaluate(() => window.airlockApp.model.exports?.memory?.buffer.byteLength ?? 0).catch(() => 0);
    peakHeap = Math.max(peakHeap, heap);
    peakWasm = Math.max(peakWasm, wasm);
    await new Promise((r) => setTimeout(r, 250));
  }
  const r4 = await done;
  const bigS = (Date.now() - b0) / 1000;
  row(`verify + push 4+ GiB, page`, `${bigS.toFixed(1)} s, ${(statSync(big).size / MiB / bigS).toFixed(0)} MiB/s overall`);
  row(`push 4+ GiB: peak JS heap + wasm memory`, `${((peakHeap + peakWasm) / MiB).toFixed(1)} MiB (heap ${(peakHeap / MiB).toFixed(1)}, wasm ${(peakWasm / MiB).toFixed(1)})${r4.result === 'pushed' ? '' : ` — push failed: ${r4.text}`}`, '≤ 64 MiB');
} finally {
  await stack.stop();
}

const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i]).length), ['what', 'measured', 'target'][i].length));
const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
console.log(line(['what', 'measured', 'target']));
console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
