// Test entry: the e2e harness serves this in place of web/js/main.js (a
// Playwright route; the shipped page has no hook), so tests and benchmarks
// can read the model: globalThis.airlockApp = {model, controller}.

import { startApp } from './app.js';

startApp().then(
  (app) => {
    globalThis.airlockApp = app;
  },
  () => {},
);
