#!/usr/bin/env bash
# Builds the WebAssembly package into pkg/ (JS glue, .wasm, .d.ts, package.json).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --target wasm32-unknown-unknown -p airlock-wasm --lib
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name airlock \
  target/wasm32-unknown-unknown/release/airlock.wasm
# Gate: nothing imported from `env` (or any module but wasm-bindgen's glue).
node scripts/wasm-imports.mjs pkg/airlock_bg.wasm
# wasm-bindgen writes no package.json for --target web; write one so pkg/ is
# an importable npm-style package.
VERSION="$(awk -F'"' '/^version/{print $2; exit}' Cargo.toml)"
cat > pkg/package.json <<JSON
{
  "name": "airlock-wasm",
  "version": "$VERSION",
  "description": "Airlock core (imgpkg bundle reader, verifier, planner, registry copy) for the browser",
  "type": "module",
  "main": "airlock.js",
  "types": "airlock.d.ts",
  "files": ["airlock.js", "airlock_bg.wasm", "airlock.d.ts", "airlock_bg.wasm.d.ts"],
  "license": "Apache-2.0"
}
JSON
echo "pkg/ built: $(du -h pkg/airlock_bg.wasm | cut -f1) wasm"
