// Who used the cores during a measurement (Linux /proc): CPU seconds of this
// benchmark's child processes grouped by what they are (the browser with
// all its processes, the registry, nginx, the CLI, the shaping proxy),
// the benchmark itself, and the rest of the machine. On a two-core machine
// where the browser, nginx and the registry share the cores, this says
// whether a push is bound by the machine and by whom.

import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const HZ = 100; // USER_HZ: /proc's clock ticks per second on Linux
const GROUP = { chromium: 'browser', chrome: 'browser', 'docker-registry': 'registry', registry: 'registry', nginx: 'nginx', airlock: 'CLI', gen: 'shaping proxy', skopeo: 'skopeo' };

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // After the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return { pid: Number(pid), comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null; // gone meanwhile
  }
}

function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, busy: total - f[3] - f[4] };
}

/** CPU ticks so far: per group of this process's descendants, this process, the machine. */
export function cpuSnapshot() {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(stat).filter(Boolean);
  const kids = new Map();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) || []), p]);
  const tree = (p) => [p, ...(kids.get(p.pid) || []).flatMap(tree)];
  const groups = {};
  for (const child of kids.get(process.pid) || []) {
    const name = GROUP[child.comm] || child.comm;
    groups[name] = (groups[name] || 0) + tree(child).reduce((a, p) => a + p.ticks + p.children, 0);
  }
  const self = stat(process.pid);
  // Children that ended are counted in this process's cutime (the CLI run by execFile).
  groups['ended children'] = self.children;
  groups.benchmark = self.ticks;
  return { at: performance.now(), groups, machine: machineTicks() };
}

/** Seconds of CPU per group since `before`, the rest of the machine as "other", and the wall time. */
export function cpuSince(before) {
  const now = cpuSnapshot();
  const wall = (now.at - before.at) / 1000;
  const groups = {};
  for (const [k, v] of Object.entries(now.groups)) {
    const d = (v - (before.groups[k] || 0)) / HZ;
    if (d > 0) groups[k] = d;
  }
  const busy = (now.machine.busy - before.machine.busy) / HZ;
  const ours = Object.values(groups).reduce((a, b) => a + b, 0);
  if (busy - ours > 0.05) groups.other = busy - ours;
  return { wall, cores: os.cpus().length, busy, groups };
}

/** "browser 20.1 s, registry 9.3 s, … = 40.2 of 2 cores × 21.0 s (96 %)" */
export function cpuText(d) {
  const parts = Object.entries(d.groups)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`);
  return `${parts.join(', ')} = ${d.busy.toFixed(1)} of ${d.cores} cores × ${d.wall.toFixed(1)} s (${((100 * d.busy) / (d.cores * d.wall)).toFixed(0)} %)`;
}

/** `fn()`'s result and the CPU each process group used meanwhile. */
export async function withCpu(fn) {
  const before = cpuSnapshot();
  const r = await fn();
  return { r, cpu: cpuSince(before) };
}
