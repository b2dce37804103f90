#!/usr/bin/env node
// Verify scaling, alone: hashes bench-out/bundle-512m.tar in the page's
// verify workers with 1 worker and with one per core, alternating, several
// runs each; prints MiB/s per run and the median ratio.
// Usage: [WHOLE_MAX=0] [ONLY=1|2] node bench/verify-scaling.mjs [runs] (after bench/browser.mjs made the tar)

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPage, sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tar = path.join(ROOT, 'bench-out/bundle-512m.tar');
const runs = Number(process.argv[2] || 3);
// WHOLE_MAX=0: wasm sha2 only (default: the page's WebCrypto/wasm split).
const WHOLE_MAX = process.env.WHOLE_MAX === undefined ? undefined : Number(process.env.WHOLE_MAX);
const stack = new Stack();
try {
  const env = await sameOrigin(stack);
  const ui = await browserPage(stack);
  await ui.airlock.goto(env.origin);
  await ui.airlock.open(tar);
  const verify = (workers) =>
    ui.page.evaluate(async ([w, wholeMax]) => {
      const r = await window.airlockApp.model.verify(() => {}, { workers: w, wholeMax });
      return { mibs: r.bytes / 1048576 / r.seconds, ok: r.ok };
    }, [workers, WHOLE_MAX]);
  await verify(2); // warm the page cache and the wasm
  const one = [];
  const two = [];
  for (let i = 0; i < runs; i += 1) {
    if (process.env.ONLY === "1") { one.push((await verify(1)).mibs); continue; }
    if (process.env.ONLY === "2") { two.push((await verify(2)).mibs); continue; }
    one.push((await verify(1)).mibs);
    two.push((await verify(2)).mibs);
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`1 worker:  ${one.map((x) => x.toFixed(0)).join(', ')} MiB/s`);
  console.log(`2 workers: ${two.map((x) => x.toFixed(0)).join(', ')} MiB/s`);
  console.log(`median ratio ${(med(two) / med(one)).toFixed(2)}×`);
} finally {
  await stack.stop();
}
