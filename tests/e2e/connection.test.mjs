// "Test connection": plain-words explanations for CORS refusals, preflight
// refusals, unreachable registries and bad credentials; success through the
// same-origin nginx deployment with Basic and token auth.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { pageSuite, PASSWORD, USER } from './harness/env.mjs';
import { freePort } from './harness/procs.mjs';
import { startRegistry } from './harness/registry.mjs';

describe('test connection', () => {
  const { stack, env, ui } = pageSuite();

  test('a registry without CORS headers: explains the refusal and the same-origin fix', async () => {
    const refusing = stack.add(await startRegistry({ cors: false }));
    await ui.page.fill('#repository', `${refusing.host}/dst/x`);
    const r = await ui.airlock.testConnection();
    assert.equal(r.code, 'E_CORS');
    assert.match(r.text, /blocked the registry’s answer \(CORS\)/);
    assert.match(r.text, /Serve Airlock from the registry’s origin/);
    await ui.airlock.screenshot('connection-cors-refused');
  });

  test('Distribution with auth refuses the preflight: explained', async () => {
    const authed = stack.add(await startRegistry({ auth: 'basic', cors: true, users: { [USER]: PASSWORD } }));
    await ui.page.fill('#repository', `${authed.host}/dst/x`);
    await ui.airlock.useCredentials(USER, PASSWORD);
    const r = await ui.airlock.testConnection();
    assert.equal(r.code, 'E_CORS');
    assert.match(r.text, /preflight/);
    assert.match(r.text, /Serve Airlock from the registry’s origin/);
    await ui.airlock.useAnonymous();
  });

  test('nothing listening: a network error, not CORS', async () => {
    const port = await freePort();
    await ui.page.fill('#repository', `127.0.0.1:${port}/dst/x`);
    const r = await ui.airlock.testConnection();
    assert.equal(r.code, 'E_NETWORK');
    assert.match(r.text, /Cannot reach http:\/\/127\.0\.0\.1:\d+/);
  });

  test('the same-origin registry (no auth): ready to push', async () => {
    await ui.page.fill('#repository', `${env.host}/dst/x`);
    const r = await ui.airlock.testConnection();
    assert.equal(r.code, 'OK', r.text);
    assert.match(r.text, /Ready to push to 127\.0\.0\.1:\d+\/dst\/x/);
  });

  test('a bad repository is an argument error', async () => {
    await ui.page.fill('#repository', 'https://registry.example.com/x');
    await ui.page.click('#test-connection');
    await ui.page.waitForSelector('#connection-result .alert');
    assert.equal(await ui.page.getAttribute('#connection-result .alert', 'data-code'), 'E_ARGUMENT');
  });
});

for (const auth of ['basic', 'token']) {
  describe(`test connection through nginx, ${auth} auth`, () => {
    const { env, ui } = pageSuite({ auth });
    before(() => ui.page.fill('#repository', `${env.host}/dst/auth-${auth}`));

    test('anonymous: asks for a login', async () => {
      const r = await ui.airlock.testConnection();
      assert.equal(r.code, 'E_AUTH');
      assert.match(r.text, /requires a login/);
    });

    test('wrong password: refused, and the password appears nowhere', async () => {
      await ui.airlock.useCredentials(USER, 'wrong-password-123');
      const r = await ui.airlock.testConnection();
      assert.equal(r.code, 'E_AUTH');
      assert.doesNotMatch(r.text, /wrong-password-123/);
    });

    test('right password: ready to push; credentials only in headers, only to this origin', async () => {
      await ui.airlock.useCredentials(USER, PASSWORD);
      const r = await ui.airlock.testConnection();
      assert.equal(r.code, 'OK', r.text);
      for (const req of ui.requests) {
        assert.ok(!req.url.includes(PASSWORD), `password in URL ${req.url}`);
        if (req.headers.authorization) assert.ok(req.url.startsWith(`${env.origin}/`), `credentials sent to ${req.url}`);
      }
      if (auth === 'token') assert.ok(env.token.requests.some((q) => q.authorization), 'the token service was asked');
      if (auth === 'basic') await ui.airlock.screenshot('connection-ok');
    });
  });
}
