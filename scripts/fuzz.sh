#!/usr/bin/env bash
# Runs Airlock's libFuzzer targets (crate/fuzz, cargo-fuzz, nightly).
#
#   scripts/fuzz.sh TARGET|all SECONDS [JOBS]
#
# Each target runs for SECONDS with -rss_limit_mb=512 -timeout=10 on its
# corpus in crate/fuzz/corpus/TARGET (kept in the repo; minimised with
# `cargo fuzz cmin` afterwards). Crashes land in crate/fuzz/artifacts/TARGET;
# copy each into crate/fuzz/regressions/TARGET/ and add a named test to
# crate/core/tests/fuzz_regressions.rs. libFuzzer's final stats (executions)
# are appended to crate/fuzz/runs.log. JOBS targets run at once (default 1).
# Without a nightly toolchain, RUSTC_BOOTSTRAP=1 with stable works too
# (set FUZZ_TOOLCHAIN=stable).
# No sanitizer by default (FUZZ_SANITIZER=none): airlock-core is
# `#![forbid(unsafe_code)]`, so AddressSanitizer has nothing to find that a
# panic would not show, and it costs several times the executions. Panics,
# hangs (-timeout) and memory over -rss_limit_mb still fail a run.
# FUZZ_SANITIZER=address brings it back.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS [JOBS]}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS [JOBS]}
jobs=${3:-1}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
if [ "$toolchain" = stable ]; then export RUSTC_BOOTSTRAP=1; fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
sanitizer=${FUZZ_SANITIZER:-none}
fuzz() { local verb=$1; shift; cargo "+$toolchain" fuzz "$verb" -s "$sanitizer" "$@"; }

if [ "$target" = all ]; then
  targets=$(cargo "+$toolchain" fuzz list --fuzz-dir crate/fuzz)
else
  targets=$target
fi
fuzz build -O --fuzz-dir crate/fuzz

run_one() {
  local t=$1 log max_len
  case $t in
    tar_index) max_len=65536 ;;
    archive_mutate) max_len=512 ;;
    *) max_len=8192 ;;
  esac
  log=$(mktemp)
  mkdir -p "crate/fuzz/corpus/$t" "crate/fuzz/artifacts/$t"
  # libFuzzer exits non-zero on a crash; keep going to report it.
  fuzz run -O --fuzz-dir crate/fuzz "$t" "crate/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -max_len=$max_len \
    -print_final_stats=1 -artifact_prefix="crate/fuzz/artifacts/$t/" >"$log" 2>&1 || true
  local execs
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
  local crashes
  crashes=$(find "crate/fuzz/artifacts/$t" -type f | wc -l)
  printf '%s\t%s\t%ss\texecutions=%s\tartifacts=%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" \
    "${execs:-?}" "$crashes" | tee -a crate/fuzz/runs.log
  grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
  # Keep the corpus small: only inputs that add coverage.
  fuzz cmin -O --fuzz-dir crate/fuzz "$t" "crate/fuzz/corpus/$t" >/dev/null 2>&1 || true
  rm -f "$log"
}

running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
