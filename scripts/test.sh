#!/usr/bin/env bash
# Runs every Airlock test: formatting and lints (native and wasm32), the
# native unit and integration tests (against real Distribution registries
# started on 127.0.0.1 by the tests themselves), the core's tests on wasm32
# in headless Chromium, and the end-to-end browser tests (playwright-core +
# Debian chromium + nginx). Installs missing dependencies first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

scripts/setup.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy -q --workspace --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy -q --target wasm32-unknown-unknown -p airlock-core -p airlock-wasm --lib --tests -- -D warnings
cargo clippy -q --target wasm32-unknown-unknown -p airlock-testkit --lib -- -D warnings

step "cargo doc (-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --workspace
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --target wasm32-unknown-unknown -p airlock-core -p airlock-wasm

step "native tests (unit, golden, real registry)"
cargo test -q --workspace 2>&1 | tee target/native-tests.log
grep -q "test result: ok" target/native-tests.log

step "core tests on wasm32 in headless Chromium (wasm-bindgen-test)"
export CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120
cargo test --target wasm32-unknown-unknown -p airlock-core --test wasm_core
cargo test --target wasm32-unknown-unknown -p airlock-wasm --lib

step "build the wasm package (pkg/)"
scripts/build-wasm.sh

step "browser end-to-end tests (playwright-core, chromium, nginx, registry)"
(cd tests/e2e && node --test --test-concurrency=1 ./*.test.mjs)

echo
echo "all tests passed in $(( $(date +%s) - start ))s"
