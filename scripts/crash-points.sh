#!/usr/bin/env bash
# Random crash points with more kills than the normal suite's 3 per test.
#
#   scripts/crash-points.sh [KILLS] [SEED]
#
# Pushes the generated package repository with the airlock binary and
# SIGKILLs the registry, then the airlock process, KILLS times each (default
# 10) at moments drawn from SEED (default: from the clock; printed either
# way), checking the registry after every kill (crate/cli/tests/crash_points.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export AIRLOCK_CRASH_POINTS=${1:-10}
if [ -n "${2:-}" ]; then export AIRLOCK_CRASH_SEED=$2; fi
cargo test -q -p airlock-cli --test crash_points -- --nocapture --test-threads=1
