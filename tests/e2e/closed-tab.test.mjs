// The page survives a closed tab: the page is reloaded in the middle of a
// push (what closing the tab does to the requests in flight), the registry
// is left with no tag pointing at incomplete content, and opening the same
// tar again and pushing completes, sending only what is missing.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pageSuite } from './harness/env.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';
import { incompleteTags, tagLines } from './harness/registry-client.mjs';

const MIB = 1 << 20;

/** "96.0 MiB" → bytes. */
function bytes(text) {
  const m = /([\d.]+)\s*(B|KiB|MiB|GiB)/.exec(text || '');
  assert.ok(m, `not a byte count: ${text}`);
  return Number(m[1]) * { B: 1, KiB: 1 << 10, MiB: 1 << 20, GiB: 1 << 30 }[m[2]];
}

describe('closed tab (same origin, no auth)', () => {
  const { stack, env, ui } = pageSuite({ goto: false });

  test('reload mid-push, open the tar again, push: completes and sends only what is missing', async () => {
    const dir = tempDir('closed-tab');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'bundle.tar');
    const images = Array.from({ length: 6 }, (_, i) => ({ repo: `gen/app${i}`, layers: [24 * MIB, 24 * MIB] }));
    await writeBundleTar(tar, { seed: 'closed-tab', images });
    const layerBytes = images.length * 48 * MIB;
    const repo = 'dst/closed-tab';

    await ui.airlock.goto(env.origin);
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    await ui.airlock.setRepository(`${env.host}/${repo}`);
    const rows = await ui.airlock.previewRows();
    await ui.airlock.startPush();
    await ui.airlock.waitPushFraction(0.4);

    // The tab goes away with requests in flight.
    await ui.airlock.goto(env.origin);
    const partial = await tagLines(env.registry.base, repo);
    assert.ok(!partial.some((l) => l.startsWith('v1.0.0 ')), `the root tag is written last: ${partial}`);
    assert.deepEqual(await incompleteTags(env.registry.base, repo), [], 'no tag points at incomplete content');

    // A new page: open the same tar, push again.
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    if (await ui.airlock.carriedDestination()) await ui.airlock.confirmDestination();
    else await ui.airlock.setRepository(`${env.host}/${repo}`);
    const resumed = await ui.airlock.push();
    assert.equal(resumed.result, 'pushed', resumed.text);
    const m = await ui.airlock.pushMetrics();
    assert.ok(Number(m['blobs already there']) > 0, `nothing was kept from the first push: ${JSON.stringify(m)}`);
    const sent = bytes(m['bytes uploaded']);
    assert.ok(sent < layerBytes, `sent ${sent} bytes of ${layerBytes} again: ${JSON.stringify(m)}`);

    // The registry equals a complete push: every preview row's tags at its digest, nothing dangling.
    const lines = await tagLines(env.registry.base, repo);
    for (const r of rows) {
      const digest = r.destination.split('@')[1];
      for (const t of r.tags) assert.ok(lines.some((l) => l.startsWith(`${t} ${digest} `)), `${t} -> ${digest} missing`);
    }
    assert.deepEqual(await incompleteTags(env.registry.base, repo), []);
  });
});
