// A registry that never answers one request: the page's transport gives up on
// it after `responseHeaderTimeoutMs` (the CLI's
// --registry-response-header-timeout) and the session retries it, so the push
// completes and the registry equals a CLI push, instead of waiting for ever.
// The silent registry is a small front on 127.0.0.1 (below) between the page's
// nginx and real Distribution; it swallows the first manifest PUT.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { browserPage, bundleWithReference, Stack } from './harness/env.mjs';
import { startNginx } from './harness/nginx.mjs';
import { tagLines } from './harness/registry-client.mjs';
import { startRegistry } from './harness/registry.mjs';

/** Proxies to `upstreamPort`, except that the first request `hold(req)` picks is never answered. */
async function silentFront(upstreamPort, hold) {
  const seen = [];
  let held = 0;
  const server = http.createServer((req, res) => {
    if (held === 0 && hold(req)) {
      held += 1;
      seen.push(`${req.method} ${req.url} (held)`);
      req.resume();
      return;
    }
    seen.push(`${req.method} ${req.url}`);
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (u) => {
      res.writeHead(u.statusCode, u.headers);
      u.pipe(res);
    });
    up.on('error', (e) => res.destroy(e));
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    host: `127.0.0.1:${port}`,
    seen,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

describe('a request the registry never answers', () => {
  const stack = new Stack();
  let ui;
  let tar;
  let expected;
  before(async () => {
    ({ tar, expected } = await bundleWithReference(stack, 'silent', { seed: 'silent', images: [{ repo: 'gen/a', layers: [3000] }, { repo: 'gen/b', layers: [2000] }] }));
    ui = await browserPage(stack);
  });
  after(() => stack.stop());

  test('times out after responseHeaderTimeoutMs and is retried: the push completes', async () => {
    const registry = stack.add(await startRegistry({ cors: false }));
    const front = stack.add(await silentFront(registry.port, (req) => req.method === 'PUT' && req.url.includes('/manifests/')));
    const nginx = stack.add(await startNginx({ registry: front.host }));
    await ui.airlock.goto(nginx.origin);
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    const t0 = Date.now();
    const summary = await ui.page.evaluate(async (repository) => {
      const job = globalThis.airlockApp.model.archive.copy({ repository, responseHeaderTimeoutMs: 1500 });
      return job.done;
    }, `${nginx.host}/dst/app`);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(front.seen.filter((l) => l.endsWith('(held)')).length, 1, front.seen.join('\n'));
    assert.ok(summary.retries >= 1, JSON.stringify(summary));
    assert.ok(seconds >= 1.5, `the held request was given up before its deadline (${seconds} s)`);
    assert.deepEqual(await tagLines(registry.base, 'dst/app'), expected, 'the registry must equal the CLI push');
  });
});
