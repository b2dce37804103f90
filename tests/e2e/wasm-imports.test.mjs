// The build gate of scripts/build-wasm.sh (scripts/wasm-imports.mjs): the
// built pkg/airlock_bg.wasm imports only from wasm-bindgen's glue, and a
// module importing from `env` is refused, by name.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { foreignImports } from '../../scripts/wasm-imports.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'scripts', 'wasm-imports.mjs');

/** A minimal module importing `env.memcpy: (i32, i32, i32) -> i32`. */
function moduleImportingEnv() {
  const name = (s) => [s.length, ...Buffer.from(s)];
  const types = [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f];
  const imports = [0x01, ...name('env'), ...name('memcpy'), 0x00, 0x00];
  const section = (id, body) => [id, body.length, ...body];
  return Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...section(1, types), ...section(2, imports)]);
}

describe('wasm import gate', () => {
  test('pkg/airlock_bg.wasm imports only the wasm-bindgen glue', () => {
    const bytes = readFileSync(path.join(root, 'pkg', 'airlock_bg.wasm'));
    assert.deepEqual(foreignImports(bytes), []);
    const r = spawnSync(process.execPath, [script, path.join(root, 'pkg', 'airlock_bg.wasm')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('a module importing from env fails the gate, naming the import', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'airlock-wasm-imports-'));
    try {
      const file = path.join(dir, 'env.wasm');
      writeFileSync(file, moduleImportingEnv());
      assert.deepEqual(foreignImports(readFileSync(file)), ['env.memcpy (function)']);
      const r = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /imports 1 function\(s\) from outside wasm-bindgen's glue/);
      assert.match(r.stderr, /env\.memcpy \(function\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
