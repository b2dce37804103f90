// A kapp-controller package repository at scale: 100 package bundles × 10
// images (gen large-package-repo, 1,102 tar entries). Opening shows the
// counts; the tree and the preview render in pages and stay complete
// ("Show more", "Copy table"); a push through the page leaves the registry
// as a CLI push of the same tar does (tags, digests, media types), and a
// second push sends nothing.

import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { cargoBin, run } from './harness/cargo-bin.mjs';
import { pageSuite } from './harness/env.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';
import { tagLines } from './harness/registry-client.mjs';

const PACKAGES = 100;
const IMAGES = 10;
/** Package bundles of a repository whose tree lists its root's children in two pages. */
const WIDE = 300;

describe('a 1,000-image package repository', () => {
  let tar;
  let wide;
  let airlock;
  const { env, ui } = pageSuite({
    goto: false,
    prepare: async (stack) => {
      const dir = tempDir('scale');
      stack.add({ stop: () => removeDir(dir) });
      tar = path.join(dir, 'repo-1000.tar');
      const gen = await cargoBin('airlock-testkit', 'gen');
      airlock = await cargoBin('airlock-cli', 'airlock');
      await run(gen, ['large-package-repo', '--packages', String(PACKAGES), '--images-per-package', String(IMAGES), '-o', tar]);
      wide = path.join(dir, 'repo-wide.tar');
      await run(gen, ['large-package-repo', '--packages', String(WIDE), '--images-per-package', '1', '-o', wide]);
    },
  });
  before(async () => {
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
    await ui.airlock.goto(env.origin);
  });

  test('at load, the page warms up on its package-repository-shaped warmup.tar and reserves memory', async () => {
    // warmUpMs is set only when every warm-up open, tree and plan succeeded.
    const { ms, memory } = await ui.page.evaluate(async () => {
      const m = globalThis.airlockApp.model;
      await m.warmed;
      return { ms: m.warmUpMs, memory: m.exports.memory.buffer.byteLength };
    });
    assert.equal(typeof ms, 'number', 'web/warmup.tar did not open');
    // It then grew the wasm memory for the first real open (16 MiB more
    // than the ~4 MiB the warm-up's own opens need).
    assert.ok(memory >= 16 << 20, `wasm memory after the warm-up: ${memory} bytes`);
  });

  test('open: counts, a paged lazy tree, a paged preview that copies every row', async () => {
    const memory = () => ui.page.evaluate(() => globalThis.airlockApp.model.exports.memory.buffer.byteLength);
    const reserved = await memory();
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    assert.equal(await memory(), reserved, 'the first open fits in the memory the warm-up reserved');
    const contents = await ui.page.textContent('#file-summary');
    assert.match(contents, new RegExp(`${PACKAGES + 1} bundles · ${PACKAGES * IMAGES} images`));
    // The root bundle, open, lists its 100 package bundles, closed and not yet built.
    assert.equal(await ui.page.getAttribute('#tree', 'data-lazy'), 'true');
    assert.equal(await ui.page.$$eval('#tree > details', (d) => d.length), 1);
    assert.equal(await ui.page.getAttribute('#tree > details', 'data-children'), String(PACKAGES));
    const level1 = await ui.page.$$eval('#tree > details > details', (ds) => ds.map((d) => ({ kind: d.dataset.kind, children: d.dataset.children, open: d.open, built: d.querySelectorAll('details, .leaf').length })));
    assert.equal(level1.length, PACKAGES);
    assert.ok(level1.every((n) => n.kind === 'bundle' && n.children === String(IMAGES) && !n.open && n.built === 0), JSON.stringify(level1.slice(0, 3)));
    // Opening one builds its ten images.
    await ui.page.click('#tree > details > details:nth-of-type(3) > summary');
    assert.equal(await ui.page.$$eval('#tree > details > details:nth-of-type(3) > details[data-kind="image"]', (d) => d.length), IMAGES);

    await ui.airlock.setRepository(`${env.host}/scale/page`);
    const total = await ui.page.evaluate(() => globalThis.airlockApp.model.previewRows.length);
    assert.ok(total >= PACKAGES * IMAGES + PACKAGES + 1, `${total} rows`);
    assert.equal(await ui.page.textContent('#preview-count'), `${total.toLocaleString('en-US')} rows`);
    assert.equal((await ui.airlock.previewRows()).length, 200, 'the first page');
    assert.match(await ui.page.textContent('#preview-shown'), new RegExp(`Showing 200 of ${total.toLocaleString('en-US')} rows`));
    await ui.page.click('#preview-more');
    assert.equal((await ui.airlock.previewRows()).length, 400);
    await ui.page.click('#preview-all');
    const rows = await ui.airlock.previewRows();
    assert.equal(rows.length, total);
    assert.ok(await ui.page.isHidden('#preview-more-bar'));
    const kinds = {};
    for (const r of rows) kinds[r.kind] = (kinds[r.kind] || 0) + 1;
    assert.equal(kinds.image, PACKAGES * IMAGES, JSON.stringify(kinds));
    assert.equal(kinds.bundle, PACKAGES + 1, JSON.stringify(kinds));
    // A filter finds one package's rows; "Copy table" copies all of them, then all rows.
    const one = await ui.airlock.filterPreview('pkg0042');
    assert.ok(one.length >= IMAGES + 1 && one.every((r) => [r.source, r.destination, ...r.tags].some((s) => s.includes('pkg0042'))), JSON.stringify(one.slice(0, 2)));
    await ui.airlock.filterPreview('');
    assert.equal((await ui.airlock.previewRows()).length, 200);
    await ui.page.click('#preview-copy');
    const copied = await ui.page.evaluate(() => navigator.clipboard.readText());
    const lines = copied.trimEnd().split('\n');
    assert.equal(lines.length, total + 1, 'header + every row, shown or not');
    assert.deepEqual(lines[0].split('\t'), ['kind', 'source', 'destination', 'tags']);
  });

  test('bundle files: the root bundle\'s in pages, each other bundle closed and listed when opened', async () => {
    // What the CLI lists for the same tar.
    const { stdout } = await run(airlock, ['inspect', '--json', tar]);
    const cli = JSON.parse(stdout);
    const filesOf = new Map(cli.bundles.map((b) => [b.digest, b.files.map((f) => f.path)]));
    const sizeOf = new Map(cli.bundles.flatMap((b) => b.files.map((f) => [`${b.digest} ${f.path}`, f.size])));
    const rootDigest = cli.bundles.find((b) => b.node === cli.root).digest;
    const groups = () =>
      ui.page.$$eval('#bundle-files > details.bundle-group', (ds) =>
        ds.map((d) => ({ open: d.open, title: d.querySelector('summary').textContent, files: [...d.querySelectorAll('button[data-path]')].map((b) => ({ bundle: b.dataset.bundle, path: b.dataset.path })), more: d.querySelector('button.more')?.textContent ?? null })),
      );
    let seen = await groups();
    assert.equal(seen.length, PACKAGES + 1);
    const rootFiles = filesOf.get(rootDigest);
    assert.equal(rootFiles.length, 2 * PACKAGES + 1);
    // The root bundle first, open, its first 30 files and a button for the next page.
    assert.ok(seen[0].open && seen[0].title.endsWith(`· ${rootFiles.length} files`), JSON.stringify(seen[0].title));
    assert.deepEqual(seen[0].files, rootFiles.slice(0, 30).map((p) => ({ bundle: rootDigest, path: p })));
    assert.equal(seen[0].more, `Show 30 more of ${rootFiles.length} files`);
    assert.ok(seen.slice(1).every((g) => !g.open && g.files.length === 0 && g.more === null && g.title.endsWith('· 2 files')), JSON.stringify(seen[1]));
    // The next page, with the keyboard focus on its first file.
    await ui.page.click('#bundle-files > details:first-child button.more');
    seen = await groups();
    assert.deepEqual(seen[0].files.map((f) => f.path), rootFiles.slice(0, 60));
    assert.equal(await ui.page.evaluate(() => document.activeElement.dataset.path), rootFiles[30]);
    while (await ui.page.$('#bundle-files > details:first-child button.more')) await ui.page.click('#bundle-files > details:first-child button.more');
    seen = await groups();
    assert.deepEqual(seen[0].files.map((f) => f.path), rootFiles, 'every page, in order, once');
    // A package bundle lists its files when opened, and shows them.
    await ui.page.click('#bundle-files > details:nth-child(3) > summary');
    seen = await groups();
    const third = seen[2];
    assert.ok(third.open && third.files.length === 2, JSON.stringify(third));
    assert.deepEqual(third.files.map((f) => f.path), filesOf.get(third.files[0].bundle));
    const config = third.files.find((f) => f.path.startsWith('config/'));
    const text = await ui.airlock.viewFile(config.path);
    assert.equal(Buffer.byteLength(text), sizeOf.get(`${config.bundle} ${config.path}`), text.slice(0, 200));
    assert.equal(await ui.page.textContent('#file-view-name'), config.path);
  });

  test('open again with a destination: the tree is drawn before the preview is planned', async () => {
    // The preview of a package repository takes a few hundred ms to plan;
    // the open handler hands it to a later task, after the tree's frame.
    await ui.page.evaluate(() => {
      const app = globalThis.airlockApp;
      const plan = app.model.plan.bind(app.model);
      globalThis.__planSeen = [];
      app.model.plan = (s) => {
        const open = app.controller.lastOpen;
        globalThis.__planSeen.push({ handlerDone: open !== globalThis.__openBefore, tree: document.querySelectorAll('#tree details').length });
        return plan(s);
      };
      globalThis.__openBefore = app.controller.lastOpen;
    });
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    const seen = await ui.page.evaluate(() => globalThis.__planSeen);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.ok(seen[0].handlerDone, 'the open handler had finished (and set lastOpen) before the plan');
    assert.ok(seen[0].tree > PACKAGES, `the tree was in the page: ${seen[0].tree} nodes`);
    const t = await ui.page.evaluate(() => globalThis.airlockApp.controller.lastOpen);
    assert.ok(t.totalMs <= t.treePaintedMs && t.treePaintedMs <= t.previewDoneMs, JSON.stringify(t));
    assert.ok(t.previewMs > 0, JSON.stringify(t));
    assert.equal((await ui.airlock.previewRows()).length, 200, 'the preview shows its first page');
    // The same destination, now for this (new) tarball: confirmed, Push is on.
    assert.ok(await ui.airlock.carriedDestination());
    await ui.airlock.confirmDestination();
    assert.ok(await ui.page.isEnabled('#push-start'), await ui.page.textContent('#push-reason'));
    await ui.page.evaluate(() => {
      delete globalThis.airlockApp.model.plan;
    });
  });

  test('push through the page = a CLI push of the same tar; a second push sends nothing', async () => {
    assert.equal((await ui.airlock.verify()).result, 'ok');
    // The preview planned these settings already: the push does not plan the
    // 1,000 images again on the main thread (it was a ~70 ms task).
    await ui.page.evaluate(() => {
      const a = globalThis.airlockApp.model.archive;
      const plan = a.plan.bind(a);
      globalThis.__plans = 0;
      a.plan = (o) => ((globalThis.__plans += 1), plan(o));
    });
    const r = await ui.airlock.push(900000);
    assert.equal(r.result, 'pushed', r.text);
    assert.equal(await ui.page.evaluate(() => globalThis.__plans), 0, 'plans on the main thread during the push');
    await run(airlock, ['copy', '--tar', tar, '--to-repo', `${env.registry.host}/scale/cli`]);
    const page = await tagLines(env.registry.base, 'scale/page');
    const cli = await tagLines(env.registry.base, 'scale/cli');
    assert.ok(page.length > PACKAGES * IMAGES, `${page.length} tags`);
    assert.deepEqual(page, cli);
    const again = await ui.airlock.push(900000);
    assert.equal(again.result, 'pushed', again.text);
    const m = await ui.page.$$eval('#push-result .metric', (ms) => Object.fromEntries(ms.map((x) => [x.querySelector('.label').textContent, x.querySelector('.value').textContent])));
    assert.equal(m['blobs uploaded'], '0', JSON.stringify(m));
    assert.equal(m['manifests written'], '0', JSON.stringify(m));
    assert.equal(m['tags written'], '0', JSON.stringify(m));
    assert.deepEqual(await tagLines(env.registry.base, 'scale/page'), cli);
  });

  test('a root with more children than a page: "Show more" lists the rest, focus on the first new one', async () => {
    assert.ok(await ui.airlock.open(wide), await ui.airlock.openError());
    assert.equal(await ui.page.getAttribute('#tree', 'data-lazy'), 'true');
    const listed = () => ui.page.$$eval('#tree > details > details', (ds) => ds.map((d) => d.dataset.digest));
    assert.equal((await listed()).length, 200);
    const more = '#tree > details > button.more';
    assert.equal(await ui.page.textContent(more), `Show ${WIDE - 200} more of ${WIDE}`);
    await ui.page.focus(more);
    await ui.page.keyboard.press('Enter');
    const all = await listed();
    assert.equal(all.length, WIDE);
    assert.equal(new Set(all).size, WIDE, 'each package bundle once');
    assert.equal(await ui.page.$(more), null);
    const focused = await ui.page.evaluate(() => {
      const d = document.activeElement.closest('details');
      return { tag: document.activeElement.tagName, index: [...d.parentElement.querySelectorAll(':scope > details')].indexOf(d) };
    });
    assert.deepEqual(focused, { tag: 'SUMMARY', index: 200 });
  });
});
