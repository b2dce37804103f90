#!/usr/bin/env bash
# Memory benchmark (issue "Reliability you can quote"): peak resident memory
# (GNU time's maximum RSS) of `airlock inspect`, `verify` and `copy --tar`
# as the input grows, one run, same machine, a fresh Distribution registry
# on 127.0.0.1 for every push:
#
#   - the 512 MiB bundle (8 images x 4 layers x 16 MiB),
#   - a 5 GiB bundle (10 images x 8 layers x 64 MiB), ten times the bytes,
#   - the 1,000-image package repository (100 package bundles x 10 images),
#     a thousand times the items;
#
# against skopeo copying the same images (from OCI layouts, one at a time:
# its peak for the largest image) and the floor, `airlock --version` (what
# the process costs before it reads anything). Target: flat — the copy's peak
# does not grow with the bytes or with the number of images.
#
# Usage: bench/memory.sh [OUTDIR]   (default bench-out/, git-ignored; the
# 5 GiB tar and its OCI layouts need ~11 GiB of disk there)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup "${1:-}" memory
command -v skopeo >/dev/null || scripts/setup.sh
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

BIG="$OUT/big-512m.tar"
HUGE="$OUT/big-5g.tar"
REPO1000="$OUT/package-repo-1000.tar"
[ -f "$BIG" ] || "$GEN" big --images 8 --layers 4 --layer-size 16MiB -o "$BIG" >&2
[ -f "$HUGE" ] || "$GEN" big --images 10 --layers 8 --layer-size 64MiB -o "$HUGE" >&2
[ -f "$REPO1000" ] || "$GEN" large-package-repo --packages 100 --images-per-package 10 -o "$REPO1000" >&2

# peak CMD...: runs CMD under GNU time, prints its peak RSS in MiB.
peak() {
  local rss="$OUT/peak.rss"
  /usr/bin/time -f '%M' -o "$rss" "$@" >/dev/null 2>"$OUT/peak.log" || {
    echo "failed: $*" >&2; cat "$OUT/peak.log" >&2; exit 1; }
  python3 -c "print(f'{$(tail -1 "$rss") / 1024:.1f}')"
}

FLOOR=$(peak "$AIRLOCK" --version)
row() { # NAME TAR
  local name=$1 tar=$2 ins ver cp t0 t1 reg
  ins=$(peak "$AIRLOCK" inspect "$tar")
  ver=$(peak "$AIRLOCK" verify "$tar")
  bench_cleanup; start_registry reg
  t0=$(now)
  cp=$(peak "$AIRLOCK" copy --tar "$tar" --to-repo "$reg/bench/memory")
  t1=$(now)
  printf '| %s | %s | %s MiB | %s MiB | %s MiB | %s s |\n' "$name" "$(mib "$(size "$tar")") MiB" \
    "$ins" "$ver" "$cp" "$(secs "$t0" "$t1")"
}

# skopeo's peak over the images of TAR (one at a time), in MiB.
skopeo_peak() {
  local tar=$1 dir="$OUT/oci-$(basename "$1" .tar)" reg max=0 layout r
  rm -rf "$dir"
  python3 bench/tar_to_oci.py "$tar" "$dir" > "$dir.txt"
  bench_cleanup; start_registry reg
  while read -r layout; do
    r=$(peak skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:bench" \
      "docker://$reg/bench/skopeo:$(basename "$layout")")
    max=$(python3 -c "print(max($max, $r))")
  done < "$dir.txt"
  rm -rf "$dir" "$dir.txt"
  echo "$max"
}

ROWS=$(row "512 MiB bundle" "$BIG"; row "5 GiB bundle" "$HUGE"; row "1,000-image repository" "$REPO1000")
SK_BIG=$(skopeo_peak "$BIG")
SK_HUGE=$(skopeo_peak "$HUGE")
bench_cleanup

cat <<TABLE

### Memory benchmark ($(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg), one run)

Peak RSS (GNU time), fresh registry for every push; floor = \`airlock --version\` ($FLOOR MiB):

| input | tar size | inspect | verify | copy --tar | copy time |
|---|---|---|---|---|---|
$ROWS

| reference: skopeo copy of the same images (one at a time, its largest peak) | peak RSS |
|---|---|
| 512 MiB bundle's 8 images | $SK_BIG MiB |
| 5 GiB bundle's 10 images | $SK_HUGE MiB |
TABLE
