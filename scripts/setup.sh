#!/usr/bin/env bash
# Installs what Airlock's build, demo and tests need, skipping what is
# already there. Safe to run repeatedly. Used by scripts/serve.sh and
# scripts/test.sh; not usually run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
# docker-registry: the real Distribution registry the tests push into.
# chromium + chromium-driver: headless browser for wasm-bindgen-test and the
# playwright end-to-end tests. nginx-light: the same-origin deployment.
# apache2-utils: htpasswd for the Basic-auth registry. openssl: token-auth keys.
# skopeo: writes the oci-archive and docker-archive tars the image-archive tests push.
need_apt=()
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v htpasswd >/dev/null || need_apt+=(apache2-utils)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
command -v skopeo >/dev/null || need_apt+=(skopeo)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- Rust targets and wasm-bindgen-cli ---------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
# The CLI must match the wasm-bindgen crate version in Cargo.lock exactly.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock 2>/dev/null || true)"
if [ -n "$WB_VERSION" ]; then
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
    log "cargo install wasm-bindgen-cli --version $WB_VERSION (takes ~5 minutes once)"
    # Not --locked: its lockfile pins a crate version the reachable index lacks.
    cargo install -q wasm-bindgen-cli --version "$WB_VERSION"
  fi
fi

# --- npm packages (playwright-core drives Debian's chromium) -----------------
if [ -f tests/e2e/package.json ]; then
  # npm ci when any package of the lock file is missing (playwright-core,
  # typescript, axe-core, …), so a changed package.json installs itself.
  missing=$(node -e 'const l=require("./tests/e2e/package-lock.json");const fs=require("fs");
    console.log(Object.keys(l.packages).filter(k=>k&&!fs.existsSync("tests/e2e/"+k)).join(" "))')
  if [ -n "$missing" ]; then
    log "npm ci (tests/e2e)"
    (cd tests/e2e && npm ci --silent --no-audit --no-fund)
  fi
fi
log "dependencies ready"
