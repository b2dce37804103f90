#!/usr/bin/env node
// The page at package-repository scale, one run on this machine, printed as
// a markdown table (issue 13):
//   - the 1,000-image package repository (gen large-package-repo, 100 × 10):
//     open → tree in the page vs `airlock inspect`; push time through the
//     page (copy session in a Worker, and on the main thread for
//     comparison), the CLI and skopeo (same images from OCI layouts, 5 at a
//     time); requests per item; the browser's bare request rate in the same
//     run (a HEAD loop from the page: its physical limit = its requests ÷
//     that rate), and its bare write rate (POST + PUT of 1 KiB blobs: the
//     requests a push is made of, without the page); main-thread busy
//     fraction and long tasks during the push;
//   - HTTP/1.1 vs HTTP/2 through the same-origin nginx (HTTPS, self-signed):
//     the bare request rate and the page push;
//   - a 5,000-image repository: open → tree, preview filter (≤ 50 ms).
// The page runs in a Chromium with no DevTools domain on its requests' path
// (bench/page-driver.mjs; PAGE_DRIVER=playwright measures under the e2e
// tests' driver, whose instrumentation costs the browser per request).
// Usage: node bench/page-scale.mjs   (after scripts/build-wasm.sh; uses
// tests/e2e/node_modules). Tars go to bench-out/ (git-ignored).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cargoBin } from '../tests/e2e/harness/cargo-bin.mjs';
import { sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';
import { startNginx } from '../tests/e2e/harness/nginx.mjs';
import { cpuText, withCpu } from './cpu.mjs';
import { benchPage, PAGE_DRIVER } from './page-driver.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
mkdirSync(OUT, { recursive: true });
const rows = [];
const row = (what, page, cli = '', other = '', notes = '') => {
  rows.push([what, page, cli, other, notes]);
  console.error(`  ${what}: ${page} | ${cli} | ${other} | ${notes}`);
};
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const secs = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  return { s: (performance.now() - t0) / 1000, r };
};
/** A row: who used the cores during `what`, and per request for the browser and the registry. */
const cpuRow = (what, cpu, requests) => {
  const per = (k) => (cpu.groups[k] ? `${k} ${((1000 * cpu.groups[k]) / requests).toFixed(1)} ms` : null);
  row(`CPU during ${what}`, cpuText(cpu), '', '', `per request: ${[per('browser'), per('registry'), per('nginx'), per('ended children')].filter(Boolean).join(', ')}`);
};

const gen = await cargoBin('airlock-testkit', 'gen');
const airlock = await cargoBin('airlock-cli', 'airlock');
async function repoTar(packages) {
  const file = path.join(OUT, `package-repo-${packages * 10}.tar`);
  if (!existsSync(file)) {
    console.error(`generating ${file}…`);
    await execFileP(gen, ['large-package-repo', '--packages', String(packages), '--images-per-package', '10', '-o', file]);
  }
  return file;
}
const tar = await repoTar(100);

/** HEAD requests/s from the page: `inflight` loops for `ms` (bare fetch, no wasm). */
function bareRate(ui, url, ms = 4000, inflight = 6) {
  return ui.page.evaluate(
    async ({ url, ms, inflight }) => {
      let n = 0;
      const end = performance.now() + ms;
      const t0 = performance.now();
      const loop = async () => {
        while (performance.now() < end) {
          const r = await fetch(url, { method: 'HEAD', cache: 'no-store', credentials: 'omit' });
          await r.arrayBuffer();
          n += 1;
        }
      };
      await Promise.all(Array.from({ length: inflight }, loop));
      return n / ((performance.now() - t0) / 1000);
    },
    { url, ms, inflight },
  );
}

/** Pushes through the page (the Push button) and measures the main thread meanwhile. */
async function pagePush(ui, repository, { inPage = false, concurrency = '0' } = {}) {
  await ui.page.selectOption('#opt-concurrency', concurrency);
  await ui.airlock.setRepository(repository);
  await ui.page.evaluate((v) => {
    globalThis.airlockApp.controller.pushInPage = v;
    globalThis.__long = [];
    globalThis.__obs = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) globalThis.__long.push(e.duration);
    });
    globalThis.__obs.observe({ type: 'longtask' });
  }, inPage);
  const busy0 = await ui.page.taskDuration();
  const { s, r } = await secs(() => ui.airlock.push(1800000));
  const busy1 = await ui.page.taskDuration();
  const info = await ui.page.evaluate(() => {
    globalThis.__obs.disconnect();
    const l = globalThis.__long;
    return { summary: globalThis.airlockApp.controller.lastPush, long: l.length, longMax: l.length ? Math.max(...l) : 0, longSum: l.reduce((a, b) => a + b, 0), items: globalThis.airlockApp.model.previewRows.length };
  });
  if (r.result !== 'pushed') throw new Error(`page push failed: ${r.text}`);
  return { s, busy: (busy1 - busy0) / s, ...info };
}

