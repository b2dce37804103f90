// nginx serving the page (web/), the wasm package (pkg/) and proxying /v2/
// (and /auth/token) to a registry, from deploy/nginx/airlock-local.conf.template.

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, removeDir, requireFile, ROOT, start, tempDir, waitHttp } from './procs.mjs';

/**
 * @param {object} o
 * @param {string} o.registry host:port of the upstream registry
 * @param {number} [o.tokenPort] proxy /auth/token to 127.0.0.1:tokenPort
 * @param {number} [o.port] listen port (default: a free one)
 */
export async function startNginx({ registry, tokenPort = null, port: wantedPort = null }) {
  requireFile('/usr/sbin/nginx', 'install Debian package nginx-light (scripts/setup.sh does)');
  requireFile(path.join(ROOT, 'pkg/airlock_bg.wasm'), 'build the wasm package first: scripts/build-wasm.sh');
  const dir = tempDir('nginx');
  chmodSync(dir, 0o755);
  const port = wantedPort || (await freePort());
  const user = os.userInfo();
  const tokenLocation = tokenPort
    ? `location = /auth/token {
            proxy_pass http://127.0.0.1:${tokenPort};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
        }`
    : '';
  const conf = readFileSync(path.join(ROOT, 'deploy/nginx/airlock-local.conf.template'), 'utf8')
    .replace('@USER@', user.uid === 0 ? 'user root root;' : '')
    .replaceAll('@PREFIX@', dir)
    .replace('@LISTEN@', `127.0.0.1:${port}`)
    .replace('@WEB_ROOT@', path.join(ROOT, 'web'))
    .replace('@PKG_ROOT@', path.join(ROOT, 'pkg'))
    .replace('@REGISTRY@', registry)
    .replace('@TOKEN_LOCATION@', tokenLocation);
  const confPath = path.join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const handle = start('/usr/sbin/nginx', ['-p', dir, '-c', confPath, '-e', path.join(dir, 'error.log')], { logFile: path.join(dir, 'error.log') });
  try {
    await waitHttp(`http://127.0.0.1:${port}/`, handle, 'nginx', [200]);
  } catch (e) {
    await handle.stop();
    removeDir(dir);
    throw e;
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    log: () => handle.log(),
    async stop() {
      await handle.stop();
      removeDir(dir);
    },
  };
}
