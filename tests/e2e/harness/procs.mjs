// Processes, ports and temp dirs for the e2e harness. Everything listens on
// 127.0.0.1 only; every process started here is stopped by its own handle.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Fails (never skips) when a dependency is missing. */
export function requireFile(file, hint) {
  if (!existsSync(file)) throw new Error(`missing ${file}: ${hint}`);
  return file;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(name) {
  return mkdtempSync(path.join(os.tmpdir(), `airlock-e2e-${name}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Spawns a process with its output in `logFile`; returns {proc, stop, log}. */
export function start(cmd, args, { logFile, cwd, env } = {}) {
  const proc = spawn(cmd, args, { cwd, env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks = [];
  const keep = (d) => {
    chunks.push(d);
    if (chunks.length > 2000) chunks.splice(0, 1000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  return {
    proc,
    get exited() {
      return exited;
    },
    log() {
      let text = Buffer.concat(chunks).toString('utf8');
      if (logFile && existsSync(logFile)) text += readFileSync(logFile, 'utf8');
      return text.slice(-8000);
    },
    async stop() {
      if (exited) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
      }, 5000);
      const r = await exitPromise;
      clearTimeout(t);
      return r;
    },
  };
}

/** Awaits `ready()`; when it fails, stops `handle`, removes `dir` and rethrows. */
export async function readyOrCleanUp(handle, dir, ready) {
  try {
    await ready();
  } catch (e) {
    await handle.stop();
    removeDir(dir);
    throw e;
  }
}

/** Waits until `url` answers one of `codes`, or the process exits. */
export async function waitHttp(url, handle, name, codes = [200, 401]) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (handle.exited) throw new Error(`${name} exited (${JSON.stringify(handle.exited)}):\n${handle.log()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (codes.includes(res.status)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url} within 15 s:\n${handle.log()}`);
}
