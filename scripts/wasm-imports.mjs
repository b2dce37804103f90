// CI gate: the built module may import only wasm-bindgen's own glue. An
// import from `env` (or any other module) means a C dependency or a missing
// symbol slipped into the wasm build, and the page would fail to
// instantiate it. Usage: node scripts/wasm-imports.mjs pkg/airlock_bg.wasm
// Exits 1 listing the foreign imports.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The modules wasm-bindgen's `--target web` output imports from. */
export const GLUE_MODULES = ['wbg', './airlock_bg.js'];

/** `module.name` of every import not from the glue. */
export function foreignImports(bytes) {
  const module = new WebAssembly.Module(bytes);
  return WebAssembly.Module.imports(module)
    .filter((i) => !GLUE_MODULES.includes(i.module))
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/wasm-imports.mjs FILE.wasm');
    process.exit(2);
  }
  const foreign = foreignImports(readFileSync(file));
  if (foreign.length) {
    console.error(`${file} imports ${foreign.length} function(s) from outside wasm-bindgen's glue (${GLUE_MODULES.join(', ')}):`);
    for (const f of foreign) console.error(`  ${f}`);
    process.exit(1);
  }
}
