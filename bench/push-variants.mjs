#!/usr/bin/env node
// Push variants, alternating: pushes bench-out/bundle-512m.tar from one page
// into fresh repositories with different transports / concurrency / routes,
// several rounds; prints MiB/s per run and medians.
// Usage: node bench/push-variants.mjs [rounds] [variant,...]
//   variant = cli (target/release/airlock, straight to the registry) or <xhr|fetch><concurrency>[-direct][-noprog], e.g. xhr6,fetch3-direct

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPage, sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';
import { writeBundleTar } from '../tests/e2e/harness/make-bundle.mjs';
import { startRegistry } from '../tests/e2e/harness/registry.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1 << 20;
const tar = path.join(ROOT, 'bench-out/bundle-512m.tar');
if (!existsSync(tar)) {
  mkdirSync(path.dirname(tar), { recursive: true });
  await writeBundleTar(tar, { seed: 'bench-512', images: Array.from({ length: 8 }, (_, i) => ({ repo: `bench/app${i}`, layers: [16 * MiB, 16 * MiB, 16 * MiB, 16 * MiB] })) });
}
const rounds = Number(process.argv[2] || 3);
const variants = (process.argv[3] || 'xhr6,xhr6-noprog,xhr3,fetch6,fetch3,xhr6-direct,fetch6-direct').split(',');
const size = statSync(tar).size;
const stack = new Stack();
try {
  const env = await sameOrigin(stack);
  const direct = stack.add(await startRegistry({ cors: true }));
  const ui = await browserPage(stack);
  await ui.airlock.goto(env.origin);
  await ui.airlock.open(tar);
  const res = Object.fromEntries(variants.map((v) => [v, []]));
  let n = 0;
  for (let r = 0; r < rounds; r += 1) {
    for (const v of variants) {
      if (v === 'cli') {
        n += 1;
        const c0 = Date.now();
        await promisify(execFile)(path.join(ROOT, 'target/release/airlock'), ['copy', '--tar', tar, '--to-repo', `${direct.host}/pv/r${n}`], { maxBuffer: 64 << 20 });
        const cs = (Date.now() - c0) / 1000;
        res[v].push(size / MiB / cs);
        console.error(`cli: ${(size / MiB / cs).toFixed(0)} MiB/s (${cs.toFixed(2)} s)`);
        continue;
      }
      const m = /^(xhr|fetch)(\d+)(-direct)?(-noprog)?$/.exec(v);
      const host = m[3] ? direct.host : env.host;
      n += 1;
      const s = await ui.page.evaluate(
        async ({ repository, uploadWith, concurrency, noprog }) => {
          const model = window.airlockApp.model;
          let calls = 0;
          const t0 = performance.now();
          const job = model.archive.copy({ repository, uploadWith, concurrency, onProgress: noprog ? undefined : () => { calls += 1; } });
          await job.done;
          return { s: (performance.now() - t0) / 1000, calls };
        },
        { repository: `${host}/pv/r${n}`, uploadWith: m[1], concurrency: Number(m[2]), noprog: !!m[4] },
      );
      res[v].push(size / MiB / s.s);
      console.error(`${v}: ${(size / MiB / s.s).toFixed(0)} MiB/s (${s.s.toFixed(2)} s)`);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const v of variants) console.log(`${v.padEnd(20)} median ${med(res[v]).toFixed(0)} MiB/s  runs ${res[v].map((x) => x.toFixed(0)).join(', ')}`);
} finally {
  await stack.stop();
}
