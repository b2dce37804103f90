// Accessibility: axe-core finds no serious or critical violation in any main
// state of the page (empty, opened, verified, problems, preview, carried
// destination, pushing, pushed, errors), and the whole flow — open, look
// into the tree, verify, destination, push — works with the keyboard alone
// (Tab, Enter, Space; no clicks), under the enforced CSP with Trusted Types.

import assert from 'node:assert/strict';
import { closeSync, copyFileSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { axeViolations } from './harness/axe.mjs';
import { pageSuite } from './harness/env.mjs';
import { fixture, FIXTURES } from './harness/fixtures.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { freePort, removeDir, tempDir } from './harness/procs.mjs';
import { tagLines } from './harness/registry-client.mjs';

function corruptCopy(src, dst) {
  copyFileSync(src, dst);
  const fd = openSync(dst, 'r+');
  const at = fstatSync(fd).size - 1024 - 600;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] ^= 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe('axe-core on every main state', () => {
  const { stack, env, ui } = pageSuite({ page: { bypassCSP: true }, goto: false });
  let dir;
  const found = [];
  const check = async (state) => found.push(...(await axeViolations(ui.page, state)));
  before(() => {
    dir = tempDir('a11y');
    stack.add({ stop: () => removeDir(dir) });
  });

  test('empty, opened, verified, preview, carried destination, pushing, pushed', async () => {
    await ui.airlock.goto(env.origin);
    await check('empty');
    const fx = fixture('simple-bundle');
    assert.ok(await ui.airlock.open(fx.tar));
    await check('opened');
    assert.equal((await ui.airlock.verify()).result, 'ok');
    await check('verified');
    await ui.airlock.setRepository(`${env.host}/a11y/simple`);
    await check('preview');
    assert.equal((await ui.airlock.push()).result, 'pushed');
    await check('pushed');

    const tar = path.join(dir, 'slow.tar');
    await writeBundleTar(tar, { seed: 'a11y', images: Array.from({ length: 4 }, (_, i) => ({ repo: `gen/a11y${i}`, layers: [24 << 20, 24 << 20] })) });
    assert.ok(await ui.airlock.open(tar));
    assert.ok(await ui.airlock.carriedDestination());
    await check('carried destination');
    await ui.airlock.setRepository(`${env.host}/a11y/slow`);
    await ui.airlock.startPush();
    await ui.airlock.waitPushFraction(0.05, 120000);
    await check('pushing');
    assert.equal((await ui.airlock.waitPushResult()).result, 'pushed');
    assert.deepEqual(found, []);
  });

  test('problems, open error, connection error', async () => {
    const bad = path.join(dir, 'corrupt.tar');
    corruptCopy(fixture('simple-bundle').tar, bad);
    assert.ok(await ui.airlock.open(bad));
    assert.equal((await ui.airlock.verify()).result, 'problems');
    await check('problems');
    assert.equal(await ui.airlock.open(path.join(FIXTURES, 'simple-bundle/tar-listing.txt')), false);
    await check('open error');
    await ui.page.fill('#repository', `127.0.0.1:${await freePort()}/a11y/x`);
    assert.equal((await ui.airlock.testConnection()).code, 'E_NETWORK');
    await check('connection error');
    assert.deepEqual(found, []);
  });
});

describe('keyboard only', () => {
  const { env, ui } = pageSuite({ goto: false });

  const focused = () => ui.page.evaluate(() => ({ id: document.activeElement.id, tag: document.activeElement.tagName, inTree: !!document.activeElement.closest('#tree') }));
  /** Presses Tab until `want(focused)` holds. */
  async function tabUntil(want, what, max = 300) {
    for (let i = 0; i < max; i += 1) {
      await ui.page.keyboard.press('Tab');
      const f = await focused();
      if (want(f)) return f;
    }
    throw new Error(`Tab never reached ${what}`);
  }
  const tabTo = (id) => tabUntil((f) => f.id === id, `#${id}`);

  test('open, tree, verify, destination, push: Tab, Enter and Space only', async () => {
    await ui.airlock.goto(env.origin);
    const fx = fixture('simple-bundle');
    await tabTo('choose-file');
    // Enter on the focused button opens the picker. On a cold machine the
    // first key can land while the page is still settling (warm-up), so
    // the key is pressed again, still only from the keyboard, up to 3 times.
    let chooser;
    for (let attempt = 0; !chooser && attempt < 3; attempt += 1) {
      [chooser] = await Promise.all([
        ui.page.waitForEvent('filechooser', { timeout: 8000 }).catch(() => null),
        ui.page.keyboard.press('Enter'),
      ]);
      if (!chooser) assert.equal((await focused()).id, 'choose-file', 'focus stays on the button');
    }
    assert.ok(chooser, 'Enter on "Choose a file" opens the file picker');
    await chooser.setFiles(fx.tar);
    await ui.page.waitForSelector('#inspect:not([hidden])');

    // The tree: a summary takes the focus; Enter opens and closes its node.
    await tabUntil((f) => f.tag === 'SUMMARY' && f.inTree, 'a tree node');
    const toggled = async () => ui.page.evaluate(() => document.activeElement.parentElement.open);
    const before = await toggled();
    await ui.page.keyboard.press('Enter');
    assert.equal(await toggled(), !before);
    await ui.page.keyboard.press('Enter');
    assert.equal(await toggled(), before);

    await tabTo('verify-start');
    await ui.page.keyboard.press('Space');
    await ui.page.waitForSelector('#verify-result .alert');
    assert.equal(await ui.page.getAttribute('#verify-result .alert', 'data-result'), 'ok');

    await tabTo('repository');
    await ui.page.keyboard.type(`${env.host}/keyboard/simple`);
    await ui.page.waitForFunction(() => !document.getElementById('push-start').disabled);
    await tabTo('push-start');
    await ui.page.keyboard.press('Enter');
    const r = await ui.airlock.waitPushResult();
    assert.equal(r.result, 'pushed', r.text);
    assert.deepEqual(await tagLines(env.registry.base, 'keyboard/simple'), fx.expectedTags());
    assert.deepEqual(ui.violations, []);
    // (The registry's 404s for blobs it lacks are logged by the browser; nothing else may be.)
    assert.deepEqual(ui.errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e)), []);
  });
});
