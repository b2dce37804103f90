// Chunked uploads from the page through real parts: same-origin nginx with
// `client_max_body_size 8m` (the 413 fallback, and the page's upload-chunks
// option), and a front with chunk rules (at least 5 MiB but the last, at
// most 16 MiB) between nginx and Distribution. Each registry must end up as
// the CLI's push of the same tar straight into a registry leaves it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cargoBin } from './harness/cargo-bin.mjs';
import { browserPage, bundleWithReference, Stack } from './harness/env.mjs';
import { startNginx } from './harness/nginx.mjs';
import { start } from './harness/procs.mjs';
import { tagLines } from './harness/registry-client.mjs';
import { startRegistry } from './harness/registry.mjs';

/** The chunk-rules front (`gen chunk-front`) in front of `registry`. */
async function startFront(registry) {
  const gen = await cargoBin('airlock-testkit', 'gen');
  const handle = start(gen, ['chunk-front', '--upstream', String(registry.port), '--min', '5MiB', '--max', '16MiB']);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    handle.proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/"port":\s*(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    handle.proc.on('exit', () => reject(new Error(`gen chunk-front exited:\n${handle.log()}`)));
  });
  return { host: `127.0.0.1:${port}`, port, stop: () => handle.stop() };
}

async function resultNote(page) {
  return page.textContent('#push-result [data-upload-note]').catch(() => '');
}

describe('chunked uploads from the page', () => {
  const stack = new Stack();
  let ui;
  let tar;
  let expected;
  before(async () => {
    // The reference: the CLI straight into a registry, no proxy.
    ({ tar, expected } = await bundleWithReference(stack, 'chunked', { seed: 'chunked', images: [{ repo: 'gen/app', layers: [24 << 20, 24 << 20] }] }));
    assert.ok(expected.length >= 2, expected.join('\n'));
    ui = await browserPage(stack);
  });
  after(() => stack.stop());

  /** The tar opened from `nginx`'s page and pushed to dst/app there (`options` set first): the result note. */
  async function pushThrough(nginx, options = async () => {}) {
    await ui.airlock.goto(nginx.origin);
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    await options();
    await ui.airlock.setRepository(`${nginx.host}/dst/app`);
    const r = await ui.airlock.push();
    assert.equal(r.result, 'pushed', r.text);
    return resultNote(ui.page);
  }

  test('nginx with client_max_body_size 8m: the push completes through the 413 fallback', async () => {
    const registry = stack.add(await startRegistry({ cors: false }));
    const nginx = stack.add(await startNginx({ registry: registry.host, maxBody: '8m' }));
    assert.match(await pushThrough(nginx), /in chunks of 8\.0 MiB \(after a 413/);
    assert.match(nginx.accessLog(), /" 413 /);
    assert.deepEqual(await tagLines(registry.base, 'dst/app'), expected);
  });

  test('the upload-chunks option sends 8 MiB chunks with no 413', async () => {
    const registry = stack.add(await startRegistry({ cors: false }));
    const nginx = stack.add(await startNginx({ registry: registry.host, maxBody: '8m' }));
    const note = await pushThrough(nginx, () => ui.page.selectOption('#opt-upload-chunk', '8'));
    assert.match(note, /2 blobs in chunks of 8\.0 MiB \(as requested\)/);
    const log = nginx.accessLog();
    assert.doesNotMatch(log, /" 413 /);
    assert.equal(log.split('\n').filter((l) => l.includes('"PATCH ')).length, 6, log);
    assert.deepEqual(await tagLines(registry.base, 'dst/app'), expected);
    await ui.page.selectOption('#opt-upload-chunk', '0');
  });

  test('a front with chunk rules (5 MiB to 16 MiB): the page complies', async () => {
    const registry = stack.add(await startRegistry({ cors: false }));
    const front = stack.add(await startFront(registry));
    const nginx = stack.add(await startNginx({ registry: front.host }));
    assert.match(await pushThrough(nginx), /in chunks of 16\.0 MiB \(after a 413/);
    assert.deepEqual(await tagLines(registry.base, 'dst/app'), expected);
  });
});
