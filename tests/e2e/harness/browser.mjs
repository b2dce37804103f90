// Headless Debian Chromium driven by playwright-core (no browser download).

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

/** A fresh page that records console errors and uncaught exceptions. */
export async function newPage(browser, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), headers: r.headers() }));
  return { context, page, errors, requests };
}
