// OCI layouts (oci-archive) and docker-archive tars in the page, made by
// Debian's real skopeo from fixture images in a real registry: the format is
// named, the tree and the preview show every image and mapping, the push
// leaves the registry as `airlock copy --tar` of the same archive does (same
// tags, digests and media types), a second push skips everything, the lock
// is offered as a download; a Docker 25-style tar reads as its OCI layout;
// a bad archive of each format shows the CLI's error and pushes nothing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { cargoBin, run } from './harness/cargo-bin.mjs';
import { pageSuite } from './harness/env.mjs';
import { fixture } from './harness/fixtures.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';
import { tagLines } from './harness/registry-client.mjs';

const execFileP = promisify(execFile);

/** The fixture images (OCI manifests) of simple-bundle.tar. */
const APP1 = 'sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6';
const APP2 = 'sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e';

/** The page's short digest (format.js shortDigest). */
const short = (d) => d.slice(0, 19);

/** Debian's skopeo, without credentials from a home directory. */
async function skopeo(args) {
  return execFileP('/usr/bin/skopeo', args, { env: { ...process.env, HOME: '/nonexistent-airlock-test-home' }, maxBuffer: 64 << 20 });
}

async function tar(args) {
  return execFileP('tar', args);
}

async function metrics(page) {
  return page.$$eval('#push-result .metric', (ms) => Object.fromEntries(ms.map((m) => [m.querySelector('.label').textContent, m.querySelector('.value').textContent])));
}

/** What the summary says the tar is: {format, name, images}. */
async function summary(page) {
  return page.evaluate(() => {
    const dd = document.querySelector('#file-summary dd[data-format]');
    return {
      format: dd && dd.dataset.format,
      name: dd && dd.textContent,
      images: [...document.querySelectorAll('#file-summary ul.names li')].map((li) => li.textContent),
    };
  });
}

function mappings(page) {
  return page.$$eval('#preview-mapping-list li', (lis) => lis.map((li) => li.textContent));
}

/** The repository names in the registry's catalog. */
async function catalog(base) {
  const res = await fetch(`${base}/v2/_catalog?n=1000`);
  assert.equal(res.status, 200);
  return (await res.json()).repositories || [];
}

