// Security: CSP, no HTML parsing of untrusted text, markup in a tarball's
// names renders as text, credentials stay in memory unless remembered.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserPage, sameOrigin, Stack } from './harness/env.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { ROOT, removeDir, tempDir } from './harness/procs.mjs';

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('static checks of web/', () => {
  test('no HTML sinks and no inline script or style', () => {
    for (const file of filesUnder(path.join(ROOT, 'web'))) {
      const text = readFileSync(file, 'utf8');
      if (file.endsWith('.js')) {
        assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, file);
      }
      if (file.endsWith('.html')) {
        assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/i, `${file}: inline script`);
        assert.doesNotMatch(text, /<style|\sstyle=|\son[a-z]+=/i, `${file}: inline style or handler`);
      }
    }
  });
});

describe('served page', () => {
  const stack = new Stack();
  let env;
  let ui;
  before(async () => {
    env = await sameOrigin(stack);
    ui = await browserPage(stack);
  });
  after(() => stack.stop());

  test('strict Content-Security-Policy header, wasm served as application/wasm', async () => {
    const res = await fetch(`${env.origin}/`);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
    const wasm = await fetch(`${env.origin}/pkg/airlock_bg.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  });

  test('the page loads under the CSP without errors', async () => {
    const status = await ui.airlock.goto(env.origin);
    assert.match(status, /Ready/);
    assert.deepEqual(ui.errors, []);
  });

  test('credentials are not kept across reloads unless "remember" is ticked', async () => {
    await ui.airlock.useCredentials('someone', 'secret-pass-42');
    await ui.page.reload();
    await ui.airlock.goto(env.origin);
    assert.equal(await ui.page.inputValue('#password'), '');
    const stored = await ui.page.evaluate(() => JSON.stringify(localStorage));
    assert.doesNotMatch(stored, /secret-pass-42/);
  });

  test('a tarball with markup in its names and files renders as text', async () => {
    const dir = tempDir('markup');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'markup.tar');
    const evil = 'config/<img src=x onerror="window.__xss=1">.yml';
    await writeBundleTar(tar, {
      files: [
        { path: evil, content: '<script>window.__xss=2</script>\n<b>bold</b>\n' },
        { path: '.imgpkg/bundle.yml', content: 'apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: "<svg onload=window.__xss=3>"\n' },
      ],
      images: [{ repo: 'gen/app', layers: [1024] }],
      seed: 'markup',
    });
    const opened = await ui.airlock.open(tar);
    assert.ok(opened, await ui.airlock.openError());
    const files = await ui.airlock.bundleFiles();
    assert.ok(files.includes(evil), `bundle files: ${files}`);
    const text = await ui.airlock.viewFile(evil);
    assert.match(text, /<script>window.__xss=2<\/script>/);
    const injected = await ui.page.evaluate(() => ({
      xss: window.__xss,
      imgs: document.querySelectorAll('main img, main svg, main script, #file-view-text *').length,
    }));
    assert.deepEqual(injected, { xss: undefined, imgs: 0 });
    await ui.airlock.screenshot('markup-as-text');
  });
});
