# Shared helpers for the shell benchmarks (source it: `. bench/lib.sh`).
# Registries are real Distribution (`docker-registry`) on 127.0.0.1 only,
# each with fresh storage; everything started here is stopped by pid on exit.

BENCH_PIDS=()
BENCH_DIRS=()
bench_cleanup() {
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for d in "${BENCH_DIRS[@]}"; do rm -rf "$d"; done
  BENCH_PIDS=(); BENCH_DIRS=()
}
trap bench_cleanup EXIT

# bench_setup OUTDIR [SUBDIR] (from the repository root): ROOT, OUT (OUTDIR,
# default bench-out/, then SUBDIR; created), and this tree's release binaries
# built into AIRLOCK and GEN; docker-registry installed if missing.
bench_setup() {
  ROOT="$PWD"
  OUT="${1:-$ROOT/bench-out}${2:+/$2}"
  mkdir -p "$OUT"
  command -v docker-registry >/dev/null || scripts/setup.sh
  cargo build -q --release --bin airlock --bin gen
  AIRLOCK="$ROOT/target/release/airlock"
  GEN="$ROOT/target/release/gen"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry VAR [STORAGE_DIR]: a fresh registry; its host:port goes
# into $VAR. STORAGE_DIR (default: a new temporary directory) holds its data.
start_registry() {
  local dir port data
  dir="$(mktemp -d /tmp/airlock-bench-reg.XXXXXX)"
  data="${2:-$dir/data}"
  port="$(free_port)"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $data}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
  BENCH_PIDS+=("$!")
  BENCH_DIRS+=("$dir")
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; then
      printf -v "$1" '%s' "127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  echo "registry did not start" >&2; cat "$dir/log" >&2; exit 1
}

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
mib() { python3 -c "print(f'{$1 / 1048576:.1f}')"; }
mibs() { python3 -c "print(f'{$1 / 1048576 / ($3 - $2):.0f}')"; }
size() { stat -c %s "$1"; }
