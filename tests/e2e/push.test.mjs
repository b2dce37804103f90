// Push into a real registry through the page: the registry ends up exactly as
// `imgpkg copy --tar … --to-repo` leaves it; pushing again skips everything;
// cancel mid-push, then resume; a corrupt tar pushes nothing.

import assert from 'node:assert/strict';
import { openSync, readSync, writeSync, closeSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { browserPage, pageSuite, PASSWORD, sameOrigin, Stack, USER } from './harness/env.mjs';
import { fixture } from './harness/fixtures.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';
import { basic, tagLines } from './harness/registry-client.mjs';
import { startRegistry } from './harness/registry.mjs';

describe('push (same origin, no auth)', () => {
  const { stack, env, ui } = pageSuite();

  for (const name of ['simple-bundle', 'image-app1']) {
    test(`${name}: the registry matches imgpkg's, and a second push skips everything`, async () => {
      const fx = fixture(name);
      assert.ok(await ui.airlock.open(fx.tar), await ui.airlock.openError());
      await ui.airlock.setRepository(`${env.host}/dst-from-tar/${name}`);
      const first = await ui.airlock.push();
      assert.equal(first.result, 'pushed', first.text);
      assert.deepEqual(await tagLines(env.registry.base, `dst-from-tar/${name}`), fx.expectedTags());
      if (name === 'simple-bundle') await ui.airlock.screenshot('pushed-simple-bundle');
      const again = await ui.airlock.push();
      assert.equal(again.result, 'pushed', again.text);
      const m = await ui.airlock.pushMetrics();
      assert.equal(m['blobs uploaded'], '0');
      assert.equal(m['manifests written'], '0');
      assert.deepEqual(await tagLines(env.registry.base, `dst-from-tar/${name}`), fx.expectedTags());
    });
  }

  test('cancel mid-push, then resume: only what is missing is sent', async () => {
    const dir = tempDir('cancel');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'big.tar');
    await writeBundleTar(tar, { seed: 'cancel', images: Array.from({ length: 6 }, (_, i) => ({ repo: `gen/app${i}`, layers: [24 << 20, 24 << 20] })) });
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    await ui.airlock.setRepository(`${env.host}/dst/cancel`);
    const rows = await ui.airlock.previewRows();
    await ui.airlock.verify();
    await ui.airlock.startPush();
    await ui.airlock.waitPushFraction(0.15);
    // Per-blob progress (bytes, rate, ETA; skipped and mounted counts) while it runs.
    const stats = await ui.page.textContent('#push-stats');
    assert.match(stats, /of .*MiB.*\/s.*blobs \d+ of \d+ · \d+ skipped · \d+ mounted/, stats);
    await ui.airlock.screenshot('push-progress');
    await ui.airlock.cancelPush();
    const cancelled = await ui.airlock.waitPushResult();
    assert.equal(cancelled.code, 'E_CANCELLED', cancelled.text);
    const partial = await tagLines(env.registry.base, 'dst/cancel');
    assert.ok(!partial.some((l) => l.startsWith('v1.0.0 ')), 'the root tag is written last');
    await ui.airlock.screenshot('push-cancelled');
    const resumed = await ui.airlock.push();
    assert.equal(resumed.result, 'pushed', resumed.text);
    const m = await ui.airlock.pushMetrics();
    assert.ok(Number(m['blobs already there']) > 0, `resumed push skipped nothing: ${JSON.stringify(m)}`);
    const lines = await tagLines(env.registry.base, 'dst/cancel');
    for (const r of rows) {
      const digest = r.destination.split('@')[1];
      for (const t of r.tags) assert.ok(lines.some((l) => l.startsWith(`${t} ${digest} `)), `${t} -> ${digest} missing`);
    }
  });

  test('a corrupt tar: verify lists the problem and push sends nothing', async () => {
    const fx = fixture('simple-bundle');
    const dir = tempDir('corrupt');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'corrupt.tar');
    copyFileSync(fx.tar, tar);
    // Flip one byte in the data of the last layer entry (just before the two end blocks).
    const fd = openSync(tar, 'r+');
    const size = (await import('node:fs')).fstatSync(fd).size;
    const at = size - 1024 - 600;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    const v = await ui.airlock.verify();
    assert.equal(v.result, 'problems');
    assert.ok(v.problems.some((p) => /sha256-[0-9a-f]{64}\.tar\.gz/.test(p)), v.problems.join('\n'));
    await ui.airlock.screenshot('verify-problems');
    await ui.page.fill('#repository', `${env.host}/dst/corrupt`);
    await ui.page.waitForTimeout(300);
    assert.ok(await ui.page.isDisabled('#push-start'));
    assert.deepEqual(await tagLines(env.registry.base, 'dst/corrupt'), []);
    const uploads = ui.requests.filter((r) => r.url.includes('/dst/corrupt/') && r.method !== 'GET' && r.method !== 'HEAD');
    assert.deepEqual(uploads, []);
  });
});

