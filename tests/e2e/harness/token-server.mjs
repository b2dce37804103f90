// A Docker token-flow service (the `auth.token` side of Distribution), in
// process: GET /auth/token?service=…&scope=… with Basic credentials answers
// {"token": JWT}. The JWT is RS256-signed with a throwaway key whose
// self-signed certificate (x5c) is the registry's rootcertbundle.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, removeDir, tempDir } from './procs.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export async function startTokenServer({ users, service = 'airlock-e2e-registry', issuer = 'airlock-e2e-token' }) {
  const dir = tempDir('token');
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=airlock-e2e-token'], { stdio: 'ignore' });
  const key = readFileSync(keyPath, 'utf8');
  const certDer = new crypto.X509Certificate(readFileSync(certPath)).raw;
  const requests = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push({ path: url.pathname, authorization: !!req.headers.authorization });
    if (url.pathname !== '/auth/token') {
      res.writeHead(404).end();
      return;
    }
    const m = /^Basic (.+)$/.exec(req.headers.authorization || '');
    const [user, ...rest] = m ? Buffer.from(m[1], 'base64').toString('utf8').split(':') : [];
    if (!m || users[user] === undefined || users[user] !== rest.join(':')) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="airlock-e2e-token"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const parts = scope.split(':');
      if (parts.length < 3) return [];
      const actions = parts.pop().split(',');
      const type = parts.shift();
      return [{ type, name: parts.join(':'), actions }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: url.searchParams.get('service') || service, exp: now + 600, nbf: now - 30, iat: now, jti: crypto.randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = crypto.sign('sha256', Buffer.from(signingInput), key);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date(now * 1000).toISOString() }));
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    service,
    issuer,
    certPath,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      removeDir(dir);
    },
  };
}
