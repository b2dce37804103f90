// Entry point: loads the wasm engine, then wires store, model, view and
// controller. The page works offline: everything is served from this origin.

import { Controller } from './controller.js';
import { Model } from './model.js';
import { Store } from './store.js';
import { View } from './view.js';

const view = new View();
const model = new Model();

model.init().then(
  () => {
    const controller = new Controller({ model, view, store: new Store() });
    controller.start();
    // For the end-to-end tests and the benchmark script (read-only use).
    globalThis.airlockApp = { model, controller };
  },
  (e) => view.showFatal(e),
);
