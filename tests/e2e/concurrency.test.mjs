// Requests in flight during a page push: automatic (6 over HTTP/1.1, 16 when
// the page and the registry share an HTTP/2 origin) or chosen in the options
// (`--concurrency`). The push result says how many were allowed and how many
// the copy session kept in flight; the registry ends up the same each time.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserPage, bundleWithReference, Stack } from './harness/env.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { startNginx } from './harness/nginx.mjs';
import { tagLines } from './harness/registry-client.mjs';
import { startRegistry } from './harness/registry.mjs';

const FIGURES = /(\d+) requests, at most (\d+) in flight of (\d+) allowed \(([\d.]+) on average\)/;

describe('requests in flight from the page', () => {
  const stack = new Stack();
  let ui;
  let tar;
  let bigTar;
  let expected;
  before(async () => {
    // 24 small images: enough independent work to keep 16 requests busy.
    let dir;
    ({ tar, dir, expected } = await bundleWithReference(stack, 'concurrency', { seed: 'concurrency', images: Array.from({ length: 24 }, (_, i) => ({ repo: `gen/app${i}`, layers: [4096 + i, 2048] })) }));
    // Large items (over 1 MiB per image): bound by bytes, 6 in flight even over HTTP/2.
    bigTar = path.join(dir, 'large.tar');
    await writeBundleTar(bigTar, { seed: 'concurrency-large', images: [{ repo: 'gen/big', layers: [3 << 20, 2 << 20] }] });
    ui = await browserPage(stack, { ignoreHTTPSErrors: true });
  });
  after(() => stack.stop());

  /** Opens the tar from `nginx`'s page, sets `choice` ('0' = automatic), pushes: the figures line. */
  async function push(nginx, choice, file = tar) {
    const registry = nginx.registryProcess;
    await ui.airlock.goto(nginx.origin);
    assert.ok(await ui.airlock.open(file), await ui.airlock.openError());
    await ui.page.selectOption('#opt-concurrency', choice);
    await ui.airlock.setRepository(`${nginx.host}/dst/app`);
    const r = await ui.airlock.push();
    assert.equal(r.result, 'pushed', r.text);
    if (file === tar) assert.deepEqual(await tagLines(registry.base, 'dst/app'), expected, 'the registry must equal the CLI push');
    const text = await ui.page.textContent('#push-result [data-requests]');
    const m = FIGURES.exec(text);
    assert.ok(m, `no request figures in the push result: ${text}`);
    return { requests: Number(m[1]), max: Number(m[2]), allowed: Number(m[3]), mean: Number(m[4]) };
  }

  async function nginxOver({ tls }) {
    const registry = stack.add(await startRegistry({ cors: false }));
    const nginx = stack.add(await startNginx({ registry: registry.host, tls }));
    return { ...nginx, registryProcess: registry };
  }

  test('automatic over HTTP/1.1: 6 allowed, never more in flight', async () => {
    const f = await push(await nginxOver({ tls: false }), '0');
    assert.equal(f.allowed, 6);
    assert.ok(f.max <= 6 && f.max >= 2, JSON.stringify(f));
  });

  test('automatic over HTTP/2 on the page origin: 16 allowed, more than 6 in flight', async () => {
    const nginx = await nginxOver({ tls: true });
    const f = await push(nginx, '0');
    assert.equal(await ui.page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol), 'h2');
    assert.equal(f.allowed, 16);
    assert.ok(f.max > 6 && f.max <= 16, `over HTTP/2 the session should keep more than 6 requests in flight: ${JSON.stringify(f)}`);
  });

  test('automatic over HTTP/2 with large images: 6 allowed', async () => {
    const f = await push(await nginxOver({ tls: true }), '0', bigTar);
    assert.equal(f.allowed, 6, JSON.stringify(f));
  });

  test('chosen: 1 in flight means one request at a time', async () => {
    const f = await push(await nginxOver({ tls: false }), '1');
    assert.equal(f.allowed, 1);
    assert.equal(f.max, 1, JSON.stringify(f));
    await ui.page.selectOption('#opt-concurrency', '0');
  });
});
