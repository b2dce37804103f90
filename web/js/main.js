// Entry point of the shipped page. The page works offline: everything is
// served from this origin. It exposes no test hooks.

import { startApp } from './app.js';

startApp().catch(() => {
  // Already shown on the page (View.showFatal).
});
