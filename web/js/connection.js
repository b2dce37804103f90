// "Test connection": checks /v2/, authentication (Basic or the Docker token
// flow, as the registry asks), push permission and CORS, and explains what is
// wrong in plain words. No DOM. Credentials are sent only to the registry's
// base URL and to the token realm the registry names; they never appear in
// the messages returned here.

/**
 * @param {object} o
 * @param {{base: string, path: string, name: string, sameOrigin: boolean}} o.endpoint from registryEndpoint()
 * @param {{username: string, password: string} | null} o.credentials
 * @param {string} o.pageOrigin location.origin
 * @param {typeof fetch} [o.fetchImpl]
 * @returns {Promise<{ok: boolean, code?: string, title: string, hint?: string, steps: {ok: boolean, text: string}[]}>}
 */
export async function testConnection({ endpoint, credentials, pageOrigin, fetchImpl = globalThis.fetch.bind(globalThis) }) {
  const steps = [];
  const step = (ok, text) => steps.push({ ok, text });
  const fail = (code, title, hint) => ({ ok: false, code, title, hint, steps });
  const v2 = `${endpoint.base}/v2/`;
  const request = (url, init = {}) =>
    fetchImpl(url, { credentials: 'omit', cache: 'no-store', redirect: 'follow', ...init });

  // 1. Is /v2/ reachable, and may this page read its answers?
  let res;
  try {
    res = await request(v2);
  } catch {
    return unreachable(v2, endpoint, pageOrigin, request, steps);
  }
  step(true, `${v2} answered ${res.status}.`);

  let authorization = null;
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get('WWW-Authenticate'));
    if (!challenge) {
      if (!endpoint.sameOrigin) {
        return fail(
          'E_CORS',
          'The registry asks for authentication but hides how',
          'It answered 401 without an exposed WWW-Authenticate header, so this page cannot tell which login it wants. Add "WWW-Authenticate" to Access-Control-Expose-Headers, or better, serve Airlock from the registry’s origin (see “Deployment” in the README).',
        );
      }
      return fail('E_REGISTRY', 'The registry answered 401 without a WWW-Authenticate header', 'This is not how OCI registries ask for credentials; check that the address points at the registry.');
    }
    step(true, `The registry asks for ${challenge.scheme === 'bearer' ? 'a token (Docker token flow)' : 'Basic authentication'}.`);
    if (!credentials) {
      return fail('E_AUTH', 'The registry requires a login', 'Choose “Username and password” and enter an account that may push to this repository.');
    }
    const got = await authenticate({ challenge, credentials, endpoint, pageOrigin, request, step });
    if (!got.ok) return { ...got, steps };
    authorization = got.authorization;
    let check;
    try {
      check = await request(v2, { headers: { Authorization: authorization } });
    } catch {
      return preflightRefused(endpoint, pageOrigin, steps);
    }
    if (check.status === 401 || check.status === 403) {
      return fail('E_AUTH', 'The registry refused the credentials', `It answered ${check.status} with the credentials entered. Check the username and password.`);
    }
    if (!check.ok) {
      return fail('E_REGISTRY', `The registry answered ${check.status} after logging in`, await envelopeText(check));
    }
    step(true, 'Logged in.');
  } else if (res.status === 404) {
    return fail('E_REGISTRY', `${v2} is not a registry API`, 'It answered 404. Check the host and port of the repository.');
  } else if (!res.ok) {
    return fail('E_REGISTRY', `${v2} answered ${res.status}`, await envelopeText(res));
  } else if (credentials) {
    step(true, 'The registry does not ask for a login; the credentials will not be sent.');
  }

  // 2. May we push? Start an upload session and cancel it at once.
  const uploads = `${endpoint.base}/v2/${endpoint.path}/blobs/uploads/`;
  let post;
  try {
    const headers = authorization ? { Authorization: authorization } : {};
    post = await request(uploads, { method: 'POST', headers });
  } catch {
    return authorization ? preflightRefused(endpoint, pageOrigin, steps) : unreachable(uploads, endpoint, pageOrigin, request, steps);
  }
  if (post.status === 401 || post.status === 403) {
    return fail('E_AUTH', `This account may not push to ${endpoint.name}`, `Starting an upload answered ${post.status}. ${await envelopeText(post)}`);
  }
  if (post.status !== 202) {
    return fail('E_REGISTRY', `Starting an upload answered ${post.status}`, await envelopeText(post));
  }
  const location = post.headers.get('Location');
  if (!location) {
    return fail(
      'E_CORS',
      'The registry hides the upload location from this page',
      'Uploads need the Location header, which the registry does not list in Access-Control-Expose-Headers. Expose Location, Docker-Content-Digest, Range and WWW-Authenticate, or serve Airlock from the registry’s origin (see “Deployment” in the README).',
    );
  }
  step(true, `Push allowed: an upload to ${endpoint.name} can start.`);
  try {
    const headers = authorization ? { Authorization: authorization } : {};
    await request(new URL(location, `${endpoint.base}/`).href, { method: 'DELETE', headers });
  } catch {
    // The test session expires on its own.
  }
  return { ok: true, title: `Ready to push to ${endpoint.name}`, steps };
}

