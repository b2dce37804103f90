// Test environments: a browser plus registries and nginx on 127.0.0.1,
// all stopped after the test file (t.after / the returned stop()).

import path from 'node:path';
import { after, before } from 'node:test';
import { launchBrowser, newPage } from './browser.mjs';
import { cargoBin, run } from './cargo-bin.mjs';
import { writeBundleTar } from './make-bundle.mjs';
import { startNginx } from './nginx.mjs';
import { freePort, removeDir, tempDir } from './procs.mjs';
import { tagLines } from './registry-client.mjs';
import { startRegistry } from './registry.mjs';
import { startTokenServer } from './token-server.mjs';
import { AirlockPage } from '../pages/airlock-page.mjs';

export const USER = 'airlock';
export const PASSWORD = 'p4ss-w0rd-not-in-urls';

/** Stops everything registered, last started first. */
export class Stack {
  constructor() {
    this.stops = [];
  }

  add(thing) {
    this.stops.push(() => thing.stop());
    return thing;
  }

  async stop() {
    const errors = [];
    while (this.stops.length) {
      try {
        await this.stops.pop()();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }
}

/**
 * nginx serving the page with /v2/ proxied to a fresh registry.
 * @param {'none'|'basic'|'token'} auth
 */
export async function sameOrigin(stack, { auth = 'none', cors = false } = {}) {
  const users = { [USER]: PASSWORD };
  if (auth === 'token') {
    const token = stack.add(await startTokenServer({ users }));
    const nginxPort = await freePort();
    const origin = `http://127.0.0.1:${nginxPort}`;
    const registry = stack.add(await startRegistry({ auth: 'token', cors, token: { realm: `${origin}/auth/token`, service: token.service, issuer: token.issuer, certPath: token.certPath } }));
    const nginx = stack.add(await startNginx({ registry: registry.host, tokenPort: token.port, port: nginxPort }));
    return { registry, nginx, token, origin: nginx.origin, host: nginx.host };
  }
  const registry = stack.add(await startRegistry({ auth, cors, users }));
  const nginx = stack.add(await startNginx({ registry: registry.host }));
  return { registry, nginx, origin: nginx.origin, host: nginx.host };
}

/** @param {{testEntry?: boolean, bypassCSP?: boolean}} [options] passed to newPage */
export async function browserPage(stack, options = {}) {
  const browser = await launchBrowser();
  stack.add({ stop: () => browser.close() });
  const opened = await newPage(browser, options);
  return { browser, ...opened, airlock: new AirlockPage(opened.page) };
}

/**
 * sameOrigin(stack, { auth }), then `prepare(stack, env)` if given, then
 * browserPage(stack, page), loaded from the origin unless goto is false.
 * @param {{auth?: 'none'|'basic'|'token', page?: object, goto?: boolean, prepare?: Function}} [options]
 */
export async function openPage(stack, { auth = 'none', page = {}, goto = true, prepare } = {}) {
  const env = await sameOrigin(stack, { auth });
  if (prepare) await prepare(stack, env);
  const ui = await browserPage(stack, page);
  if (goto) await ui.airlock.goto(env.origin);
  return { env, ui };
}

/**
 * The usual suite: registers before/after hooks in the calling describe()
 * that run openPage(stack, options) and stop the stack after. `env` and `ui`
 * are filled in by the before hook (the objects sameOrigin and browserPage
 * return); `stack` takes whatever else the tests start.
 * @param {Parameters<typeof openPage>[1]} [options]
 */
export function pageSuite(options) {
  const stack = new Stack();
  const env = {};
  const ui = {};
  before(async () => {
    const opened = await openPage(stack, options);
    Object.assign(env, opened.env);
    Object.assign(ui, opened.ui);
  });
  after(() => stack.stop());
  return { stack, env, ui };
}

/**
 * A generated bundle tar (writeBundleTar's `spec`) in a temporary folder the
 * stack removes, and the tags `airlock copy --tar` leaves for it at dst/app
 * of a fresh registry: the reference a page push must equal.
 */
export async function bundleWithReference(stack, name, spec) {
  const dir = tempDir(name);
  stack.add({ stop: () => removeDir(dir) });
  const tar = path.join(dir, `${name}.tar`);
  await writeBundleTar(tar, spec);
  const plain = stack.add(await startRegistry({ cors: false }));
  await run(await cargoBin('airlock-cli', 'airlock'), ['copy', '--tar', tar, '--to-repo', `${plain.host}/dst/app`]);
  return { tar, dir, expected: await tagLines(plain.base, 'dst/app') };
}
