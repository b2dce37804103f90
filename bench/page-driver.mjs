// The browser a benchmark measures the page in: PAGE_DRIVER=raw (default:
// bench/raw-chromium.mjs, no DevTools domain on the requests' path, as a
// user's browser) or PAGE_DRIVER=playwright (the e2e tests' driver, whose
// Network and Fetch domains cost the browser per request). Both give
// `{ page, airlock }` with page.evaluate, page.selectOption and
// page.taskDuration (the main thread's busy seconds so far).

import { browserPage } from '../tests/e2e/harness/env.mjs';
import { rawPage } from './raw-chromium.mjs';

export const PAGE_DRIVER = process.env.PAGE_DRIVER || 'raw';

export async function benchPage(stack, options = {}) {
  if (PAGE_DRIVER === 'raw') return rawPage(stack, options);
  if (PAGE_DRIVER !== 'playwright') throw new Error(`PAGE_DRIVER=${PAGE_DRIVER}: expected raw or playwright`);
  const ui = await browserPage(stack, options);
  let cdp = null;
  ui.page.taskDuration = async () => {
    if (!cdp) {
      cdp = await ui.context.newCDPSession(ui.page);
      await cdp.send('Performance.enable');
    }
    return (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  };
  return ui;
}
