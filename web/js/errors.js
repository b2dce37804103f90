// Error codes -> plain-words titles and hints (no DOM). The wasm core throws
// JS Errors with a stable `code`; the page shows `explain(err)`.

const EXPLANATIONS = {
  E_NOT_TAR: {
    title: 'This file is not a tar archive',
    hint: 'Choose the file written by "imgpkg copy -b … --to-tar FILE" (an uncompressed tar). A truncated download also ends up here.',
  },
  E_FORMAT: {
    title: 'This tar is not an imgpkg tarball',
    hint: 'It lacks a readable manifest.json or a layer it lists. Re-export it with "imgpkg copy --to-tar".',
  },
  E_VERIFY: {
    title: 'The tarball is corrupt',
    hint: 'Some content does not match its digest or size. Nothing was pushed; re-export the tarball.',
  },
  E_ARGUMENT: {
    title: 'Check the destination',
    hint: 'The repository must look like registry.example.com/team/name (no https://, no tag).',
  },
  E_AUTH: {
    title: 'The registry refused the credentials',
    hint: 'Check the username and password (or token) and that this account may push to the repository.',
  },
  E_CORS: {
    title: 'The browser blocked the request to the registry (CORS)',
    hint: 'The registry does not allow requests from this page’s origin. Serve Airlock from the registry’s own origin: the shipped nginx config serves the page and proxies /v2/ to the registry (see “Deployment” in the README).',
  },
  E_NETWORK: {
    title: 'The registry could not be reached',
    hint: 'Check the address, that the registry is running, and that its TLS certificate is trusted by this browser. An https page cannot talk to an http registry.',
  },
  E_REGISTRY: {
    title: 'The registry returned an error',
    hint: 'The registry’s own message is below.',
  },
  E_THIN: {
    title: 'This thin tar needs layers the registry does not have',
    hint: 'It left out layers a receipt or an earlier tar promised, and some are not in the destination (nor in the repositories its receipts name). Nothing was pushed. Import the tar those layers came with first, or export again against a fresh receipt.',
  },
  E_CANCELLED: {
    title: 'Cancelled',
    hint: 'Nothing is lost: run it again to continue; only what is missing is sent.',
  },
  E_READ: {
    title: 'The file could not be read',
    hint: 'It may have been moved, changed or deleted since it was opened. Open it again.',
  },
  E_INTERNAL: {
    title: 'Airlock hit an internal error',
    hint: 'This is a bug in Airlock. The message below helps to report it.',
  },
  E_WASM: {
    title: 'The Airlock engine failed to load',
    hint: 'The page could not load pkg/airlock_bg.wasm. Build it with scripts/build-wasm.sh and serve it as application/wasm.',
  },
};

/** {code, title, hint, message} for any thrown value. */
export function explain(err) {
  const code = (err && typeof err.code === 'string' && err.code) || 'E_INTERNAL';
  const known = EXPLANATIONS[code] || EXPLANATIONS.E_INTERNAL;
  const message = err && err.message ? String(err.message) : String(err);
  return { code, title: known.title, hint: known.hint, message };
}

/** An Error with a code, for errors raised on the JS side of the page. */
export function codedError(code, message) {
  const e = new Error(message);
  e.code = code;
  e.name = 'AirlockError';
  return e;
}
