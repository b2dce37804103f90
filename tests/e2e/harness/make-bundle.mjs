// Writes imgpkg tarballs (the `imgpkg copy -b … --to-tar` layout: manifest.json
// first, then one sha256-<hex>.tar.gz per unique layer, sorted) for tests and
// benchmarks: a bundle with files, and images whose layers are deterministic
// pseudo-random bytes (AES-CTR keystream), streamed so multi-GiB tars never
// sit in memory.

import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { END, header, padding, tarOf } from './tar.mjs';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CHUNK = 4 << 20;

const sha256 = (buf) => `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;

/** The `size` pseudo-random bytes named by `seed`, in chunks. */
function* stream(seed, size) {
  const key = crypto.createHash('sha256').update(`airlock-layer-${seed}`).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(CHUNK, 0);
  for (let done = 0; done < size; ) {
    const n = Math.min(CHUNK, size - done);
    yield cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
    done += n;
  }
}

function layerDigest(seed, size) {
  const h = crypto.createHash('sha256');
  for (const c of stream(seed, size)) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

function imageEntry({ ref, layers, configRaw, manifestRaw, mediaType, tag = '', origRef = '', labels = null }) {
  return {
    ImageIndex: null,
    Image: {
      Refs: [ref],
      Layers: layers.map((l) => ({ MediaType: l.mediaType, Digest: l.digest, DiffID: l.digest, Size: l.size })),
      Config: { Digest: sha256(configRaw), Raw: configRaw.toString('utf8') },
      Manifest: { MediaType: mediaType, Digest: sha256(manifestRaw), Raw: manifestRaw.toString('utf8') },
      Tag: tag,
      OrigRef: origRef,
      Labels: labels,
    },
  };
}

function manifestOf(mediaType, configMediaType, configRaw, layers) {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: configMediaType, size: configRaw.length, digest: sha256(configRaw) },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    }),
  );
}

/**
 * @param {string} out path of the tar to write
 * @param {object} spec
 * @param {string} [spec.registry] source registry named in the refs
 * @param {string} [spec.bundleRepo]
 * @param {string} [spec.tag] the root bundle's tag
 * @param {{path: string, content: string}[]} [spec.files] bundle files besides .imgpkg/images.yml
 * @param {{repo: string, layers: number[], oci?: boolean}[]} spec.images layer sizes per image
 * @param {string} [spec.seed] makes layer bytes unique per tarball
 * @returns {Promise<{bundleDigest: string, images: {ref: string, digest: string}[], bytes: number}>}
 */
export async function writeBundleTar(out, spec) {
  const registry = spec.registry || '127.0.0.1:5000';
  const seed = spec.seed || 'default';
  const entries = [];
  const blobs = new Map(); // digest -> {seed, size}
  const lockImages = [];
  const images = [];
  spec.images.forEach((img, i) => {
    const layers = img.layers.map((size, j) => {
      const s = `${seed}/${i}/${j}`;
      const digest = layerDigest(s, size);
      blobs.set(digest, { seed: s, size });
      return { digest, size, mediaType: img.oci ? OCI_LAYER : DOCKER_LAYER };
    });
    const configRaw = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'airlock.test/image': String(i) } }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
    );
    const mediaType = img.oci ? OCI_MANIFEST : DOCKER_MANIFEST;
    const manifestRaw = manifestOf(mediaType, img.oci ? OCI_CONFIG : DOCKER_CONFIG, configRaw, layers);
    const digest = sha256(manifestRaw);
    const ref = `${registry}/${img.repo}@${digest}`;
    lockImages.push({ ref, id: `${img.repo}:v1` });
    images.push({ ref, digest });
    entries.push({ key: `${digest}/${sha256(configRaw)}`, entry: imageEntry({ ref, layers, configRaw, manifestRaw, mediaType, origRef: ref }) });
  });

  // The bundle: one docker gzip layer holding the files and .imgpkg/images.yml.
  const imagesYml = `---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n${lockImages
    .map((l) => `- annotations:\n    kbld.carvel.dev/id: ${JSON.stringify(l.id)}\n  image: ${l.ref}\n`)
    .join('')}kind: ImagesLock\n`;
  const files = [...(spec.files || []), { path: '.imgpkg/images.yml', content: imagesYml }];
  const dirs = new Set();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let k = 1; k < parts.length; k += 1) dirs.add(parts.slice(0, k).join('/'));
  }
  const layerTar = tarOf([
    { name: '.', type: '5', mode: 0o700 },
    ...[...dirs].sort().map((d) => ({ name: d, type: '5', mode: 0o700 })),
    ...files.map((f) => ({ name: f.path, data: Buffer.from(f.content, 'utf8'), mode: 0o600 })),
  ]);
  const layerGz = zlib.gzipSync(layerTar, { level: 1 });
  const bundleLayer = { digest: sha256(layerGz), size: layerGz.length, mediaType: DOCKER_LAYER, data: layerGz };
  const bundleConfig = Buffer.from(
    JSON.stringify({ architecture: '', config: { Labels: { 'dev.carvel.imgpkg.bundle': 'true' } }, created: '0001-01-01T00:00:00Z', history: [{ author: 'imgpkg', created: '0001-01-01T00:00:00Z', created_by: 'imgpkg' }], os: '', rootfs: { type: 'layers', diff_ids: [`sha256:${crypto.createHash('sha256').update(layerTar).digest('hex')}`] } }),
  );
  const bundleManifest = manifestOf(DOCKER_MANIFEST, DOCKER_CONFIG, bundleConfig, [bundleLayer]);
  const bundleDigest = sha256(bundleManifest);
  const bundleRef = `${registry}/${spec.bundleRepo || 'gen/bundle'}@${bundleDigest}`;
  entries.push({
    key: `${bundleDigest}/${sha256(bundleConfig)}`,
    entry: imageEntry({ ref: bundleRef, layers: [bundleLayer], configRaw: bundleConfig, manifestRaw: bundleManifest, mediaType: DOCKER_MANIFEST, tag: spec.tag || 'v1.0.0', labels: { 'dev.carvel.imgpkg.copy.root-bundle': '' } }),
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const manifestJson = Buffer.from(JSON.stringify(entries.map((e) => e.entry)));

  // Write: manifest.json, then the layers sorted by digest.
  const ws = createWriteStream(out);
  let bytes = 0;
  const write = async (buf) => {
    bytes += buf.length;
    if (!ws.write(buf)) await once(ws, 'drain');
  };
  await write(header('manifest.json', manifestJson.length));
  await write(manifestJson);
  await write(padding(manifestJson.length));
  const all = [...blobs.entries()].map(([digest, b]) => ({ digest, ...b }));
  all.push({ digest: bundleLayer.digest, size: bundleLayer.size, data: bundleLayer.data });
  all.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  for (const b of all) {
    await write(header(`${b.digest.replace(':', '-')}.tar.gz`, b.size));
    if (b.data) {
      await write(b.data);
    } else {
      for (const c of stream(b.seed, b.size)) await write(c);
    }
    await write(padding(b.size));
  }
  await write(END);
  ws.end();
  await once(ws, 'finish');
  return { bundleDigest, bundleRef, images, bytes };
}
