#!/usr/bin/env node
// The WAN benchmark (issue 9), one run on this machine, printed as one
// markdown table. A shaping proxy (`gen shape-proxy`: userspace, 127.0.0.1
// only, one link shared by every connection through it, half the round trip
// added each way and the bytes paced at the bandwidth per direction) sits
// between the client side and a fresh Distribution registry for every
// measurement:
//   CLI / skopeo → proxy → registry
//   page (chromium) → nginx (HTTP/1.1, or HTTPS + HTTP/2) → proxy → registry
// Links: 20 ms RTT @ 1 Gbit/s and 20 ms RTT @ 100 Mbit/s. Data: the 512 MiB
// bundle (gen big, as bench/copy.sh) and the 1,000-image package repository
// (gen large-package-repo 100 × 10, as bench/page-scale.mjs). skopeo copies
// the same images from OCI layouts (bench/tar_to_oci.py), 5 at a time.
// The link's own limit = bytes ÷ bandwidth + the round trips no client can
// avoid (upload start, blob PUT, image manifest, bundle manifest(s)).
// The HTTPS certificate is nginx's throwaway self-signed one; the test
// browser is told to accept it (ignoreHTTPSErrors). The page runs in a
// Chromium with no DevTools domain on its requests' path
// (bench/page-driver.mjs; PAGE_DRIVER=playwright for the e2e driver).
// Usage: node bench/wan.mjs   (after scripts/build-wasm.sh; uses
// tests/e2e/node_modules). Tars go to bench-out/ (git-ignored).
// WAN_LINKS=1000,100, WAN_DATA=bundle,repo, WAN_CLIENTS=cli,h1,h2,skopeo and
// WAN_RTT_MS=20 pick a subset or another link; WAN_PAGE_CONCURRENCY=N sets the
// page's Requests in flight (default automatic); WAN_DEBUG=1 uses
// target/debug binaries.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cargoBin } from '../tests/e2e/harness/cargo-bin.mjs';
import { Stack } from '../tests/e2e/harness/env.mjs';
import { startNginx } from '../tests/e2e/harness/nginx.mjs';
import { start } from '../tests/e2e/harness/procs.mjs';
import { startRegistry } from '../tests/e2e/harness/registry.mjs';
import { cpuText, withCpu } from './cpu.mjs';
import { benchPage, PAGE_DRIVER } from './page-driver.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
mkdirSync(OUT, { recursive: true });
const RTT_MS = Number(process.env.WAN_RTT_MS ?? 20);
const LINKS = (process.env.WAN_LINKS || '1000,100').split(',').map(Number);
const DATA = (process.env.WAN_DATA || 'bundle,repo').split(',');
const CLIENTS = (process.env.WAN_CLIENTS || 'cli,h1,h2,skopeo').split(',');
const NONE = { s: NaN, req: NaN, items: NaN, proto: '-' };
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const secs = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  return { s: (performance.now() - t0) / 1000, r };
};

// WAN_DEBUG=1: the existing target/debug binaries, no build (slower CLI hashing).
const bin = (pkg, name) => (process.env.WAN_DEBUG ? path.join(ROOT, 'target/debug', name) : cargoBin(pkg, name));
const gen = await bin('airlock-testkit', 'gen');
const airlock = await bin('airlock-cli', 'airlock');
async function ensure(file, args) {
  if (!existsSync(file)) {
    console.error(`generating ${file}…`);
    await execFileP(gen, [...args, '-o', file], { maxBuffer: 64 << 20 });
  }
  return file;
}
const SETS = {};
if (DATA.includes('bundle'))
  SETS.bundle = {
    label: '512 MiB bundle',
    tar: await ensure(path.join(OUT, 'big-512m.tar'), ['big', '--images', '8', '--layers', '4', '--layer-size', '16MiB']),
    // blob POST + PUT, image manifest, bundle manifest
    trips: 4,
  };
if (DATA.includes('repo'))
  SETS.repo = {
    label: '1,000-image package repository',
    tar: await ensure(path.join(OUT, 'package-repo-1000.tar'), ['large-package-repo', '--packages', '100', '--images-per-package', '10']),
    // blob POST + PUT, image manifest, package bundle, repository bundle
    trips: 5,
  };

