// nginx serving the page (web/), the wasm package (pkg/) and proxying /v2/
// (and /auth/token) to a registry, from deploy/nginx/airlock-local.conf.template.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort, readyOrCleanUp, removeDir, requireFile, ROOT, start, tempDir, waitHttp } from './procs.mjs';

/**
 * @param {object} o
 * @param {string} o.registry host:port of the upstream registry
 * @param {number} [o.tokenPort] proxy /auth/token to 127.0.0.1:tokenPort
 * @param {number} [o.port] listen port (default: a free one)
 * @param {boolean} [o.tls] HTTPS + HTTP/2 with a throwaway self-signed
 *   certificate for 127.0.0.1 (browsers need ignoreHTTPSErrors)
 * @param {string} [o.maxBody] client_max_body_size for /v2/ (e.g. '8m'; the
 *   template's is 0, no limit)
 */
export async function startNginx({ registry, tokenPort = null, port: wantedPort = null, tls = false, maxBody = null }) {
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
  let conf = readFileSync(path.join(ROOT, 'deploy/nginx/airlock-local.conf.template'), 'utf8')
    .replace('@USER@', user.uid === 0 ? 'user root root;' : '')
    .replaceAll('@PREFIX@', dir)
    .replace('@WEB_ROOT@', path.join(ROOT, 'web'))
    .replace('@PKG_ROOT@', path.join(ROOT, 'pkg'))
    .replace('@REGISTRY@', registry)
    .replace('@TOKEN_LOCATION@', tokenLocation);
  if (maxBody) conf = conf.replace('client_max_body_size 0;', `client_max_body_size ${maxBody};`);
  let listen = `127.0.0.1:${port}`;
  if (tls) {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    // nginx 1.22: http2 is a listen parameter.
    listen = `127.0.0.1:${port} ssl http2; ssl_certificate ${cert}; ssl_certificate_key ${key}`;
  }
  conf = conf.replace('@LISTEN@', listen);
  const confPath = path.join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const handle = start('/usr/sbin/nginx', ['-p', dir, '-c', confPath, '-e', path.join(dir, 'error.log')], { logFile: path.join(dir, 'error.log') });
  await readyOrCleanUp(handle, dir, () => (tls ? waitTls(port, handle) : waitHttp(`http://127.0.0.1:${port}/`, handle, 'nginx', [200])));
  return {
    port,
    host: `127.0.0.1:${port}`,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log: () => handle.log(),
    accessLog: () => (existsSync(path.join(dir, 'access.log')) ? readFileSync(path.join(dir, 'access.log'), 'utf8') : ''),
    async stop() {
      await handle.stop();
      removeDir(dir);
    },
  };
}

/** Waits until nginx answers on https://127.0.0.1:port/ (its own certificate). */
async function waitTls(port, handle) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (handle.exited) throw new Error(`nginx exited (${JSON.stringify(handle.exited)}):\n${handle.log()}`);
    const status = await new Promise((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(0));
    });
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not answer https://127.0.0.1:${port}/ within 15 s:\n${handle.log()}`);
}
