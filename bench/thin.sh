#!/usr/bin/env bash
# Thin transfer benchmark (issue "Thin transfers"): one run, local
# Distribution registries on 127.0.0.1 only.
#
#   - a 100-package repository (1 image per package: a shared base layer and
#     a layer of its own, 2 MiB of incompressible data each); release 2
#     changes 10 packages. Full v2 tar vs thin v2 tar (against a receipt of
#     the destination holding v1) vs the bytes of the changed layers (the
#     physical limit); thin import time vs full import time;
#   - receipt size and time for the 1,000-image package repository
#     (100 package bundles x 10 small single-layer images).
#
# Targets: thin tar <= changed layer bytes + 1 % of the full tar; receipt of
# the 1,000-image repository in <= 5 s and <= 1 MiB.
#
# Usage: bench/thin.sh [OUTDIR]   (default bench-out/, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup "${1:-}" thin

LAYER=2MiB
V1="$OUT/v1.tar"
V2="$OUT/v2-synth.tar"
REPO1000="$OUT/package-repo-1000.tar"
[ -f "$V1" ] || "$GEN" package-repo-release --packages 100 --layer-size "$LAYER" --changed 10 --release 1 -o "$V1" >&2
[ -f "$V2" ] || "$GEN" package-repo-release --packages 100 --layer-size "$LAYER" --changed 10 --release 2 -o "$V2" >&2
[ -f "$REPO1000" ] || "$GEN" large-package-repo --packages 100 --images-per-package 10 -o "$REPO1000" >&2
CHANGED=$(python3 -c "print(10 * 2 * 1048576)")

# Source registry with both releases.
start_registry SRC
"$AIRLOCK" copy --tar "$V1" --to-repo "$SRC/src/pkgrepo" 2>"$OUT/src-v1.log"
"$AIRLOCK" copy --tar "$V2" --to-repo "$SRC/src/pkgrepo" 2>"$OUT/src-v2.log"

# Two destinations holding release 1.
start_registry DST_THIN
start_registry DST_FULL
"$AIRLOCK" copy --tar "$V1" --to-repo "$DST_THIN/dst/pkgrepo" 2>"$OUT/dst-thin-v1.log"
"$AIRLOCK" copy --tar "$V1" --to-repo "$DST_FULL/dst/pkgrepo" 2>"$OUT/dst-full-v1.log"

"$AIRLOCK" receipt "$DST_THIN/dst/pkgrepo" -o "$OUT/receipt-v1.json" 2>"$OUT/receipt-v1.log"
rm -f "$OUT/v2-full.tar" "$OUT/v2-thin.tar"
"$AIRLOCK" copy -b "$SRC/src/pkgrepo:v2.0.0" --to-tar "$OUT/v2-full.tar" 2>"$OUT/export-full.log"
"$AIRLOCK" copy -b "$SRC/src/pkgrepo:v2.0.0" --to-tar "$OUT/v2-thin.tar" --skip-blobs "$OUT/receipt-v1.json" 2>"$OUT/export-thin.log"
FULL=$(size "$OUT/v2-full.tar")
THIN=$(size "$OUT/v2-thin.tar")
LIMIT=$(python3 -c "print(int($CHANGED + 0.01 * $FULL))")

t0=$(now)
"$AIRLOCK" copy --tar "$OUT/v2-full.tar" --to-repo "$DST_FULL/dst/pkgrepo" 2>"$OUT/import-full.log"
t1=$(now)
FULL_T=$(secs "$t0" "$t1")
t0=$(now)
"$AIRLOCK" copy --tar "$OUT/v2-thin.tar" --to-repo "$DST_THIN/dst/pkgrepo" 2>"$OUT/import-thin.log"
t1=$(now)
THIN_T=$(secs "$t0" "$t1")

# Receipt of the 1,000-image package repository.
start_registry R1000
"$AIRLOCK" copy --tar "$REPO1000" --to-repo "$R1000/bench/repo1000" 2>"$OUT/repo1000.log"
t0=$(now)
"$AIRLOCK" receipt "$R1000/bench/repo1000" -o "$OUT/receipt-1000.json" 2>"$OUT/receipt-1000.log"
t1=$(now)
R_T=$(secs "$t0" "$t1")
R_SIZE=$(size "$OUT/receipt-1000.json")
R_COUNTS=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['counts']; print(f\"{c['tags']} tags, {c['manifests']} manifests, {c['blobs']} blobs\")" "$OUT/receipt-1000.json")

verdict() { python3 -c "print('yes' if $1 else 'NO')"; }
cat <<TABLE

### Thin transfer benchmark ($(nproc) cores, $(date -u +%Y-%m-%d), one run)

100-package repository, 1 image per package (shared 2 MiB base layer + a 2 MiB layer of its own); release 2 changes 10 packages:

| what | bytes | MiB | notes |
|---|---|---|---|
| full v2 tar | $FULL | $(mib "$FULL") | \`copy -b … --to-tar\` |
| thin v2 tar | $THIN | $(mib "$THIN") | \`--skip-blobs receipt-v1.json\` |
| changed layers (physical limit) | $CHANGED | $(mib "$CHANGED") | 10 new 2 MiB layers |
| target: changed + 1 % of full | $LIMIT | $(mib "$LIMIT") | met: $(verdict "$THIN <= $LIMIT") |

| import into a registry holding v1 | time |
|---|---|
| full v2 tar | ${FULL_T} s |
| thin v2 tar (HEAD check of every omitted layer included) | ${THIN_T} s |

| receipt of the 1,000-image package repository | value | target |
|---|---|---|
| time | ${R_T} s | <= 5 s: $(verdict "$R_T <= 5") |
| size | $R_SIZE bytes ($(mib "$R_SIZE") MiB) | <= 1 MiB: $(verdict "$R_SIZE <= 1048576") |
| contents | $R_COUNTS | |
TABLE
