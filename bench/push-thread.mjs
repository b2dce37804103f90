#!/usr/bin/env node
// Push in a Worker vs on the main thread, alternated in one session (fresh
// repository each push) on a package repository of N×10 images: push time,
// main-thread busy fraction (CDP TaskDuration ÷ wall time), long tasks
// (PerformanceObserver 'longtask') and the worst lateness of a 50 ms timer
// on the main thread (what a user feels). Usage: node bench/push-thread.mjs
// [rounds=2] [packages=30]. Prints a markdown table.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cargoBin } from '../tests/e2e/harness/cargo-bin.mjs';
import { browserPage, sameOrigin, Stack } from '../tests/e2e/harness/env.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
mkdirSync(OUT, { recursive: true });
const rounds = Number(process.argv[2] || 2);
const packages = Number(process.argv[3] || 30);
const tar = path.join(OUT, `package-repo-${packages * 10}.tar`);
if (!existsSync(tar)) await execFileP(await cargoBin('airlock-testkit', 'gen'), ['large-package-repo', '--packages', String(packages), '--images-per-package', '10', '-o', tar]);

const stack = new Stack();
const results = { worker: [], main: [] };
try {
  const env = await sameOrigin(stack);
  const ui = await browserPage(stack);
  await ui.airlock.goto(env.origin);
  await ui.page.evaluate(() => globalThis.airlockApp.model.warmed);
  await ui.airlock.open(tar);
  await ui.airlock.verify();
  const cdp = await ui.context.newCDPSession(ui.page);
  await cdp.send('Performance.enable');
  const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  let n = 0;
  for (let r = 0; r < rounds; r += 1) {
    for (const mode of r % 2 ? ['main', 'worker'] : ['worker', 'main']) {
      n += 1;
      await ui.airlock.setRepository(`${env.host}/thread/${mode}${n}`);
      await ui.page.evaluate((inPage) => {
        const app = globalThis.airlockApp;
        app.controller.pushInPage = inPage;
        const s = { long: [], lag: 0 };
        globalThis.__probe = s;
        s.obs = new PerformanceObserver((l) => {
          for (const e of l.getEntries()) s.long.push(e.duration);
        });
        s.obs.observe({ type: 'longtask' });
        let due = performance.now() + 50;
        s.timer = setInterval(() => {
          const now = performance.now();
          s.lag = Math.max(s.lag, now - due);
          due = now + 50;
        }, 50);
      }, mode === 'main');
      const b0 = await task();
      const t0 = performance.now();
      const res = await ui.airlock.push(1800000);
      const s = (performance.now() - t0) / 1000;
      const busy = ((await task()) - b0) / s;
      const p = await ui.page.evaluate(() => {
        const x = globalThis.__probe;
        x.obs.disconnect();
        clearInterval(x.timer);
        return { long: x.long.length, longMax: x.long.length ? Math.max(...x.long) : 0, lag: x.lag, requests: globalThis.airlockApp.controller.lastPush.requests };
      });
      if (res.result !== 'pushed') throw new Error(res.text);
      results[mode].push({ s, busy, ...p });
      console.error(mode, JSON.stringify({ s: s.toFixed(1), busy: busy.toFixed(2), ...p }));
    }
  }
} finally {
  await stack.stop();
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`\n${packages * 10}-image package repository, ${rounds} rounds alternated, medians (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):\n`);
console.log('| push | time | requests | main thread busy | long tasks (max) | worst 50 ms timer lateness |\n|---|---|---|---|---|---|');
for (const [mode, label] of [['worker', 'copy session in a Worker'], ['main', 'copy session on the main thread']]) {
  const r = results[mode];
  console.log(`| ${label} | ${med(r.map((x) => x.s)).toFixed(1)} s | ${r[0].requests} | ${(med(r.map((x) => x.busy)) * 100).toFixed(0)} % | ${med(r.map((x) => x.long))} (${med(r.map((x) => x.longMax)).toFixed(0)} ms) | ${med(r.map((x) => x.lag)).toFixed(0)} ms |`);
}
