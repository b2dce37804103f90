// Thin tars and receipts in the page, against a real registry behind nginx
// (same origin), with tars and receipts made by the real CLI:
// - a thin tar shows its omitted layers ("expected in REPO") and counts them;
// - verify passes and says what `airlock verify` says;
// - the push checks the omitted layers first and fills the registry, which
//   then equals a full import of the release;
// - with a promised layer gone, the push refuses as the CLI does and writes
//   nothing;
// - "Download receipt" gives what `airlock receipt` writes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { run } from './harness/cargo-bin.mjs';
import { pageSuite } from './harness/env.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';
import { hasBlob, tagLines } from './harness/registry-client.mjs';
import { makeThinTransfer } from './harness/thin.mjs';

/** Every config and layer digest `manifest.json` of a tar names. */
function blobsOf(manifestJson) {
  const out = new Set();
  for (const e of manifestJson) {
    const img = e.Image;
    if (!img) continue;
    out.add(img.Config.Digest);
    for (const l of img.Layers) out.add(l.Digest);
  }
  return [...out];
}

/** manifest.json and the omitted-blobs entry of a thin tar (plain ustar, small). */
function entriesOf(tarPath) {
  const buf = readFileSync(tarPath);
  const out = {};
  for (let off = 0; off + 512 <= buf.length; ) {
    const name = buf.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(buf.subarray(off + 124, off + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'manifest.json' || name === 'airlock-omitted-blobs.json') out[name] = JSON.parse(buf.subarray(off + 512, off + 512 + size).toString('utf8'));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const withoutCreatedAt = (json) => json.replace(/"createdAt": "[^"]*"/, '"createdAt": "…"');

describe('thin tars in the page', () => {
  let t;
  let omitted;
  const { env, ui } = pageSuite({
    prepare: async (stack, env) => {
      const dir = tempDir('thin');
      stack.add({ stop: () => removeDir(dir) });
      t = await makeThinTransfer(dir, env.host);
      omitted = entriesOf(t.thin)['airlock-omitted-blobs.json'];
      assert.ok(omitted && omitted.blobs.length > 0, 'the CLI made a thin tar');
    },
  });

  test('opened: the omitted layers are "expected in REPO" in the tree, counted in the contents and the preview; verify passes', async () => {
    assert.ok(await ui.airlock.open(t.thin), await ui.airlock.openError());
    await ui.page.click('#tree-expand');
    const expected = await ui.page.$$eval('#tree .leaf[data-layer] .badge[data-expected]', (bs) => bs.map((b) => [b.closest('.leaf').dataset.layer, b.textContent]));
    const digests = new Set(expected.map(([d]) => d));
    assert.deepEqual([...digests].sort(), omitted.blobs.map((b) => b.digest).sort());
    assert.ok(expected.every(([, text]) => text === 'expected in the destination registry'), JSON.stringify(expected));
    assert.equal(await ui.page.$$eval('#tree .badge.missing', (bs) => bs.length), 0, 'no layer is "not in tar"');
    const bytes = omitted.blobs.reduce((a, b) => a + b.size, 0);
    const contents = await ui.page.textContent('#thin-contents');
    assert.match(contents, new RegExp(`Thin tar: ${omitted.blobs.length} layers \\(`), contents);
    assert.match(contents, /promised by receipt .*receipt\.json/, contents);
    assert.doesNotMatch(await ui.page.textContent('#file-summary'), /problem/, 'omitted layers are not problems');

    await ui.airlock.setRepository(t.dst);
    const badges = await ui.page.$$eval('#tree .badge[data-expected]', (bs) => bs.map((b) => b.textContent));
    assert.ok(badges.every((b) => b === `expected in ${t.dst}`), JSON.stringify(badges));
    const preview = await ui.page.textContent('#thin-preview');
    assert.match(preview, new RegExp(`${omitted.blobs.length} omitted layers \\(.*\\) are not in this tar; expected in ${t.dst.replace(/[.]/g, '\\.')}`), preview);
    assert.ok(await ui.page.isVisible('#thin-preview'));
    // The preview is the one a full tar gets (the CLI's `plan` does the same).
    assert.ok((await ui.airlock.previewRows()).length >= 4);
    await ui.airlock.screenshot('thin-opened');

    const v = await ui.airlock.verify();
    assert.equal(v.result, 'ok', v.text);
    // `airlock verify`'s line for a thin tar, word for word.
    const { stdout } = await run(t.airlock, ['verify', t.thin]);
    const cliNote = stdout.split('\n').find((l) => l.includes('thin tar:'));
    const note = await ui.page.textContent('#verify-result [data-thin="verify"]');
    assert.equal(note, cliNote.replace(t.thin, path.basename(t.thin)));
    assert.match(note, new RegExp(`${omitted.blobs.length} layer\\(s\\) \\(.*\\) omitted`));
    void bytes;
  });

  test('push: the thin check finds every omitted layer, the registry then equals a full import', async () => {
    const before = await tagLines(env.registry.base, 'thin/dst');
    assert.ok(before.length > 0, 'release 1 is there');
    const r = await ui.airlock.push();
    assert.equal(r.result, 'pushed', r.text);
    const check = await ui.page.textContent('#push-result [data-thin="check"]');
    await ui.airlock.screenshot('thin-pushed');
    assert.match(check, new RegExp(`^thin tar: all ${omitted.blobs.length} omitted layers \\(.*\\) are in the registry \\(0 to mount from other repositories\\)$`), check);
    // Only what the thin tar carries was sent; nothing needed a mount.
    const m = await ui.page.$$eval('#push-result .metric', (ms) => Object.fromEntries(ms.map((x) => [x.querySelector('.label').textContent, x.querySelector('.value').textContent])));
    assert.equal(m['blobs mounted'], '0', JSON.stringify(m));
    assert.deepEqual(await tagLines(env.registry.base, 'thin/dst'), await tagLines(env.registry.base, 'thin/full'));
    for (const d of blobsOf(entriesOf(t.v2)['manifest.json'])) assert.ok(await hasBlob(env.registry.base, 'thin/dst', d), `${d} in thin/dst`);
  });

  test('a promised layer missing everywhere: the refusal the CLI prints, and nothing written', async () => {
    // The layer goes from the receipt's repository; thin/empty never had it.
    const gone = omitted.blobs[0].digest;
    const del = await fetch(`${env.registry.base}/v2/thin/dst/blobs/${gone}`, { method: 'DELETE' });
    assert.equal(del.status, 202, await del.text());
    const target = `${env.host}/thin/empty`;
    const blobs = blobsOf(entriesOf(t.thin)['manifest.json']);
    const tagsBefore = await tagLines(env.registry.base, 'thin/empty');
    assert.deepEqual(tagsBefore, []);

    assert.ok(await ui.airlock.open(t.thin), await ui.airlock.openError());
    await ui.airlock.setRepository(target);
    const r = await ui.airlock.push();
    assert.equal(r.code, 'E_THIN', r.text);
    const missing = await ui.page.$$eval('#push-result [data-thin="missing"] li', (li) => li.map((l) => ({ digest: l.dataset.digest, text: l.textContent })));
    assert.deepEqual(missing.map((x) => x.digest), [gone]);
    await ui.airlock.screenshot('thin-refused');
    assert.match(missing[0].text, /needed by \S+@sha256:[0-9a-f]{64}; promised by receipt .*receipt\.json/, missing[0].text);

    // The same text as the CLI's refusal (the tar named as each was given it).
    let cli;
    try {
      await run(t.airlock, ['copy', '--tar', t.thin, '--to-repo', target]);
      assert.fail('the CLI pushed a thin tar whose layer is missing');
    } catch (e) {
      cli = String(e.stderr);
    }
    const page = await ui.page.textContent('#push-result [data-thin="cli-text"]');
    const cliText = cli.slice(cli.indexOf('airlock: Error: ') + 'airlock: Error: '.length).trim();
    assert.equal(page, cliText.replace(t.thin, path.basename(t.thin)));

    // Nothing written: no tag, no manifest, no blob in thin/empty.
    assert.deepEqual(await tagLines(env.registry.base, 'thin/empty'), []);
    const list = await fetch(`${env.registry.base}/v2/thin/empty/tags/list`);
    assert.equal(list.status, 404, 'the repository does not exist');
    for (const d of blobs) assert.equal(await hasBlob(env.registry.base, 'thin/empty', d), false, `${d} written`);
    for (const e of entriesOf(t.thin)['manifest.json']) {
      const res = await fetch(`${env.registry.base}/v2/thin/empty/manifests/${e.Image.Manifest.Digest}`, { method: 'HEAD' });
      assert.equal(res.status, 404, `manifest ${e.Image.Manifest.Digest} written`);
    }
  });

  test('"Download receipt" gives what `airlock receipt` writes (apart from createdAt)', async () => {
    await ui.airlock.setRepository(t.full);
    const [dl] = await Promise.all([ui.page.waitForEvent('download'), ui.page.click('#download-receipt')]);
    assert.equal(dl.suggestedFilename(), 'receipt.json');
    const fromPage = readFileSync(await dl.path(), 'utf8');
    const { stdout } = await run(t.airlock, ['receipt', t.full, '-o', '-']);
    assert.equal(withoutCreatedAt(fromPage), withoutCreatedAt(stdout));
    assert.match(fromPage, /"createdAt": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    assert.match(await ui.page.textContent('#receipt-status'), /receipt\.json: \d+ tags, \d+ manifests, \d+ blobs/);
  });
});
