// Headless Debian Chromium driven by playwright-core (no browser download).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { requireFile } from './procs.mjs';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser() {
  requireFile(CHROMIUM, 'install Debian package chromium (scripts/setup.sh does)');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const TEST_MAIN = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../pages/test-main.js'), 'utf8');

/**
 * A fresh page that records console errors, uncaught exceptions and CSP
 * (incl. Trusted Types) violations. web/js/main.js is answered with the
 * test entry module (pages/test-main.js), which exposes
 * `globalThis.airlockApp` — the shipped page has no test hook (testEntry:
 * false loads it as shipped). bypassCSP: for injecting axe-core only.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 900 }, testEntry = true, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, bypassCSP });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  const violations = [];
  if (testEntry) await page.route(/\/js\/main\.js(\?.*)?$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: TEST_MAIN }));
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
