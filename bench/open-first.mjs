#!/usr/bin/env node
// First open after page load: a fresh browser per run opens the 512 MiB tar,
// then the 4+ GiB one; prints wasm / DOM / handler times (in the page) and
// the wall time seen from Node (setInputFiles → tree visible), medians.
// Usage: node bench/open-first.mjs [runs] (after bench/browser.mjs made the tars);
// REPO=1 opens the 1,000-image package repository instead (made by
// bench/page-scale.mjs), then a second time in the same page (warm).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPage, sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tars = process.env.REPO
  ? [['1,000-image repo', 'bench-out/package-repo-1000.tar'], ['same, again', 'bench-out/package-repo-1000.tar']]
  : [['512 MiB', 'bench-out/bundle-512m.tar'], ['4+ GiB', 'bench-out/bundle-4g.tar']];
const runs = Number(process.argv[2] || 5);
const stack = new Stack();
const res = {};
try {
  const env = await sameOrigin(stack);
  for (let i = 0; i < runs; i += 1) {
    const ui = await browserPage(stack);
    await ui.airlock.goto(env.origin);
    // A user takes longer than the background warm-up to pick a file.
    const warm = await ui.page.evaluate(async () => {
      await window.airlockApp.model.warmed;
      return window.airlockApp.model.warmUpMs;
    });
    (res['warm-up at load'] ||= []).push(warm);
    for (const [label, rel] of tars) {
      const t0 = Date.now();
      await ui.airlock.open(path.join(ROOT, rel));
      const wall = Date.now() - t0;
      const t = await ui.page.evaluate(() => window.airlockApp.controller.lastOpen);
      for (const [k, v] of Object.entries({ wasm: t.wasmMs, dom: t.domMs, handler: t.totalMs, 'tree shown': t.treePaintedMs, preview: t.previewMs, wall })) (res[`${label} ${k}`] ||= []).push(v);
      console.error(`${label}: wasm ${t.wasmMs.toFixed(1)} ms, DOM ${t.domMs.toFixed(1)} ms, handler ${t.totalMs.toFixed(1)} ms, tree shown ${t.treePaintedMs.toFixed(1)} ms, wall ${wall} ms`);
    }
    await ui.browser.close();
  }
} finally {
  await stack.stop();
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(16)} median ${med(v).toFixed(1)} ms  runs ${v.map((x) => x.toFixed(0)).join(', ')}`);
