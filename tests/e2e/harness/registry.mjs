// A real Distribution registry (/usr/bin/docker-registry) on a free
// 127.0.0.1 port with temp storage: no auth, Basic (htpasswd) or token auth,
// with or without CORS headers.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, readyOrCleanUp, removeDir, requireFile, start, tempDir, waitHttp } from './procs.mjs';

const REGISTRY = '/usr/bin/docker-registry';

// The `http.headers` every test and demo registry sends.
const CORS = readFileSync(new URL('../../support/registry-cors.yml', import.meta.url), 'utf8');

/**
 * @param {object} o
 * @param {'none'|'basic'|'token'} [o.auth]
 * @param {boolean} [o.cors] send CORS headers (default true)
 * @param {Record<string,string>} [o.users] for basic auth
 * @param {{realm: string, service: string, issuer: string, certPath: string}} [o.token]
 */
export async function startRegistry({ auth = 'none', cors = true, users = {}, token = null } = {}) {
  requireFile(REGISTRY, 'install Debian package docker-registry (scripts/setup.sh does)');
  const dir = tempDir('registry');
  const port = await freePort();
  mkdirSync(path.join(dir, 'data'));
  let authBlock = '';
  if (auth === 'basic') {
    const htpasswd = path.join(dir, 'htpasswd');
    let first = true;
    for (const [user, pass] of Object.entries(users)) {
      execFileSync('htpasswd', [...(first ? ['-c'] : []), '-B', '-b', htpasswd, user, pass], { stdio: 'ignore' });
      first = false;
    }
    authBlock = `auth:\n  htpasswd:\n    realm: airlock-e2e\n    path: ${htpasswd}\n`;
  } else if (auth === 'token') {
    authBlock = `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n    issuer: ${token.issuer}\n    rootcertbundle: ${token.certPath}\n`;
  }
  const config = `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
${authBlock}http:
  addr: 127.0.0.1:${port}
  secret: airlock-e2e-not-secret
${cors ? CORS : ''}`;
  const configPath = path.join(dir, 'config.yml');
  writeFileSync(configPath, config);
  const handle = start(REGISTRY, ['serve', configPath]);
  await readyOrCleanUp(handle, dir, () => waitHttp(`http://127.0.0.1:${port}/v2/`, handle, 'registry'));
  return {
    port,
    host: `127.0.0.1:${port}`,
    base: `http://127.0.0.1:${port}`,
    dir,
    log: () => handle.log(),
    async stop() {
      await handle.stop();
      removeDir(dir);
    },
  };
}