/** `gen shape-proxy` in front of 127.0.0.1:upstream; resolves to { host, stop }. */
async function shapeProxy(upstream, mbit) {
  const handle = start(gen, ['shape-proxy', '--upstream', String(upstream), '--rtt-ms', String(RTT_MS), '--mbit', String(mbit)]);
  for (let i = 0; i < 200; i += 1) {
    const m = /"port":(\d+)/.exec(handle.log());
    if (m) return { host: `127.0.0.1:${m[1]}`, stop: () => handle.stop() };
    if (handle.exited) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await handle.stop();
  throw new Error(`gen shape-proxy did not print its port: ${handle.log()}`);
}

/** A fresh registry behind a fresh shaped link; `fn(link, stack)` measures through it. */
async function throughLink(mbit, fn) {
  const stack = new Stack();
  try {
    const registry = stack.add(await startRegistry({ cors: false }));
    const link = stack.add(await shapeProxy(registry.port, mbit));
    return await fn(link, stack);
  } finally {
    await stack.stop();
  }
}

const perItem = (req, items) => `${req} req, ${(req / items).toFixed(1)}/item`;

async function cli(set, mbit) {
  return throughLink(mbit, async (link) => {
    const { r: c, cpu } = await withCpu(() => secs(() => execFileP(airlock, ['copy', '--tar', set.tar, '--to-repo', `${link.host}/wan/cli`], { maxBuffer: 64 << 20 })));
    const req = Number(/(\d+) requests/.exec(c.r.stderr)?.[1] || NaN);
    const items = Number(/(\d+) items pushed/.exec(c.r.stderr)?.[1] || NaN);
    const f = /([\d.]+) in flight on average, (\d+) at most/.exec(c.r.stderr);
    return { s: c.s, req, items, concurrency: f ? 5 : undefined, mean: f ? Number(f[1]) : undefined, cpu: cpuText(cpu) };
  });
}

async function page(set, mbit, tls) {
  return throughLink(mbit, async (link, stack) => {
    const nginx = stack.add(await startNginx({ registry: link.host, tls }));
    const ui = await benchPage(stack, tls ? { ignoreHTTPSErrors: true } : {});
    await ui.airlock.goto(nginx.origin);
    await ui.page.evaluate(() => globalThis.airlockApp.model.warmed);
    const proto = await ui.page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    if (!(await ui.airlock.open(set.tar))) throw new Error(`page could not open ${set.tar}: ${await ui.airlock.openError()}`);
    await ui.airlock.verify();
    await ui.page.selectOption('#opt-concurrency', process.env.WAN_PAGE_CONCURRENCY || '0');
    await ui.airlock.setRepository(`${nginx.host}/wan/page`);
    const { r: pushed, cpu } = await withCpu(() => secs(() => ui.airlock.push(1800000)));
    const { s, r } = pushed;
    if (r.result !== 'pushed') throw new Error(`page push failed: ${r.text}`);
    const summary = await ui.page.evaluate(() => globalThis.airlockApp.controller.lastPush);
    const items = await ui.page.evaluate(() => globalThis.airlockApp.model.previewRows.length);
    return { s, req: summary.requests, items, proto, concurrency: summary.concurrency, mean: summary.meanInFlight, cpu: cpuText(cpu) };
  });
}

async function skopeo(set, mbit) {
  if (!existsSync('/usr/bin/skopeo')) return null;
  const oci = path.join(OUT, `oci-wan-${path.basename(set.tar, '.tar')}`);
  rmSync(oci, { recursive: true, force: true });
  const layouts = (await execFileP('python3', [path.join(ROOT, 'bench/tar_to_oci.py'), set.tar, oci], { maxBuffer: 64 << 20 })).stdout.trim().split('\n');
  try {
    return await throughLink(mbit, async (link) => {
      const queue = layouts.map((l, i) => [l, i]);
      const one = async () => {
        for (let x = queue.shift(); x; x = queue.shift()) {
          await execFileP('skopeo', ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${x[0]}:bench`, `docker://${link.host}/wan/skopeo:img${x[1]}`]);
        }
      };
      const k = await secs(() => Promise.all(Array.from({ length: 5 }, one)));
      return { s: k.s, images: layouts.length };
    });
  } finally {
    rmSync(oci, { recursive: true, force: true });
  }
}

const rows = [];
const verdicts = [];
const t0 = performance.now();
try {
  for (const mbit of LINKS) {
    for (const key of DATA) {
      const set = SETS[key];
      const bytes = statSync(set.tar).size;
      const limit = (bytes * 8) / (mbit * 1e6) + (set.trips * RTT_MS) / 1000;
      const linkName = `${RTT_MS} ms RTT, ${mbit >= 1000 ? `${mbit / 1000} Gbit/s` : `${mbit} Mbit/s`}`;
      console.error(`${linkName}, ${set.label} (load ${load()})`);
      const c = CLIENTS.includes('cli') ? await cli(set, mbit) : NONE;
      console.error(`  CLI ${c.s.toFixed(1)} s, ${c.req} requests; CPU ${c.cpu}`);
      const h1 = CLIENTS.includes('h1') ? await page(set, mbit, false) : NONE;
      console.error(`  page ${h1.proto} ${h1.s.toFixed(1)} s, ${h1.req} requests, ${h1.concurrency} allowed, ${h1.mean?.toFixed(1)} in flight on average; CPU ${h1.cpu}`);
      const h2 = CLIENTS.includes('h2') ? await page(set, mbit, true) : NONE;
      console.error(`  page ${h2.proto} ${h2.s.toFixed(1)} s, ${h2.req} requests, ${h2.concurrency} allowed, ${h2.mean?.toFixed(1)} in flight on average; CPU ${h2.cpu}`);
      const k = CLIENTS.includes('skopeo') ? await skopeo(set, mbit) : null;
      console.error(`  skopeo ${k ? k.s.toFixed(1) : '-'} s`);
      const inFlight = (x) => (x.concurrency ? `, ${x.concurrency} allowed, ${x.mean.toFixed(1)} in flight on average` : '');
      const fmt = (x) => (Number.isNaN(x.s) ? 'not run' : key === 'repo' ? `${x.s.toFixed(1)} s (${perItem(x.req, x.items)}${inFlight(x)})` : `${x.s.toFixed(1)} s (${((bytes * 8) / x.s / 1e6).toFixed(0)} Mbit/s, ${x.req} req${inFlight(x)})`);
      // The faster page client of those run (WAN_CLIENTS may leave one out).
      const best = Math.min(...[h1.s, h2.s].filter((x) => !Number.isNaN(x)));
      const pct = (a, b) => `${((a / b - 1) * 100).toFixed(0)}%`;
      let notes;
      if (key === 'bundle') {
        notes = `CLI ${pct(c.s, limit)} above the limit (target ≤ 10%); best page ${pct(best, c.s)} above the CLI (target ≤ 10%)`;
        verdicts.push([`${linkName}: bundle CLI within 10% of the link limit`, c.s <= limit * 1.1], [`${linkName}: bundle page within 10% of the CLI`, best <= c.s * 1.1]);
      } else {
        notes = `CLI ${(c.req / c.items).toFixed(1)} req/item (target < 9.0); best page ${pct(best, c.s)} above the CLI (target ≤ 20%); CLI requests × RTT ÷ 6 in flight = ${((c.req * RTT_MS) / 1000 / 6).toFixed(1)} s`;
        verdicts.push([`${linkName}: repo CLI < 9.0 requests per item`, c.req / c.items < 9.0], [`${linkName}: repo page within 20% of the CLI`, best <= c.s * 1.2]);
      }
      rows.push([linkName, set.label, `${limit.toFixed(2)} s (${(bytes / 1048576).toFixed(0)} MiB ÷ bandwidth + ${set.trips} RTT)`, fmt(c), fmt(h1), `${fmt(h2)} [${h2.proto}]`, k ? `${k.s.toFixed(1)} s (${k.images} images, 5 at a time)` : CLIENTS.includes('skopeo') ? 'not installed' : 'not run (WAN_CLIENTS)', notes]);
    }
  }
} finally {
  const head = ['link', 'data', 'link limit', 'CLI (airlock copy --tar)', 'page, HTTP/1.1 nginx (6 connections)', 'page, HTTPS nginx (HTTP/2)', 'skopeo', 'notes'];
  console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
  for (const [what, ok] of verdicts) console.log(`- ${ok ? 'met' : 'NOT met'}: ${what}`);
  console.log(`\n(${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}, one run in ${((performance.now() - t0) / 60000).toFixed(1)} min, page driver ${PAGE_DRIVER}; load average at the end ${load()})`);
}
