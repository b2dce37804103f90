// Verify problems come from the core: for a corrupt tar the page lists
// exactly the lines `airlock verify` prints for the same file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pageSuite } from './harness/env.mjs';
import { fixture } from './harness/fixtures.mjs';
import { removeDir, requireFile, ROOT, tempDir } from './harness/procs.mjs';

const CLI = path.join(ROOT, 'target', 'debug', 'airlock');

/** Copies `from` to `to` with one byte flipped in the data of the last tar entry. */
function corruptCopy(from, to) {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  try {
    const at = fstatSync(fd).size - 1024 - 600;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

describe('verify: the page and the CLI report the same problems', () => {
  const { stack, ui } = pageSuite({
    prepare: () => {
      // The binary of this tree (a no-op when it is up to date).
      const built = spawnSync('cargo', ['build', '-q', '-p', 'airlock-cli', '--bin', 'airlock'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
      requireFile(CLI, 'cargo build -p airlock-cli');
    },
  });

  test('a corrupt layer: the page shows the exact lines of `airlock verify`', async () => {
    const dir = tempDir('verify-text');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'corrupt.tar');
    corruptCopy(fixture('simple-bundle').tar, tar);

    const cli = spawnSync(CLI, ['verify', tar], { encoding: 'utf8' });
    assert.equal(cli.status, 1, `${cli.stdout}${cli.stderr}`);
    const lines = cli.stdout.trim().split('\n');
    assert.equal(lines.length, 1, cli.stdout);
    assert.match(lines[0], /^sha256-[0-9a-f]{64}\.tar\.gz: error verifying sha256 checksum after reading \d+ bytes; got "sha256:[0-9a-f]{64}", want "sha256:[0-9a-f]{64}"$/);

    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    const v = await ui.airlock.verify();
    assert.equal(v.result, 'problems', v.text);
    assert.deepEqual(v.problems, lines);
  });
});
