// "Test connection": words the result of the wasm `probe()` — which runs the
// core's own ping, authentication (Basic or the Docker token flow) and
// upload probe — as plain-language explanations. No DOM, no HTTP here.
// Credentials never appear in the result or in these messages.

/**
 * @param {import('../pkg/airlock.js').ProbeResult} result from `probe()`
 * @param {string} pageOrigin location.origin
 * @returns {{ok: boolean, code?: string, title: string, hint?: string, steps: {ok: boolean, text: string}[]}}
 */
export function explainProbe(result, pageOrigin) {
  const { endpoint } = result;
  const steps = [];
  const line = (ok, text) => steps.push({ ok, text });
  for (const s of result.steps) {
    if (s.ok) {
      line(true, okText(s, result));
      if (s.step === 'ping') {
        if (s.status === 401 && result.scheme === 'bearer') line(true, 'The registry asks for a token (Docker token flow).');
        if (s.status === 401 && result.scheme === 'basic') line(true, 'The registry asks for Basic authentication.');
        if (result.scheme === 'none' && result.credentialsGiven) line(true, 'The registry does not ask for a login; the credentials will not be sent.');
      }
      continue;
    }
    if (s.failure === 'cors') line(false, `${s.url} answered, but without CORS headers for ${pageOrigin}.`);
    else if (s.failure === 'unreachable' && s.step !== 'token') line(false, `No answer from ${s.url}.`);
    else if (s.failure === 'preflight') line(false, 'The browser’s CORS preflight for the authenticated request was refused.');
    return { ok: false, code: s.code, ...failureText(s, result, pageOrigin), steps };
  }
  if (!result.ok) return { ok: false, code: 'E_INTERNAL', title: 'The connection test ended without a result', steps };
  return { ok: true, title: `Ready to push to ${endpoint.name}`, steps };
}

function okText(s, result) {
  switch (s.step) {
    case 'ping':
      return `${s.url} answered ${s.status}.`;
    case 'token':
      return `Got a token from ${origin(s.url)}.`;
    case 'login':
      return 'Logged in.';
    default:
      return `Push allowed: an upload to ${result.endpoint.name} can start.`;
  }
}

/** {title, hint} for the failed step. */
function failureText(s, result, pageOrigin) {
  const { endpoint } = result;
  switch (s.failure) {
    case 'cors':
      return {
        title: 'The browser blocked the registry’s answer (CORS)',
        hint: `The registry at ${endpoint.base} does not allow pages from ${pageOrigin}. Serve Airlock from the registry’s origin with the shipped nginx config (it serves the page and proxies /v2/ to the registry; see “Deployment” in the README), or add CORS headers to the registry.`,
      };
    case 'preflight':
      return {
        title: 'The registry refuses authenticated requests from this page (CORS preflight)',
        hint: `Before sending credentials the browser asks the registry for permission (an OPTIONS preflight). ${endpoint.base} refused it — Distribution with authentication answers the preflight with 401 and Harbor has no CORS support. Serve Airlock from the registry’s origin: the shipped nginx config serves the page and proxies /v2/ to the registry, so no preflight is needed (see “Deployment” in the README). This page is at ${pageOrigin}.`,
      };
    case 'unreachable':
      if (s.step === 'token') {
        return {
          title: `The token service at ${origin(s.url)} cannot be reached from this page`,
          hint: 'Either it is down, or it does not allow this page’s origin (CORS). Serve the token service from the registry’s origin too (see “Deployment” in the README).',
        };
      }
      return {
        title: `Cannot reach ${endpoint.base}`,
        hint:
          pageOrigin.startsWith('https:') && s.url.startsWith('http:')
            ? 'This page is served over https and the registry over plain http: the browser refuses that. Serve the registry over https, or serve Airlock from the registry’s origin.'
            : 'The registry is not running at that address, the name does not resolve, or its TLS certificate is not trusted by this browser.',
      };
    case 'challenge-hidden':
      return endpoint.sameOrigin
        ? { title: 'The registry answered 401 without a WWW-Authenticate header', hint: 'This is not how OCI registries ask for credentials; check that the address points at the registry.' }
        : {
            title: 'The registry asks for authentication but hides how',
            hint: 'It answered 401 without an exposed WWW-Authenticate header, so this page cannot tell which login it wants. Add "WWW-Authenticate" to Access-Control-Expose-Headers, or better, serve Airlock from the registry’s origin (see “Deployment” in the README).',
          };
    case 'unsupported-scheme':
      return { title: `Unsupported authentication scheme "${(result.challenge || '').trim().split(/\s/)[0]}"`, hint: 'Airlock supports Basic and the Docker token flow (Bearer).' };
    case 'login-required':
      return { title: 'The registry requires a login', hint: 'Choose “Username and password” and enter an account that may push to this repository.' };
    case 'invalid-realm':
      return { title: 'The registry names an invalid token service', hint: 'Its WWW-Authenticate realm is not an http(s) URL.' };
    case 'bad-token':
      return { title: 'The token service answered without a usable token', hint: `${s.message}. Check the realm the registry names.` };
    case 'no-location':
      return {
        title: 'The registry hides the upload location from this page',
        hint: 'Uploads need the Location header, which the registry does not list in Access-Control-Expose-Headers. Expose Location, Docker-Content-Digest, Range and WWW-Authenticate, or serve Airlock from the registry’s origin (see “Deployment” in the README).',
      };
    case 'not-found':
      return { title: `${s.url} is not a registry API`, hint: 'It answered 404. Check the host and port of the repository.' };
    case 'denied':
      if (s.step === 'token') return { title: 'The token service refused the credentials', hint: `It answered ${s.status}. Check the username and password.` };
      if (s.step === 'login') return { title: 'The registry refused the credentials', hint: `It answered ${s.status} with the credentials entered. Check the username and password.` };
      return { title: `This account may not push to ${endpoint.name}`, hint: `Starting an upload answered ${s.status}. ${envelopeText(s)}` };
    default:
      return { title: statusTitle(s), hint: envelopeText(s) };
  }
}

function statusTitle(s) {
  switch (s.step) {
    case 'ping':
      return `${s.url} answered ${s.status}`;
    case 'token':
      return `The token service answered ${s.status}`;
    case 'login':
      return `The registry answered ${s.status} after logging in`;
    default:
      return `Starting an upload answered ${s.status}`;
  }
}

/** The registry's error envelope as one line of text (never credentials). */
function envelopeText(s) {
  if (s.errors.length) return s.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  return s.body;
}

function origin(url) {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
