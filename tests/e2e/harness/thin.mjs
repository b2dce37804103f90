// Thin transfers for the page tests, made with the real CLI: release 1 and 2
// of a bundle (release 2 keeps release 1's images and adds one), release 1
// imported into a destination, its receipt, and release 2 exported thin
// against that receipt from a source repository of the same registry.

import path from 'node:path';
import { cargoBin, run } from './cargo-bin.mjs';
import { writeBundleTar } from './make-bundle.mjs';

const SEED = 'thin-e2e';
const V1 = [{ repo: 'gen/app0', layers: [300 << 10, 200 << 10] }, { repo: 'gen/app1', layers: [250 << 10] }];
const V2 = [...V1, { repo: 'gen/app2', layers: [180 << 10] }];

/**
 * @param {string} dir scratch directory
 * @param {string} host the registry as the page reaches it (host:port)
 * @returns {Promise<{airlock: string, v1: string, v2: string, thin: string, receipt: string, dst: string, full: string, source: string}>}
 */
export async function makeThinTransfer(dir, host) {
  const airlock = await cargoBin('airlock-cli', 'airlock');
  const v1 = path.join(dir, 'release1.tar');
  const v2 = path.join(dir, 'release2.tar');
  const thin = path.join(dir, 'release2-thin.tar');
  const receipt = path.join(dir, 'receipt.json');
  await writeBundleTar(v1, { seed: SEED, tag: 'v1.0.0', images: V1 });
  await writeBundleTar(v2, { seed: SEED, tag: 'v2.0.0', images: V2 });
  const dst = `${host}/thin/dst`;
  const full = `${host}/thin/full`;
  const source = `${host}/thin/source`;
  // The air-gapped side: release 1 imported, then its receipt.
  await run(airlock, ['copy', '--tar', v1, '--to-repo', dst]);
  await run(airlock, ['receipt', dst, '-o', receipt]);
  // What a full import gives, to compare with.
  await run(airlock, ['copy', '--tar', v1, '--to-repo', full]);
  await run(airlock, ['copy', '--tar', v2, '--to-repo', full]);
  // The connected side: release 2 in a source repository, exported thin.
  await run(airlock, ['copy', '--tar', v2, '--to-repo', source]);
  await run(airlock, ['copy', '-b', `${source}:v2.0.0`, '--to-tar', thin, '--skip-blobs', receipt]);
  return { airlock, v1, v2, thin, receipt, dst, full, source };
}
