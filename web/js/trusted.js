// The page's only Trusted Types policy (the CSP says
// `require-trusted-types-for 'script'; trusted-types airlock`): it makes
// script URLs for this page's own workers (web/js/workers/) and nothing else.
// There is no createHTML and no createScript: the page never parses HTML or
// evaluates strings, so those sinks stay closed.

const WORKERS = new URL('./workers/', import.meta.url).href;

const policy = globalThis.trustedTypes
  ? globalThis.trustedTypes.createPolicy('airlock', {
      createScriptURL(url) {
        const href = new URL(url, WORKERS).href;
        if (!href.startsWith(WORKERS) || !href.endsWith('.js')) throw new TypeError(`refusing worker script ${JSON.stringify(String(url))}: only web/js/workers/*.js`);
        return href;
      },
    })
  : null;

/** A URL `new Worker()` accepts under Trusted Types; throws for any other script. */
export function workerScriptUrl(url) {
  const href = String(url);
  if (policy) return policy.createScriptURL(href);
  if (!new URL(href, WORKERS).href.startsWith(WORKERS)) throw new TypeError(`refusing worker script ${JSON.stringify(href)}: only web/js/workers/*.js`);
  return href;
}
