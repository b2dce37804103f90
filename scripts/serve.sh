#!/usr/bin/env bash
# The README's main command. Builds the wasm package, starts a local
# Distribution registry (no auth, CORS headers) and serves the page with
# nginx — both on 127.0.0.1 only — prints both addresses, and runs in the
# foreground until Ctrl-C, then stops exactly what it started.
#
# The page's nginx also proxies /v2/ to the registry (the same-origin
# deployment of deploy/nginx/airlock.conf), so in the page you can push to
# either address: 127.0.0.1:$PAGE_PORT/<repo> (same origin) or
# 127.0.0.1:$REGISTRY_PORT/<repo> (cross-origin, CORS).
#
# Environment: AIRLOCK_PORT (page, default 8080), AIRLOCK_REGISTRY_PORT
# (registry, default 5000), AIRLOCK_REGISTRY_DATA (registry storage, default
# a temporary directory removed on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PAGE_PORT="${AIRLOCK_PORT:-8080}"
REGISTRY_PORT="${AIRLOCK_REGISTRY_PORT:-5000}"

log() { printf '\033[1m[serve]\033[0m %s\n' "$*" >&2; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PAGE_PORT" "$REGISTRY_PORT"; do
  if port_busy "$p"; then
    log "127.0.0.1:$p is already in use; set AIRLOCK_PORT / AIRLOCK_REGISTRY_PORT to free ports"
    exit 1
  fi
done

scripts/setup.sh
scripts/build-wasm.sh

STATE="$(mktemp -d /tmp/airlock-serve.XXXXXX)"
chmod 755 "$STATE"
DATA="${AIRLOCK_REGISTRY_DATA:-$STATE/registry-data}"
mkdir -p "$DATA" "$STATE/nginx"
REG_PID=""
NGINX_PID=""

cleanup() {
  trap - EXIT INT TERM
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
  rm -rf "$STATE"
  log "stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# --- the demo registry -------------------------------------------------------
cat > "$STATE/registry.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DATA
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  secret: airlock-demo-not-secret
$(cat "$ROOT/tests/support/registry-cors.yml")
YAML
/usr/bin/docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 </dev/null &
REG_PID=$!

# --- nginx: the page, the wasm package and a same-origin /v2/ proxy ----------
USER_LINE=""
# As root, nginx would drop workers to "nobody", who may not read the
# checkout: run them as the invoking user instead (loopback demo only).
[ "$(id -u)" = 0 ] && USER_LINE="user $(id -un) $(id -gn);"
sed -e "s#@USER@#$USER_LINE#" \
    -e "s#@PREFIX@#$STATE/nginx#g" \
    -e "s#@LISTEN@#127.0.0.1:$PAGE_PORT#" \
    -e "s#@WEB_ROOT@#$ROOT/web#" \
    -e "s#@PKG_ROOT@#$ROOT/pkg#" \
    -e "s#@REGISTRY@#127.0.0.1:$REGISTRY_PORT#" \
    -e "s#@TOKEN_LOCATION@##" \
    deploy/nginx/airlock-local.conf.template > "$STATE/nginx/nginx.conf"
nginx -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" -e "$STATE/nginx/error.log" &
NGINX_PID=$!

wait_http() { # url name pid log
  for _ in $(seq 1 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)"
    case "$code" in 200|401) return 0 ;; esac
    if ! kill -0 "$3" 2>/dev/null; then log "$2 exited; log:"; cat "$4" >&2; exit 1; fi
    sleep 0.1
  done
  log "$2 did not answer $1 within 10 s"; exit 1
}
wait_http "http://127.0.0.1:$REGISTRY_PORT/v2/" registry "$REG_PID" "$STATE/registry.log"
wait_http "http://127.0.0.1:$PAGE_PORT/" nginx "$NGINX_PID" "$STATE/nginx/error.log"

cat <<MSG

  Airlock page:   http://127.0.0.1:$PAGE_PORT/
  Demo registry:  http://127.0.0.1:$REGISTRY_PORT/v2/  (no auth, CORS open; storage $DATA)

  In the page, push to e.g. 127.0.0.1:$PAGE_PORT/demo/bundle (same origin, via nginx)
  or 127.0.0.1:$REGISTRY_PORT/demo/bundle (directly, cross-origin).
  Ctrl-C stops both.

MSG
wait -n "$REG_PID" "$NGINX_PID" || true
log "a server exited unexpectedly"