describe('OCI layouts and docker-archives in the page', () => {
  let airlock;
  let dir;
  const { env, ui } = pageSuite({
    prepare: async (stack, env) => {
      dir = tempDir('image-archives');
      stack.add({ stop: () => removeDir(dir) });
      airlock = await cargoBin('airlock-cli', 'airlock');
      // The fixture images in the registry, for skopeo to export.
      await run(airlock, ['copy', '--tar', fixture('simple-bundle').tar, '--to-repo', `${env.registry.host}/src/simple`]);
    },
  });
  const src = (digest) => `docker://${env.registry.host}/src/simple@${digest}`;
  const copy = (digest, dest, extra = []) => skopeo(['copy', '--quiet', '--src-tls-verify=false', ...extra, src(digest), dest]);

  /** Pushes, pushes again, and checks the second push wrote nothing. */
  async function pushThenRepushWritesNothing() {
    const first = await ui.airlock.push();
    assert.equal(first.result, 'pushed', first.text);
    const again = await ui.airlock.push();
    assert.equal(again.result, 'pushed', again.text);
    const m = await metrics(ui.page);
    assert.equal(m['blobs uploaded'], '0', JSON.stringify(m));
    assert.equal(m['manifests written'], '0', JSON.stringify(m));
    assert.equal(m['tags written'], '0', JSON.stringify(m));
  }

  /**
   * Opens `tarPath` in the page, previews it at `dest` (a prefix with
   * `prefix`), pushes it, pushes it again; the CLI pushes the same tar to
   * `cliDest`. Returns what the page showed.
   */
  async function pushBoth(tarPath, { dest, cliDest, prefix = false }) {
    assert.ok(await ui.airlock.open(tarPath), await ui.airlock.openError());
    await ui.airlock.setOption('#opt-to-repo-prefix', prefix);
    await ui.airlock.setRepository(`${env.host}/${dest}`);
    const shown = { summary: await summary(ui.page), rows: await ui.airlock.previewRows(), mappings: await mappings(ui.page), downloads: await ui.airlock.downloadNames() };
    shown.lock = await ui.airlock.download('lock-output.yml');
    await pushThenRepushWritesNothing();
    await run(airlock, ['copy', '--tar', tarPath, prefix ? '--to-repo-prefix' : '--to-repo', `${env.registry.host}/${cliDest}`]);
    return shown;
  }

  test('oci-archive: format, tree, preview and lock; the push equals the CLI push; a second push skips everything', async () => {
    const file = path.join(dir, 'app1-oci.tar');
    await copy(APP1, `oci-archive:${file}:apps/app1:v1`);
    const shown = await pushBoth(file, { dest: 'page/oci', cliDest: 'cli/oci' });
    assert.equal(shown.summary.format, 'oci-layout');
    assert.equal(shown.summary.name, 'OCI image layout (oci-archive)');
    assert.deepEqual(shown.summary.images, [`index.docker.io/apps/app1:v1 → ${short(APP1)}`]);
    const nodes = await ui.airlock.treeNodes();
    assert.deepEqual(nodes.map((n) => [n.kind, n.digest, n.name]), [['image', APP1, 'index.docker.io/apps/app1:v1']]);
    assert.ok((await ui.airlock.treeLayers(APP1)).length >= 1);
    assert.deepEqual(shown.rows, [{ kind: 'image', source: 'index.docker.io/apps/app1:v1', destination: `${env.host}/page/oci@${APP1}`, tags: ['v1'] }]);
    assert.deepEqual(shown.mappings, [`index.docker.io/apps/app1:v1 → ${env.host}/page/oci:v1 (${short(APP1)})`]);
    assert.ok(shown.downloads.includes('lock-output.yml'), shown.downloads.join());
    assert.match(shown.lock, new RegExp(`image: ${env.host.replace(/\./g, '\\.')}/page/oci@${APP1}`));
    assert.match(shown.lock, /kbld\.carvel\.dev\/id: apps\/app1:v1/);
    const page = await tagLines(env.registry.base, 'page/oci');
    assert.deepEqual(page, [`v1 ${APP1} application/vnd.oci.image.manifest.v1+json`]);
    assert.deepEqual(page, await tagLines(env.registry.base, 'cli/oci'));
    await ui.airlock.screenshot('pushed-oci-archive');
  });

  test('docker-archive: manifests built as the CLI builds them (same config digest, diff IDs, tags)', async () => {
    const file = path.join(dir, 'app1-docker.tar');
    await copy(APP1, `docker-archive:${file}:apps/app1:v1`, ['--additional-tag', 'apps/app1:latest']);
    const shown = await pushBoth(file, { dest: 'page/docker', cliDest: 'cli/docker' });
    assert.equal(shown.summary.format, 'docker-archive');
    assert.equal(shown.summary.name, 'docker-archive (docker save)');
    // imgpkg's tag and layer options do not apply (the CLI ignores them too).
    assert.equal(await ui.page.isDisabled('#opt-repo-based-tags'), true);
    assert.equal(await ui.page.isDisabled('#opt-non-distributable'), true);
    assert.equal(await ui.page.isVisible('#options-note'), true);
    assert.equal(shown.summary.images.length, 2, shown.summary.images.join('\n'));
    assert.equal(shown.rows.length, 1);
    assert.deepEqual([...shown.rows[0].tags].sort(), ['latest', 'v1']);
    assert.equal(shown.mappings.length, 2, shown.mappings.join('\n'));
    const page = await tagLines(env.registry.base, 'page/docker');
    assert.equal(page.length, 2, page.join('\n'));
    assert.deepEqual(page, await tagLines(env.registry.base, 'cli/docker'));
    // The built manifest: the archive's config (same digest as the source
    // image's) and its layers at their diff IDs, uncompressed.
    const get = async (repo, ref) => (await fetch(`${env.registry.base}/v2/${repo}/${ref}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).json();
    const source = await get('src/simple', `manifests/${APP1}`);
    const built = await get('page/docker', 'manifests/v1');
    assert.equal(built.config.digest, source.config.digest);
    const config = await get('src/simple', `blobs/${source.config.digest}`);
    assert.deepEqual(built.layers.map((l) => l.digest), config.rootfs.diff_ids);
    for (const l of built.layers) assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    await ui.airlock.screenshot('preview-docker-archive');
  });

  test('docker-archive with gzip layers: the digests of `airlock copy --docker-layers gzip`; a second push skips everything; a bad dockerLayers is E_ARGUMENT', async () => {
    const file = path.join(dir, 'app2-docker.tar');
    await copy(APP2, `docker-archive:${file}:apps/app2:v1`);
    assert.ok(await ui.airlock.open(file), await ui.airlock.openError());
    // Only for docker-archives.
    assert.equal(await ui.page.isVisible('#opt-docker-layers'), true);
    await ui.page.selectOption('#opt-docker-layers', 'gzip');
    try {
      await ui.airlock.setRepository(`${env.host}/page/docker-gzip`);
      await ui.page.waitForSelector('#preview-body:not([hidden])');
      const shown = await mappings(ui.page);
      assert.equal(await ui.page.textContent('#preview-layers'), 'Layers sent as application/vnd.oci.image.layer.v1.tar+gzip');
      await pushThenRepushWritesNothing();
      await run(airlock, ['copy', '--tar', file, '--to-repo', `${env.registry.host}/cli/docker-gzip`, '--docker-layers', 'gzip']);
      const page = await tagLines(env.registry.base, 'page/docker-gzip');
      assert.equal(page.length, 1, page.join('\n'));
      assert.deepEqual(page, await tagLines(env.registry.base, 'cli/docker-gzip'));
      // The preview showed the digest the registry ended with.
      const digest = page[0].split(' ')[1];
      assert.deepEqual(shown, [`index.docker.io/apps/app2:v1 → ${env.host}/page/docker-gzip:v1 (${short(digest)})`]);
      // Not the uncompressed build: gzip layers, the archive's config.
      const get = async (repo, ref) => (await fetch(`${env.registry.base}/v2/${repo}/${ref}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).json();
      const built = await get('page/docker-gzip', 'manifests/v1');
      const source = await get('src/simple', `manifests/${APP2}`);
      assert.equal(built.config.digest, source.config.digest);
      assert.ok(built.layers.length >= 1);
      for (const l of built.layers) assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      const config = await get('src/simple', `blobs/${source.config.digest}`);
      assert.notDeepEqual(built.layers.map((l) => l.digest), config.rootfs.diff_ids);
    } finally {
      await ui.page.selectOption('#opt-docker-layers', 'tar');
    }
    // The API: a bad value names the option; gzip is refused for an OCI layout.
    const oci = path.join(dir, 'app2-oci.tar');
    await copy(APP2, `oci-archive:${oci}:apps/app2:v1`);
    const b64 = (f) => readFileSync(f).toString('base64');
    const errors = await ui.page.evaluate(
      async ({ docker, layout }) => {
        const m = await import(new URL('pkg/airlock.js', location.href).href);
        await m.default();
        const blob = (b) => new Blob([Uint8Array.from(atob(b), (c) => c.charCodeAt(0))]);
        const caught = async (f) => {
          try {
            await f();
            return null;
          } catch (e) {
            return { code: e.code, message: e.message };
          }
        };
        const d = await m.openArchive(blob(docker));
        const o = await m.openArchive(blob(layout));
        return {
          planBad: await caught(() => d.plan({ repository: 'r.test/mirror/app', dockerLayers: 'zip' })),
          copyBad: await caught(() => d.copy({ repository: 'r.test/mirror/app', dockerLayers: 'zip' })),
          notYet: await caught(() => d.plan({ repository: 'r.test/mirror/app', dockerLayers: 'gzip' })),
          ociPlan: await caught(() => o.plan({ repository: 'r.test/mirror/app', dockerLayers: 'gzip' })),
          ociCompress: await caught(() => o.compressLayers()),
          compressed: await caught(async () => {
            await d.compressLayers();
            const p = d.plan({ repository: 'r.test/mirror/app', dockerLayers: 'gzip' });
            if (p.layerMediaTypes.join() !== 'application/vnd.oci.image.layer.v1.tar+gzip') throw new Error(p.layerMediaTypes.join());
          }),
          // The first pass handed to another Archive of the same file (as the push worker takes it).
          handoff: await caught(async () => {
            const d2 = await m.openArchive(blob(docker));
            if (d2.gzippedLayers() !== null) throw new Error('gzippedLayers before compressLayers');
            const layers = d.gzippedLayers();
            if (!layers.length || layers.some((l) => !/^sha256:/.test(l.diffId) || !/^sha256:/.test(l.digest) || !(l.size > 0))) throw new Error(JSON.stringify(layers));
            d2.useGzippedLayers(layers);
            const want = d.plan({ repository: 'r.test/mirror/app', dockerLayers: 'gzip' }).images.map((i) => i.destination);
            const got = d2.plan({ repository: 'r.test/mirror/app', dockerLayers: 'gzip' }).images.map((i) => i.destination);
            if (JSON.stringify(want) !== JSON.stringify(got)) throw new Error(`${want} vs ${got}`);
          }),
          handoffMissing: await caught(async () => (await m.openArchive(blob(docker))).useGzippedLayers([])),
          handoffBadDigest: await caught(async () => (await m.openArchive(blob(docker))).useGzippedLayers([{ diffId: 'sha256:nope', digest: 'sha256:nope', size: 1 }])),
          handoffOci: await caught(() => o.useGzippedLayers([])),
          ociLayers: o.gzippedLayers(),
          notAFile: await caught(() => m.openArchive(undefined)),
        };
      },
      { docker: b64(file), layout: b64(oci) },
    );
    for (const k of ['planBad', 'copyBad']) {
      assert.equal(errors[k] && errors[k].code, 'E_ARGUMENT', JSON.stringify(errors));
      assert.match(errors[k].message, /option dockerLayers is 'zip'; expected 'tar' or 'gzip'/);
    }
    assert.equal(errors.notYet.code, 'E_ARGUMENT');
    assert.match(errors.notYet.message, /compressLayers\(\) first/);
    for (const k of ['ociPlan', 'ociCompress']) {
      assert.equal(errors[k] && errors[k].code, 'E_ARGUMENT', JSON.stringify(errors));
      assert.match(errors[k].message, /dockerLayers 'gzip' is for docker-archive tars/);
    }
    assert.equal(errors.compressed, null, JSON.stringify(errors));
    assert.equal(errors.handoff, null, JSON.stringify(errors));
    assert.equal(errors.ociLayers, null);
    for (const [k, re] of [
      ['handoffMissing', /useGzippedLayers: .*layer sha256:[0-9a-f]{64} \(diff ID\) was not compressed/],
      ['handoffBadDigest', /useGzippedLayers: entry 0: diffId 'sha256:nope'/],
      ['handoffOci', /useGzippedLayers: this OCI image layout .*has no docker-archive layers/],
      ['notAFile', /^openArchive: expected a File or Blob, got undefined$/],
    ]) {
      assert.equal(errors[k] && errors[k].code, 'E_ARGUMENT', JSON.stringify(errors));
      assert.match(errors[k].message, re);
    }
  });

  test('an OCI layout of several images under a prefix: every mapping shown, each image in its own repository', async () => {
    const layout = path.join(dir, 'multi');
    await copy(APP1, `oci:${layout}:corp.example/team/app1:v1`);
    await copy(APP2, `oci:${layout}:corp.example/team/app2:v2`);
    const file = path.join(dir, 'multi.tar');
    await tar(['-C', layout, '-cf', file, '.']);
    const shown = await pushBoth(file, { dest: 'mirror', cliDest: 'climirror', prefix: true });
    assert.deepEqual(
      shown.mappings.map((m) => m.replace(/ \(sha256:.*\)$/, '')),
      [`corp.example/team/app1:v1 → ${env.host}/mirror/team/app1:v1`, `corp.example/team/app2:v2 → ${env.host}/mirror/team/app2:v2`],
    );
    assert.match(shown.lock, new RegExp(`image: ${env.host.replace(/\./g, '\\.')}/mirror/team/app2@${APP2}`));
    for (const [repo, digest, tag] of [['team/app1', APP1, 'v1'], ['team/app2', APP2, 'v2']]) {
      const page = await tagLines(env.registry.base, `mirror/${repo}`);
      assert.deepEqual(page, [`${tag} ${digest} application/vnd.oci.image.manifest.v1+json`]);
      assert.deepEqual(page, await tagLines(env.registry.base, `climirror/${repo}`));
    }
    const pushed = await ui.page.$$eval('#push-result ul.repositories li', (lis) => lis.map((l) => l.textContent));
    assert.deepEqual(pushed, [`${env.host}/mirror/team/app1`, `${env.host}/mirror/team/app2`]);
  });

  test('a Docker 25-style tar (OCI layout + legacy manifest.json) is read as its OCI layout', async () => {
    const layout = path.join(dir, 'd25');
    await copy(APP1, `oci:${layout}`);
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
    index.manifests[0].annotations = { 'io.containerd.image.name': 'docker.io/library/app1:v1', 'org.opencontainers.image.ref.name': 'v1' };
    writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
    const m = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', src(APP1)])).stdout);
    const blob = (d) => `blobs/sha256/${d.slice(7)}`;
    writeFileSync(path.join(layout, 'manifest.json'), JSON.stringify([{ Config: blob(m.config.digest), RepoTags: ['app1:v1'], Layers: m.layers.map((l) => blob(l.digest)) }]));
    const file = path.join(dir, 'd25.tar');
    await tar(['-C', layout, '-cf', file, 'oci-layout', 'index.json', 'manifest.json', 'blobs']);
    assert.ok(await ui.airlock.open(file), await ui.airlock.openError());
    const s = await summary(ui.page);
    assert.equal(s.format, 'oci-layout');
    assert.match(s.images[0], /^index\.docker\.io\/library\/app1:v1 → /);
    await ui.airlock.setOption('#opt-to-repo-prefix', true);
    await ui.airlock.setRepository(`${env.host}/d25`);
    assert.deepEqual((await mappings(ui.page)).map((x) => x.replace(/ \(sha256:.*\)$/, '')), [`index.docker.io/library/app1:v1 → ${env.host}/d25/library/app1:v1`]);
    const pushed = await ui.airlock.push();
    assert.equal(pushed.result, 'pushed', pushed.text);
    assert.deepEqual(await tagLines(env.registry.base, 'd25/library/app1'), [`v1 ${APP1} application/vnd.oci.image.manifest.v1+json`]);
    await ui.airlock.setOption('#opt-to-repo-prefix', false);
  });

  test('bad archives: the CLI error in the page, nothing pushed', async () => {
    const before = await catalog(env.registry.base);
    const cliError = async (file) => {
      const e = await run(airlock, ['copy', '--tar', file, '--to-repo', `${env.registry.host}/bad/cli`]).then(
        () => null,
        (err) => err,
      );
      assert.ok(e, `airlock copy --tar ${file} succeeded`);
      return e.stderr;
    };

    // An OCI layout missing a layer blob: refused at open.
    const layout = path.join(dir, 'missing-blob');
    await copy(APP1, `oci:${layout}:app1:v1`);
    const m = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', src(APP1)])).stdout);
    const hex = m.layers[0].digest.slice(7);
    rmSync(path.join(layout, 'blobs/sha256', hex));
    const missing = path.join(dir, 'missing-blob.tar');
    await tar(['-C', layout, '-cf', missing, '.']);
    assert.equal(await ui.airlock.open(missing), false);
    const want = `layers[0] names layer sha256:${hex}, but the tar has no entry "blobs/sha256/${hex}"`;
    const shownError = await ui.airlock.openError();
    assert.ok(shownError.includes(want), shownError);
    assert.ok((await cliError(missing)).includes(want));
    assert.equal(await ui.airlock.pushReason(), 'Open a tarball first.');
    await ui.airlock.screenshot('open-error-oci-missing-blob');

    // A docker-archive whose layer is not its diff ID: verify lists it with
    // the CLI's text, and the push refuses.
    const good = path.join(dir, 'docker-good.tar');
    await copy(APP1, `docker-archive:${good}:apps/app1:v1`);
    const root = path.join(dir, 'docker-bad-layer');
    mkdirSync(root, { recursive: true });
    await tar(['-C', root, '-xf', good]);
    const layer = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8'))[0].Layers[0];
    appendFileSync(path.join(root, layer), Buffer.alloc(512));
    const bad = path.join(dir, 'docker-bad-layer.tar');
    await tar(['-C', root, '-cf', bad, '.']);
    assert.ok(await ui.airlock.open(bad), await ui.airlock.openError());
    await ui.airlock.setRepository(`${env.host}/bad/page`);
    const v = await ui.airlock.verify();
    assert.equal(v.result, 'problems', v.text);
    const cliVerify = await run(airlock, ['verify', bad]).then(
      () => assert.fail('airlock verify succeeded'),
      (err) => err.stdout.trim().split('\n'),
    );
    assert.deepEqual(v.problems, cliVerify);
    // The entry as tar wrote it (`./<hex>.tar`), the layer, the diff ID.
    assert.ok(v.problems[0].startsWith(`./${layer} (layer 0 of manifest.json[0], diff ID): error verifying sha256 checksum`), v.problems[0]);
    assert.equal(await ui.airlock.pushReason(), 'Verification found problems.');
    assert.ok((await cliError(bad)).includes('diff ID'));
    // Neither the page nor the CLI created a repository.
    assert.deepEqual(await catalog(env.registry.base), before);
    // An imgpkg tar afterwards: the prefix choice and the notes are gone, the options back.
    assert.ok(await ui.airlock.open(fixture('image-app1').tar), await ui.airlock.openError());
    assert.equal(await ui.page.isVisible('#prefix-option'), false);
    assert.equal(await ui.page.isDisabled('#opt-repo-based-tags'), false);
    assert.equal(await ui.page.isVisible('#options-note'), false);
    assert.deepEqual(ui.violations, [], 'no Content-Security-Policy or Trusted Types violation');
  });
});
