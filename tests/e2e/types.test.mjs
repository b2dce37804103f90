// The TypeScript declarations of the JS API (pkg/airlock.d.ts, from
// crate/wasm/src/types.rs and the functions' unchecked_*_type attributes):
// a consumer using every function and field type-checks under
// `tsc --noEmit --strict`, misuse is rejected (its `@ts-expect-error` lines),
// and a consumer misreading a field fails.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');
const dts = path.join(here, '..', '..', 'pkg', 'airlock.d.ts');

function typeCheck(file) {
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler', '--lib', 'esnext,dom', path.join(here, 'types', file)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('TypeScript declarations', () => {
  test('pkg/airlock.d.ts exists (scripts/build-wasm.sh)', () => {
    assert.ok(existsSync(dts), `${dts} is missing: run scripts/build-wasm.sh`);
  });

  test('a consumer of every function and field type-checks, misuse does not', () => {
    const r = typeCheck('consumer.ts');
    assert.equal(r.status, 0, r.output);
  });

  test('a consumer misreading a field type fails', () => {
    const r = typeCheck('wrong.ts');
    assert.notEqual(r.status, 0, 'tsc accepted types/wrong.ts');
    assert.match(r.output, /wrong\.ts\(9,\d+\): error TS2322: Type 'number \| null' is not assignable to type 'string'/, r.output);
  });
});
