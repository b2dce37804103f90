// axe-core accessibility checks. axe is injected as source with
// page.evaluate, into a context made with bypassCSP (axe builds DOM with
// APIs that the page's Trusted Types policy rightly refuses); the tests that
// check the CSP run without bypass.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core'), 'utf8');

/** Serious and critical axe violations on the page as it is now, one line each. */
export async function axeViolations(page, state) {
  if (!(await page.evaluate(() => typeof globalThis.axe === 'object'))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    if (r.passes.length === 0) throw new Error('axe-core checked nothing');
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${state}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.join(', ')}`);
}