/**
 * POST + PUT requests/s from the page: `inflight` loops uploading 1 KiB blobs
 * (bare fetch with `Blob.slice` bodies, no wasm) into `repo` — the cost of the
 * requests a push is made of, without the page. Digests are computed first,
 * outside the timed loop.
 */
function bareWriteRate(ui, origin, repo, ms = 5000, inflight = 6) {
  return ui.page.evaluate(
    async ({ origin, repo, ms, inflight }) => {
      const N = 4000;
      const SIZE = 1024;
      const bytes = new Uint8Array(N * SIZE);
      for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
      const blob = new Blob([bytes]);
      const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      const digests = await Promise.all(Array.from({ length: N }, async (_, i) => `sha256:${hex(await crypto.subtle.digest('SHA-256', bytes.subarray(i * SIZE, (i + 1) * SIZE)))}`));
      let next = 0;
      let n = 0;
      const t0 = performance.now();
      const end = t0 + ms;
      const loop = async () => {
        while (performance.now() < end && next < N) {
          const i = next++;
          const p = await fetch(`${origin}/v2/${repo}/blobs/uploads/`, { method: 'POST', cache: 'no-store', credentials: 'omit' });
          await p.arrayBuffer();
          if (p.status !== 202) throw new Error(`bare write rate: POST answered ${p.status}`);
          const u = new URL(p.headers.get('location'), origin);
          u.searchParams.set('digest', digests[i]);
          const body = blob.slice(i * SIZE, (i + 1) * SIZE);
          const q = await fetch(u.href, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' }, cache: 'no-store', credentials: 'omit' });
          await q.arrayBuffer();
          if (q.status !== 201) throw new Error(`bare write rate: PUT answered ${q.status}`);
          n += 2;
        }
      };
      await Promise.all(Array.from({ length: inflight }, loop));
      return n / ((performance.now() - t0) / 1000);
    },
    { origin, repo, ms, inflight },
  );
}

/**
 * Open timings (controller.lastOpen, median of `opens`): the tree on screen
 * (the first task after its frame), of which wasm and the handler; then the
 * preview, planned after that frame.
 */
const openText = (opens) => {
  const m = (k) => med(opens.map((x) => x[k])).toFixed(0);
  const preview = opens.every((x) => x.previewMs < 1) ? 'no destination: no preview planned' : `preview shown at ${m('previewDoneMs')} ms (its plan ${m('previewMs')})`;
  return `${m('treePaintedMs')} ms (wasm ${m('wasmMs')}, handler ${m('totalMs')}); ${preview}`;
};

const stack = new Stack();
try {
  const env = await sameOrigin(stack);
  const ui = await benchPage(stack);
  await ui.airlock.goto(env.origin);
  await ui.page.evaluate(() => globalThis.airlockApp.model.warmed);

  // --- open -------------------------------------------------------------------
  const opens = [];
  for (let i = 0; i < 3; i += 1) {
    await ui.airlock.open(tar);
    opens.push(await ui.page.evaluate(() => globalThis.airlockApp.controller.lastOpen));
  }
  const inspects = [];
  for (let i = 0; i < 3; i += 1) inspects.push((await secs(() => execFileP(airlock, ['inspect', tar], { maxBuffer: 64 << 20 }))).s * 1000);
  row('1,000-image repo: open → tree on screen (median of 3)', openText(opens), `${med(inspects).toFixed(0)} ms (airlock inspect, process)`, '', 'target ≤ 200 ms in the page');

  // --- bare request rate, same run ---------------------------------------------
  const { r: rate1, cpu: cpuHead } = await withCpu(() => bareRate(ui, `${env.origin}/v2/`));
  row('bare HEAD rate from the page, HTTP/1.1 same-origin nginx (6 in flight)', `${rate1.toFixed(0)} req/s`, '', '', 'the browser’s cost per request');
  cpuRow('the bare HEAD loop', cpuHead, rate1 * cpuHead.wall);
  const { r: write1, cpu: cpuWrite } = await withCpu(() => bareWriteRate(ui, env.origin, 'bench/bare-write-h1'));
  row('bare write rate from the page, HTTP/1.1 (POST + PUT of 1 KiB blobs, 6 in flight)', `${write1.toFixed(0)} req/s`, '', '', 'the requests a push is made of, without the page');
  cpuRow('the bare write loop (its digests computed before)', cpuWrite, write1 * 5);

  // --- push: page (worker), page (main thread), CLI, skopeo ---------------------
  await ui.airlock.verify();
  const { r: w, cpu: cpuPush } = await withCpu(() => pagePush(ui, `${env.host}/bench/page-worker`));
  const reqW = w.summary.requests;
  const limitW = reqW / rate1;
  row('push, page (copy session in a Worker)', `${w.s.toFixed(1)} s, ${reqW} requests, ${(reqW / w.items).toFixed(1)} per item`, '', '', `physical limit ${reqW} ÷ ${rate1.toFixed(0)}/s = ${limitW.toFixed(1)} s → page at ${((w.s / limitW - 1) * 100).toFixed(0)}% above it (target ≤ 25%); at the bare write rate ${(reqW / write1).toFixed(1)} s → ${((w.s / (reqW / write1) - 1) * 100).toFixed(0)}% above`);
  cpuRow('the Worker push (HTTP/1.1)', cpuPush, reqW);
  row('main thread during the Worker push', `busy ${(w.busy * 100).toFixed(0)}%, ${w.long} long tasks (max ${w.longMax.toFixed(0)} ms)`, '', '', 'target: every task < 50 ms');
  const m = await pagePush(ui, `${env.host}/bench/page-main`, { inPage: true });
  row('push, page (copy session on the main thread, before)', `${m.s.toFixed(1)} s, ${m.summary.requests} requests`, '', '', `main thread busy ${(m.busy * 100).toFixed(0)}%, ${m.long} long tasks (max ${m.longMax.toFixed(0)} ms)`);
  const again = await pagePush(ui, `${env.host}/bench/page-worker`);
  row('re-push, page (everything present)', `${again.s.toFixed(1)} s, ${again.summary.requests} requests`, '', '', `${again.summary.blobsUploaded} blobs, ${again.summary.manifestsPut} manifests sent`);

  const { r: c, cpu: cpuCli } = await withCpu(() => secs(() => execFileP(airlock, ['copy', '--tar', tar, '--to-repo', `${env.registry.host}/bench/cli`], { maxBuffer: 64 << 20 })));
  const cliReq = Number(/(\d+) requests/.exec(c.r.stderr)?.[1] || NaN);
  const cliItems = Number(/(\d+) items pushed/.exec(c.r.stderr)?.[1] || NaN);
  row('push, CLI (airlock copy --tar, straight to the registry)', '', `${c.s.toFixed(1)} s, ${cliReq} requests, ${(cliReq / cliItems).toFixed(1)} per item`);
  cpuRow('the CLI push (the CLI ended: "ended children")', cpuCli, cliReq);

  let sko = 'skopeo not installed';
  if (existsSync('/usr/bin/skopeo')) {
    const oci = path.join(OUT, 'oci-repo-1000');
    rmSync(oci, { recursive: true, force: true });
    const layouts = (await execFileP('python3', [path.join(ROOT, 'bench/tar_to_oci.py'), tar, oci], { maxBuffer: 64 << 20 })).stdout.trim().split('\n');
    const queue = layouts.map((l, i) => [l, i]);
    const one = async () => {
      for (let x = queue.shift(); x; x = queue.shift()) {
        await execFileP('skopeo', ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${x[0]}:bench`, `docker://${env.registry.host}/bench/skopeo:img${x[1]}`]);
      }
    };
    const k = await secs(() => Promise.all(Array.from({ length: 5 }, one)));
    sko = `${k.s.toFixed(1)} s (${layouts.length} images, 5 at a time)`;
    rmSync(oci, { recursive: true, force: true });
  }
  row('push, skopeo copy of the same images', '', '', sko);

  // --- HTTP/2 through the same-origin nginx (HTTPS) ----------------------------
  const h2 = stack.add(await startNginx({ registry: env.registry.host, tls: true }));
  const ui2 = await benchPage(stack, { ignoreHTTPSErrors: true });
  await ui2.airlock.goto(h2.origin);
  const proto = await ui2.page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  const rate2 = await bareRate(ui2, `${h2.origin}/v2/`);
  const rate2x = await bareRate(ui2, `${h2.origin}/v2/`, 4000, 16);
  row(`bare HEAD rate, HTTPS nginx (${proto})`, `${rate2.toFixed(0)} req/s (6 in flight), ${rate2x.toFixed(0)} req/s (16 in flight)`, '', '', `HTTP/1.1 above: ${rate1.toFixed(0)} req/s`);
  const write2 = await bareWriteRate(ui2, h2.origin, 'bench/bare-write-h2-6');
  const write2x = await bareWriteRate(ui2, h2.origin, 'bench/bare-write-h2-16', 5000, 16);
  row(`bare write rate, HTTPS nginx (${proto})`, `${write2.toFixed(0)} req/s (6 in flight), ${write2x.toFixed(0)} req/s (16 in flight)`, '', '', `HTTP/1.1 above: ${write1.toFixed(0)} req/s`);
  await ui2.page.evaluate(() => globalThis.airlockApp.model.warmed);
  await ui2.airlock.open(tar);
  await ui2.airlock.verify();
  for (const [n, label] of [['6', '6 in flight'], ['0', 'automatic']]) {
    const p2 = await pagePush(ui2, `${h2.host}/bench/page-h2-${n}`, { concurrency: n });
    const limit2 = p2.summary.requests / (n === '6' ? rate2 : rate2x);
    const limitW2 = p2.summary.requests / (n === '6' ? write2 : write2x);
    const vsH1 = p2.summary.requests / rate1;
    row(`push, page (Worker) over ${proto}, ${label}: ${p2.summary.concurrency} allowed`, `${p2.s.toFixed(1)} s, ${p2.summary.requests} requests, ${p2.summary.meanInFlight.toFixed(1)} in flight on average`, '', '', `HTTP/1.1: ${w.s.toFixed(1)} s; limit at the bare ${proto} HEAD rate ${limit2.toFixed(1)} s → ${((p2.s / limit2 - 1) * 100).toFixed(0)}% above it; at the bare ${proto} write rate ${limitW2.toFixed(1)} s → ${((p2.s / limitW2 - 1) * 100).toFixed(0)}%; at the HTTP/1.1 HEAD rate (the issue's limit) ${vsH1.toFixed(1)} s → ${((p2.s / vsH1 - 1) * 100).toFixed(0)}%`);
  }

  // --- 5,000 images: open, filter ---------------------------------------------
  const big = await repoTar(500);
  // The first open of it, then two more (with the destination set: the preview planned after the tree).
  const opens5 = [];
  for (let i = 0; i < 3; i += 1) {
    await ui.airlock.open(big);
    opens5.push(await ui.page.evaluate(() => globalThis.airlockApp.controller.lastOpen));
    if (i === 0) await ui.airlock.setRepository(`${env.host}/bench/five`);
  }
  const filter = await ui.page.evaluate(async () => {
    const input = document.getElementById('preview-filter');
    const times = [];
    for (const q of ['pkg0042', 'app7', 'locations', 'zzz-none', '']) {
      input.value = q;
      const t0 = performance.now();
      input.dispatchEvent(new Event('input'));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      times.push(performance.now() - t0);
    }
    return { times, rows: globalThis.airlockApp.model.previewRows.length };
  });
  row('5,000-image repo: open → tree on screen (median of 3, the first open included)', openText(opens5), '', '', `target ≤ 1 s; first open ${opens5[0].treePaintedMs.toFixed(0)} ms`);
  row(`5,000-image repo: preview filter, ${filter.rows} rows (incl. the next frame)`, `max ${Math.max(...filter.times).toFixed(0)} ms (${filter.times.map((t) => t.toFixed(0)).join(', ')})`, '', '', 'target ≤ 50 ms');
} finally {
  // The table first: it must not depend on every process stopping cleanly.
  const head = ['what', 'page', 'CLI', 'skopeo', 'notes'];
  console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\n(${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}, one run, page driver ${PAGE_DRIVER}; load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  await stack.stop();
}
