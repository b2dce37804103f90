#!/usr/bin/env bash
# Copy benchmark (issue "Registry copy engine"): one run, same machine, a
# fresh local Distribution registry on 127.0.0.1 for every measurement.
#
#   - a generated 512 MiB bundle (8 images x 4 layers x 16 MiB random + the
#     bundle): `airlock copy --tar` vs `skopeo copy` of the same images (from
#     OCI layouts, 5 at a time like imgpkg's --concurrency) vs parallel
#     `curl` uploads of the same blobs (the registry's ingest limit);
#   - peak RSS of airlock (GNU time);
#   - a re-run with everything present;
#   - a 1,000-image package repository (100 package bundles x 10 small single-layer images): requests per image
#     and total time.
#
# imgpkg is not installed here (and never a dependency): its column shows the
# figures quoted in ../shared/docs/toolchain.md for this machine kind.
#
# Usage: bench/copy.sh [OUTDIR]   (default bench-out/, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup "${1:-}"
command -v skopeo >/dev/null || { apt-get install -y -qq skopeo >/dev/null; }
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }

BIG="$OUT/big-512m.tar"
REPO1000="$OUT/package-repo-1000.tar"
[ -f "$BIG" ] || "$GEN" big --images 8 --layers 4 --layer-size 16MiB -o "$BIG" >&2
[ -f "$REPO1000" ] || "$GEN" large-package-repo --packages 100 --images-per-package 10 -o "$REPO1000" >&2

BYTES=$(python3 - "$BIG" <<'EOF'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
print(sum(m.size for m in t.getmembers() if m.name.endswith(".tar.gz")))
EOF
)

# --- airlock copy --tar -------------------------------------------------------
bench_cleanup; start_registry REG
t0=$(now)
/usr/bin/time -f '%M' -o "$OUT/airlock.rss" "$AIRLOCK" copy --tar "$BIG" --to-repo "$REG/bench/big" 2>"$OUT/airlock.log"
t1=$(now)
AIR_T=$(secs "$t0" "$t1"); AIR_MIBS=$(mibs "$BYTES" "$t0" "$t1"); AIR_RSS=$(( $(cat "$OUT/airlock.rss") / 1024 ))
t0=$(now)
/usr/bin/time -f '%M' -o "$OUT/airlock-rerun.rss" "$AIRLOCK" copy --tar "$BIG" --to-repo "$REG/bench/big" 2>"$OUT/airlock-rerun.log"
t1=$(now)
RERUN_MS=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
RERUN_REQ=$(grep -o '[0-9]* requests' "$OUT/airlock-rerun.log" | tail -1 | cut -d' ' -f1)

# --- skopeo copy of the same images --------------------------------------------
rm -rf "$OUT/oci"
python3 bench/tar_to_oci.py "$BIG" "$OUT/oci" > "$OUT/layouts.txt"
bench_cleanup; start_registry REG
t0=$(now)
i=0
while read -r layout; do
  i=$((i + 1))
  echo "$layout $i"
done < "$OUT/layouts.txt" | xargs -P 5 -n 2 sh -c \
  'skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$0:bench" "docker://'"$REG"'/bench/skopeo:img$1"'
t1=$(now)
SKO_T=$(secs "$t0" "$t1"); SKO_MIBS=$(mibs "$BYTES" "$t0" "$t1")

# --- parallel curl uploads of the same blobs (registry ingest limit) -----------
bench_cleanup; start_registry REG
ls "$OUT/oci/_blobs" > "$OUT/blobs.txt"
t0=$(now)
xargs -P 5 -I{} sh -c '
  loc=$(curl -s -o /dev/null -D - -X POST "http://'"$REG"'/v2/bench/curl/blobs/uploads/" | tr -d "\r" | awk "tolower(\$1)==\"location:\"{print \$2}")
  case "$loc" in http*) ;; *) loc="http://'"$REG"'$loc" ;; esac
  curl -sf -o /dev/null -X PUT -H "Content-Type: application/octet-stream" --data-binary "@'"$OUT"'/oci/_blobs/{}" "$loc&digest=sha256:{}"
' < "$OUT/blobs.txt"
t1=$(now)
CURL_T=$(secs "$t0" "$t1"); CURL_MIBS=$(mibs "$BYTES" "$t0" "$t1")

# --- 1,000-image package repository --------------------------------------------
bench_cleanup; start_registry REG
t0=$(now)
"$AIRLOCK" copy --tar "$REPO1000" --to-repo "$REG/bench/repo1000" 2>"$OUT/repo1000.log"
t1=$(now)
R_T=$(secs "$t0" "$t1")
R_REQ=$(grep -o '[0-9]* requests' "$OUT/repo1000.log" | tail -1 | cut -d' ' -f1)
R_ITEMS=$(grep -o '[0-9]* items pushed' "$OUT/repo1000.log" | tail -1 | cut -d' ' -f1)
t0=$(now)
"$AIRLOCK" copy --tar "$REPO1000" --to-repo "$REG/bench/repo1000" 2>"$OUT/repo1000-rerun.log"
t1=$(now)
R_RERUN=$(secs "$t0" "$t1")
R_RERUN_REQ=$(grep -o '[0-9]* requests' "$OUT/repo1000-rerun.log" | tail -1 | cut -d' ' -f1)
bench_cleanup

PCT=$(python3 -c "print(f'{100 * $AIR_MIBS / $CURL_MIBS:.0f}')")
cat <<TABLE

### Copy benchmark ($(nproc) cores, $(date -u +%Y-%m-%d), one run)

512 MiB bundle ($(python3 -c "print(f'{$BYTES/1048576:.0f}')") MiB of layers, 8 images x 4 layers x 16 MiB + bundle), fresh registry each time:

| tool | time | throughput | peak RSS | notes |
|---|---|---|---|---|
| airlock copy --tar | ${AIR_T} s | ${AIR_MIBS} MiB/s | ${AIR_RSS} MiB | ${PCT}% of the curl limit (target >= 90%), RSS target <= 20 MiB |
| skopeo copy (5 at a time) | ${SKO_T} s | ${SKO_MIBS} MiB/s | - | same images from OCI layouts |
| parallel curl PUT (5 at a time) | ${CURL_T} s | ${CURL_MIBS} MiB/s | - | physical limit: the registry's ingest rate |
| imgpkg 0.43.1 copy --tar | 3.5-4.0 s (quoted) | - | ~19 MiB (quoted) | not installed here; figures from shared/docs/toolchain.md |

| re-run with everything present | time | requests |
|---|---|---|
| airlock copy --tar (512 MiB bundle) | ${RERUN_MS} ms | ${RERUN_REQ} |

1,000-image package repository (100 package bundles x 10 small single-layer images):

| run | time | requests | requests per item |
|---|---|---|---|
| first copy (${R_ITEMS} items) | ${R_T} s | ${R_REQ} | $(python3 -c "print(f'{$R_REQ / max($R_ITEMS, 1):.1f}')") |
| re-run | ${R_RERUN} s | ${R_RERUN_REQ} | $(python3 -c "print(f'{$R_RERUN_REQ / max($R_ITEMS, 1):.2f}')") |
TABLE
