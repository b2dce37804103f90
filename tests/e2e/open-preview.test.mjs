// Open each golden fixture: the tree, the bundle files, the preview table and
// the downloads match what imgpkg 0.43.1 produced (tests/fixtures/).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pageSuite } from './harness/env.mjs';
import { fixture, FIXTURES } from './harness/fixtures.mjs';
import { writeBundleTar } from './harness/make-bundle.mjs';
import { removeDir, tempDir } from './harness/procs.mjs';

// The fixtures' relocation target; the preview needs no registry, so the
// downloads can be compared byte for byte with imgpkg's own output.
const DST = (name) => `127.0.0.1:5000/dst-from-tar/${name}`;

describe('open and preview', () => {
  const { stack, ui } = pageSuite();

  test('simple-bundle: tree, files, preview, downloads', async () => {
    const fx = fixture('simple-bundle');
    assert.ok(await ui.airlock.open(fx.tar), await ui.airlock.openError());
    const nodes = await ui.airlock.treeNodes();
    const root = fx.manifest.find((e) => e.Image && e.Image.Labels && 'dev.carvel.imgpkg.copy.root-bundle' in e.Image.Labels).Image;
    assert.equal(nodes[0].kind, 'bundle');
    assert.equal(nodes[0].digest, root.Manifest.Digest);
    const images = fx.manifest.filter((e) => e.Image && e.Image !== root).map((e) => e.Image.Manifest.Digest).sort();
    assert.deepEqual(nodes.filter((n) => n.depth === 1).map((n) => n.digest).sort(), images);
    for (const e of fx.manifest.filter((x) => x.Image && x.Image !== root)) {
      const layers = await ui.airlock.treeLayers(e.Image.Manifest.Digest);
      assert.deepEqual(layers.slice(1), e.Image.Layers.map((l) => l.Digest), 'config, then layers in manifest order');
    }
    const files = await ui.airlock.bundleFiles();
    for (const f of ['.imgpkg/images.yml', '.imgpkg/bundle.yml', 'config/deployment.yml', 'config/values.yml']) assert.ok(files.includes(f), `${f} in ${files}`);
    const src = path.join(FIXTURES, 'bundle-sources/simple-bundle');
    assert.equal(await ui.airlock.viewFile('config/values.yml'), readFileSync(path.join(src, 'config/values.yml'), 'utf8'));
    await ui.airlock.screenshot('opened-simple-bundle');

    await ui.airlock.setRepository(DST('simple-bundle'));
    const rows = await ui.airlock.previewRows();
    const tags = rows.flatMap((r) => r.tags).sort();
    assert.deepEqual(tags, fx.expectedTags().map((l) => l.split(' ')[0]).sort());
    for (const r of rows) assert.match(r.destination, new RegExp(`^${DST('simple-bundle').replaceAll('.', '\\.')}@sha256:[0-9a-f]{64}$`));
    assert.equal(await ui.airlock.download('images.yml'), readFileSync(path.join(fx.dir, 'expected-relocated-images.yml'), 'utf8'));
    assert.equal(await ui.airlock.download('lock-output.yml'), readFileSync(path.join(fx.dir, 'lock-tar-to-repo.yml'), 'utf8'));
    // The bundle's config with image references moved to the destination
    // (crate/core/src/kbld.rs): text kept, only the references change.
    const dst = DST('simple-bundle');
    const relocate = (t) => t.replaceAll('127.0.0.1:5000/src/app1@', `${dst}@`).replaceAll('127.0.0.1:5000/src/app2@', `${dst}@`);
    const doc = (f) => {
      const t = readFileSync(path.join(src, f), 'utf8');
      return t.startsWith('---') ? t : `---\n${t}`;
    };
    const kbld = await ui.airlock.download('bundle-relocated.yml');
    assert.equal(kbld, relocate(doc('config/deployment.yml')) + doc('config/values.yml'));
    assert.doesNotMatch(kbld, /\/src\/app/);
    assert.ok(!(await ui.airlock.downloadNames()).includes('packagerepository.yml'), 'not a package repository');
    const filtered = await ui.airlock.filterPreview('image-locations');
    assert.equal(filtered.length, 1);
    await ui.airlock.filterPreview('');
    await ui.airlock.screenshot('preview-simple-bundle');
  });

  test('image-app1: a plain image, no bundle files', async () => {
    const fx = fixture('image-app1');
    assert.ok(await ui.airlock.open(fx.tar), await ui.airlock.openError());
    const nodes = await ui.airlock.treeNodes();
    assert.deepEqual(nodes.map((n) => [n.kind, n.digest]), [['image', fx.manifest[0].Image.Manifest.Digest]]);
    assert.ok(await ui.page.isVisible('#files-empty'));
    await ui.airlock.setRepository(DST('image-app1'));
    const tags = (await ui.airlock.previewRows()).flatMap((r) => r.tags).sort();
    assert.deepEqual(tags, fx.expectedTags().map((l) => l.split(' ')[0]).sort());
    assert.equal(await ui.airlock.download('lock-output.yml'), readFileSync(path.join(fx.dir, 'lock-tar-to-repo.yml'), 'utf8'));
  });

  test('a package-repository bundle: PackageRepository and relocated package YAML', async () => {
    const dir = tempDir('pkgrepo');
    stack.add({ stop: () => removeDir(dir) });
    const tar = path.join(dir, 'pkgrepo.tar');
    const made = await writeBundleTar(tar, {
      seed: 'pkgrepo',
      bundleRepo: 'corp/Tanzu_Packages',
      files: [
        { path: 'packages/app.corp.com/metadata.yml', content: '---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: PackageMetadata\nmetadata:\n  name: app.corp.com\n' },
        {
          path: 'packages/app.corp.com/1.0.0.yml',
          content: '---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: Package\nmetadata:\n  name: app.corp.com.1.0.0\nspec:\n  template:\n    spec:\n      fetch:\n      - imgpkgBundle:\n          image: "gen/app0:v1" # the kbld id\n',
        },
      ],
      images: [{ repo: 'gen/app0', layers: [2048] }],
    });
    assert.ok(await ui.airlock.open(tar), await ui.airlock.openError());
    const dst = '127.0.0.1:5000/dst/packages';
    await ui.airlock.setRepository(dst);
    assert.equal(
      await ui.airlock.download('packagerepository.yml'),
      `---\napiVersion: packaging.carvel.dev/v1alpha1\nkind: PackageRepository\nmetadata:\n  name: tanzu-packages\nspec:\n  fetch:\n    imgpkgBundle:\n      image: ${dst}@${made.bundleDigest}\n`,
    );
    const kbld = await ui.airlock.download('bundle-relocated.yml');
    assert.match(kbld, new RegExp(`image: "${dst.replaceAll('.', '\\.')}@${made.images[0].digest}" # the kbld id\n`));
    assert.match(kbld, /kind: PackageMetadata\n/);
  });

  test('not a tar: a plain-words error', async () => {
    const notTar = path.join(FIXTURES, 'simple-bundle/tar-listing.txt');
    assert.equal(await ui.airlock.open(notTar), false);
    assert.match(await ui.airlock.openError(), /E_NOT_TAR|E_FORMAT/);
    await ui.airlock.screenshot('open-error');
  });
});
