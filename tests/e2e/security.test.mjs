// Security: CSP, no HTML parsing of untrusted text, markup in a tarball's
// names renders as text, credentials stay in memory unless remembered.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { newPage } from './harness/browser.mjs';
import { browserPage, pageSuite } from './harness/env.mjs';
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
  const { stack, env, ui } = pageSuite({ goto: false });

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

  test('dom.js sets only allow-listed properties and attributes', async () => {
    const refused = await ui.page.evaluate(async () => {
      const { el } = await import('/js/dom.js');
      const attempt = (props) => {
        try {
          el('div', props);
          return 'set';
        } catch (e) {
          return e.message;
        }
      };
      return {
        innerHTML: attempt({ innerHTML: '<img src=x>' }),
        outerHTML: attempt({ outerHTML: '<b>x</b>' }),
        onclick: attempt({ attrs: { onclick: 'x()' } }),
        style: attempt({ attrs: { style: 'color:red' } }),
        src: attempt({ attrs: { src: 'x.js' } }),
        href: attempt({ attrs: { href: 'javascript:alert(1)' } }),
        allowed: attempt({ type: 'button', attrs: { title: 't', 'aria-label': 'l', 'data-x': '1', href: '#main' } }),
      };
    });
    assert.match(refused.innerHTML, /refusing to set property "innerHTML"/);
    assert.match(refused.outerHTML, /refusing to set property "outerHTML"/);
    assert.match(refused.onclick, /refusing to set attribute "onclick"/);
    assert.match(refused.style, /refusing to set attribute "style"/);
    assert.match(refused.src, /refusing to set attribute "src"/);
    assert.match(refused.href, /refusing href "javascript:alert\(1\)"/);
    assert.equal(refused.allowed, 'set');
  });

  test('Trusted Types are enforced: an HTML sink throws, the page reports no violation', async () => {
    const csp = (await fetch(`${env.origin}/`)).headers.get('content-security-policy');
    assert.match(csp, /require-trusted-types-for 'script'; trusted-types airlock/);
    const meta = await ui.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(meta, /require-trusted-types-for 'script'; trusted-types airlock/);
    // The probe runs in its own tab, so its (expected) violation report stays out of ui.violations.
    const probe = await newPage(ui.browser);
    stack.add({ stop: () => probe.context.close() });
    await probe.page.goto(`${env.origin}/`);
    const sink = await probe.page.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<b>x</b>';
        return 'assigned';
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(sink, 'TypeError');
    // ...and the harness sees the report (so an empty ui.violations means something).
    await probe.page.waitForFunction(() => true);
    for (let i = 0; i < 50 && probe.violations.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.match(probe.violations.join('\n'), /CSP violation: require-trusted-types-for/);
  });

  test('no test hook in the shipped page', async () => {
    const res = await fetch(`${env.origin}/js/main.js`);
    assert.doesNotMatch(await res.text(), /airlockApp|globalThis\.|window\./);
    const other = await browserPage(stack, { testEntry: false });
    await other.airlock.goto(env.origin);
    assert.equal(await other.page.evaluate(() => typeof globalThis.airlockApp), 'undefined');
    assert.deepEqual(other.errors, []);
  });

  test('"remember" keeps the registry and username, never the password unless asked', async () => {
    await ui.airlock.goto(env.origin);
    await ui.page.fill('#repository', `${env.host}/remember/me`);
    await ui.airlock.useCredentials('someone', 'secret-pass-43');
    assert.equal(await ui.page.getAttribute('#username', 'autocomplete'), 'username');
    assert.equal(await ui.page.getAttribute('#password', 'autocomplete'), 'current-password');
    assert.ok(await ui.page.isDisabled('#remember-password'), 'the password option needs "remember" first');
    await ui.page.check('#remember');
    await ui.page.reload();
    await ui.airlock.goto(env.origin);
    assert.equal(await ui.page.inputValue('#repository'), `${env.host}/remember/me`);
    assert.equal(await ui.page.inputValue('#username'), 'someone');
    assert.equal(await ui.page.inputValue('#password'), '');
    assert.doesNotMatch(await ui.page.evaluate(() => JSON.stringify(localStorage)), /secret-pass-43/);
    // The separate, explicit option keeps it.
    await ui.page.fill('#password', 'secret-pass-44');
    await ui.page.check('#remember-password');
    await ui.page.reload();
    await ui.airlock.goto(env.origin);
    assert.equal(await ui.page.inputValue('#password'), 'secret-pass-44');
    assert.ok(await ui.page.isChecked('#remember-password'));
    // Unticking "remember" forgets both.
    await ui.page.uncheck('#remember');
    assert.ok(!(await ui.page.isChecked('#remember-password')));
    const stored = await ui.page.evaluate(() => JSON.stringify(localStorage));
    assert.doesNotMatch(stored, /secret-pass-44|someone/);
    await ui.page.evaluate(() => localStorage.clear());
  });

  test('a password saved by an earlier version is removed, the username kept, and the page says so', async () => {
    await ui.page.evaluate(() => localStorage.setItem('airlock.credentials.v1', JSON.stringify({ username: 'old-user', password: 'old-secret-45' })));
    await ui.airlock.goto(env.origin); // one load: the migration happens once
    assert.equal(await ui.page.inputValue('#username'), 'old-user');
    assert.equal(await ui.page.inputValue('#password'), '');
    assert.ok(await ui.page.isVisible('#legacy-password-note'));
    assert.doesNotMatch(await ui.page.evaluate(() => JSON.stringify(localStorage)), /old-secret-45/);
    await ui.page.evaluate(() => localStorage.clear());
    await ui.page.reload();
    await ui.airlock.goto(env.origin);
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

  test('no CSP or Trusted Types violation was reported by the page in any of the above', () => {
    assert.deepEqual(ui.violations, []);
  });
});