async function unreachable(url, endpoint, pageOrigin, request, steps) {
  // A CORS failure and a network failure look the same to fetch. An opaque
  // no-cors request tells them apart: it succeeds when the server answers.
  let answered = false;
  try {
    await request(url, { mode: 'no-cors' });
    answered = true;
  } catch {
    answered = false;
  }
  if (answered) {
    steps.push({ ok: false, text: `${url} answered, but without CORS headers for ${pageOrigin}.` });
    return {
      ok: false,
      code: 'E_CORS',
      title: 'The browser blocked the registry’s answer (CORS)',
      hint: `The registry at ${endpoint.base} does not allow pages from ${pageOrigin}. Serve Airlock from the registry’s origin with the shipped nginx config (it serves the page and proxies /v2/ to the registry; see “Deployment” in the README), or add CORS headers to the registry.`,
      steps,
    };
  }
  steps.push({ ok: false, text: `No answer from ${url}.` });
  const mixed = pageOrigin.startsWith('https:') && endpoint.base.startsWith('http:');
  return {
    ok: false,
    code: 'E_NETWORK',
    title: `Cannot reach ${endpoint.base}`,
    hint: mixed
      ? 'This page is served over https and the registry over plain http: the browser refuses that. Serve the registry over https, or serve Airlock from the registry’s origin.'
      : 'The registry is not running at that address, the name does not resolve, or its TLS certificate is not trusted by this browser.',
    steps,
  };
}

function preflightRefused(endpoint, pageOrigin, steps) {
  steps.push({ ok: false, text: 'The browser’s CORS preflight for the authenticated request was refused.' });
  return {
    ok: false,
    code: 'E_CORS',
    title: 'The registry refuses authenticated requests from this page (CORS preflight)',
    hint: `Before sending credentials the browser asks the registry for permission (an OPTIONS preflight). ${endpoint.base} refused it — Distribution with authentication answers the preflight with 401 and Harbor has no CORS support. Serve Airlock from the registry’s origin: the shipped nginx config serves the page and proxies /v2/ to the registry, so no preflight is needed (see “Deployment” in the README). This page is at ${pageOrigin}.`,
    steps,
  };
}

async function authenticate({ challenge, credentials, endpoint, request, step }) {
  const basic = `Basic ${base64(`${credentials.username}:${credentials.password}`)}`;
  if (challenge.scheme === 'basic') return { ok: true, authorization: basic };
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
    return { ok: false, code: 'E_REGISTRY', title: `Unsupported authentication scheme "${challenge.scheme}"`, hint: 'Airlock supports Basic and the Docker token flow (Bearer).' };
  }
  let realm;
  try {
    realm = new URL(challenge.params.realm, `${endpoint.base}/`);
  } catch {
    return { ok: false, code: 'E_REGISTRY', title: 'The registry names an invalid token service', hint: 'Its WWW-Authenticate realm is not a URL.' };
  }
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
    return { ok: false, code: 'E_REGISTRY', title: 'The registry names an invalid token service', hint: 'The realm must be an http(s) URL.' };
  }
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  realm.searchParams.set('scope', `repository:${endpoint.path}:pull,push`);
  let res;
  try {
    res = await request(realm.href, { headers: { Authorization: basic } });
  } catch {
    return {
      ok: false,
      code: 'E_CORS',
      title: `The token service at ${realm.origin} cannot be reached from this page`,
      hint: 'Either it is down, or it does not allow this page’s origin (CORS). Serve the token service from the registry’s origin too (see “Deployment” in the README).',
    };
  }
  if (res.status === 401 || res.status === 403) {
    return { ok: false, code: 'E_AUTH', title: 'The token service refused the credentials', hint: `It answered ${res.status}. Check the username and password.` };
  }
  if (!res.ok) {
    return { ok: false, code: 'E_REGISTRY', title: `The token service answered ${res.status}`, hint: await envelopeText(res) };
  }
  let body;
  try {
    body = await res.json();
  } catch {
    return { ok: false, code: 'E_REGISTRY', title: 'The token service did not answer JSON', hint: 'Check the realm the registry names.' };
  }
  const token = body.token || body.access_token;
  if (typeof token !== 'string' || !token) {
    return { ok: false, code: 'E_REGISTRY', title: 'The token service answered without a token', hint: 'Its JSON has neither "token" nor "access_token".' };
  }
  step(true, `Got a token from ${realm.origin}.`);
  return { ok: true, authorization: `Bearer ${token}` };
}

/** Parses `Bearer realm="…",service="…"` / `Basic realm="…"`. */
export function parseChallenge(header) {
  if (!header) return null;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return null;
  const params = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p;
  while ((p = re.exec(m[2])) !== null) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** The registry's error envelope as one line of text (never credentials). */
async function envelopeText(res) {
  let text = '';
  try {
    text = await res.text();
  } catch {
    return '';
  }
  try {
    const body = JSON.parse(text);
    if (Array.isArray(body.errors)) {
      return body.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    }
  } catch {
    // Not JSON: show the start of the text.
  }
  return text.slice(0, 300);
}

function base64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
