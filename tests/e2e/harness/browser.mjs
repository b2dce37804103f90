// Headless Debian Chromium driven by playwright-core (no browser download).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { requireFile } from './procs.mjs';

export const CHROMIUM = '/usr/bin/chromium';

/** Chromium's flags for every test and benchmark browser. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser() {
  requireFile(CHROMIUM, 'install Debian package chromium (scripts/setup.sh does)');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

const TEST_MAIN = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../pages/test-main.js'), 'utf8');

/** The CDP `Fetch.enable` patterns that pause the request for web/js/main.js. */
export const TEST_ENTRY_PATTERNS = [{ urlPattern: '*/js/main.js', requestStage: 'Request' }];

/** `Fetch.fulfillRequest` parameters answering paused request `requestId` with the test entry. */
export function testEntryFulfillment(requestId) {
  return {
    requestId,
    responseCode: 200,
    responseHeaders: [{ name: 'Content-Type', value: 'text/javascript; charset=utf-8' }, { name: 'Cache-Control', value: 'no-store' }],
    body: Buffer.from(TEST_MAIN).toString('base64'),
  };
}

/**
 * Answers requests for web/js/main.js with the test entry, through the CDP
 * Fetch domain with a pattern for that one URL (Playwright's page.route
 * would intercept every request and answer CORS preflights itself, which
 * would hide the refusals the connection tests check).
 */
async function serveTestEntry(context, page) {
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', (e) => {
    cdp.send('Fetch.fulfillRequest', testEntryFulfillment(e.requestId)).catch(() => {});
  });
  await cdp.send('Fetch.enable', { patterns: TEST_ENTRY_PATTERNS });
}

/**
 * A fresh page that records console errors, uncaught exceptions and CSP
 * (incl. Trusted Types) violations. web/js/main.js is answered with the
 * test entry module (pages/test-main.js), which exposes
 * `globalThis.airlockApp` — the shipped page has no test hook (testEntry:
 * false loads it as shipped). bypassCSP: for injecting axe-core only;
 * ignoreHTTPSErrors: for the benchmark's self-signed HTTPS nginx.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 900 }, testEntry = true, bypassCSP = false, ignoreHTTPSErrors = false } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, bypassCSP, ignoreHTTPSErrors });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  const violations = [];
  if (testEntry) await serveTestEntry(context, page);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI || ''} ${e.sample || ''}`.trim());
    });
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    if (m.text().startsWith('CSP violation:')) violations.push(m.text());
  });
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), headers: r.headers() }));
  return { context, page, errors, requests, violations };
}
