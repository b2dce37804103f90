// Builds the page: loads the wasm engine, then wires store, model, view and
// controller. Resolves to {model, controller}; nothing is put on globalThis
// (the e2e tests load their own entry module, tests/e2e/pages/test-main.js,
// in place of main.js to reach the model).

import { Controller } from './controller.js';
import { Model } from './model.js';
import { Store } from './store.js';
import { ThinView } from './thin.js';
import { View } from './view.js';

export async function startApp() {
  const view = new View();
  const model = new Model();
  try {
    await model.init();
  } catch (e) {
    view.showFatal(e);
    throw e;
  }
  const controller = new Controller({ model, view, store: new Store(), thin: new ThinView() });
  controller.start();
  return { model, controller };
}
