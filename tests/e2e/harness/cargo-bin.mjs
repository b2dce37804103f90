// Release binaries of this workspace for tests that need them (the tar
// generator, the CLI): built on first use with cargo (a no-op when fresh).

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './procs.mjs';

const execFileP = promisify(execFile);

/** Path of target/release/NAME after `cargo build --release -p PKG --bin NAME`. */
export async function cargoBin(pkg, name) {
  await execFileP('cargo', ['build', '-q', '--release', '-p', pkg, '--bin', name], { cwd: ROOT, maxBuffer: 64 << 20 });
  return path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'release', name);
}

/** Runs a binary without blocking this process's event loop (registry logs keep draining). */
export async function run(bin, args) {
  return execFileP(bin, args, { cwd: ROOT, maxBuffer: 256 << 20 });
}