describe('push across origins to a CORS registry', () => {
  const stack = new Stack();
  after(() => stack.stop());
  test('simple-bundle straight to the registry (no proxy)', async () => {
    const env = await sameOrigin(stack);
    const direct = stack.add(await startRegistry({ cors: true }));
    const ui = await browserPage(stack);
    await ui.airlock.goto(env.origin);
    const fx = fixture('simple-bundle');
    assert.ok(await ui.airlock.open(fx.tar));
    await ui.airlock.setRepository(`${direct.host}/dst-from-tar/simple-bundle`);
    const r = await ui.airlock.push();
    assert.equal(r.result, 'pushed', r.text);
    assert.deepEqual(await tagLines(direct.base, 'dst-from-tar/simple-bundle'), fx.expectedTags());
  });

  test('a registry without CORS headers: E_CORS, the same-origin advice, nothing pushed', async () => {
    const env = await sameOrigin(stack);
    const direct = stack.add(await startRegistry({ cors: false }));
    const ui = await browserPage(stack);
    await ui.airlock.goto(env.origin);
    assert.ok(await ui.airlock.open(fixture('simple-bundle').tar));
    await ui.airlock.setRepository(`${direct.host}/dst/no-cors`);
    const started = Date.now();
    const r = await ui.airlock.push();
    assert.equal(r.code, 'E_CORS', r.text);
    assert.match(r.text, /registry.s own origin/);
    assert.ok(Date.now() - started < 30000, 'fails fast enough');
    assert.deepEqual(await tagLines(direct.base, 'dst/no-cors'), []);
    await ui.airlock.screenshot('push-cors-refused');
  });
});

for (const auth of ['basic', 'token']) {
  describe(`authenticated push through nginx (${auth})`, () => {
    const stack = new Stack();
    after(() => stack.stop());
    test('simple-bundle lands exactly as imgpkg leaves it', async () => {
      const env = await sameOrigin(stack, { auth });
      const ui = await browserPage(stack);
      await ui.airlock.goto(env.origin);
      const fx = fixture('simple-bundle');
      assert.ok(await ui.airlock.open(fx.tar));
      await ui.airlock.useCredentials(USER, PASSWORD);
      await ui.airlock.setRepository(`${env.host}/dst-from-tar/simple-bundle`);
      const r = await ui.airlock.push();
      assert.equal(r.result, 'pushed', r.text);
      for (const req of ui.requests) {
        assert.ok(!req.url.includes(PASSWORD), `password in URL ${req.url}`);
        if (req.headers.authorization) assert.ok(req.url.startsWith(`${env.origin}/`), `credentials sent to ${req.url}`);
      }
      if (auth === 'basic') {
        assert.deepEqual(await tagLines(env.registry.base, 'dst-from-tar/simple-bundle', { authorization: basic(USER, PASSWORD) }), fx.expectedTags());
      } else {
        // Read back through the page's own origin with a token from the token service.
        const tok = await (await fetch(`${env.origin}/auth/token?service=${env.token.service}&scope=repository:dst-from-tar/simple-bundle:pull`, { headers: { Authorization: basic(USER, PASSWORD) } })).json();
        assert.deepEqual(await tagLines(env.registry.base, 'dst-from-tar/simple-bundle', { authorization: `Bearer ${tok.token}` }), fx.expectedTags());
      }
    });
  });
}
