#!/usr/bin/env bash
# OCI archives and docker-archives benchmark (issue 11): the 512 MiB
# bundle's 8 images (gen big: 8 images x 4 layers x 16 MiB random) as an
# oci-archive and as a docker-archive (bench/imgpkg_to_archives.py: the same
# layer bytes) vs the imgpkg tar they came from. One run, a fresh local
# Distribution registry on 127.0.0.1 for every push:
#
#   - open: `airlock inspect` (whole process, best of 3);
#   - verify: `airlock verify`, layer bytes / time;
#   - push: `airlock copy --tar` (imgpkg: --to-repo; archives: --to-repo-prefix);
#     the docker-archive also with --docker-layers gzip (pass 1 = verify +
#     compress, printed by airlock; then compressed again while uploading);
#   - skopeo copy of the same archive (oci-archive: / docker-archive:, one
#     process per image, 5 at a time like airlock's --concurrency). skopeo
#     gzips a docker-archive's uncompressed layers when pushing to a registry.
#
# Usage: bench/archives.sh [OUTDIR]   (default bench-out/, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup "${1:-}"
command -v skopeo >/dev/null || { apt-get install -y -qq skopeo >/dev/null; }

BIG="$OUT/big-512m.tar"
[ -f "$BIG" ] || "$GEN" big --images 8 --layers 4 --layer-size 16MiB -o "$BIG" >&2
OCI="$OUT/big-512m-oci.tar"
DOCKER="$OUT/big-512m-docker.tar"
if [ ! -f "$OCI" ] || [ ! -f "$DOCKER" ]; then
  python3 bench/imgpkg_to_archives.py "$BIG" "$OUT/archives" >/dev/null
  mv "$OUT/archives/oci.tar" "$OCI"; mv "$OUT/archives/docker.tar" "$DOCKER"; rmdir "$OUT/archives"
fi
IMAGES=8

BYTES=$(python3 - "$BIG" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
print(sum(m.size for m in t.getmembers() if m.name.endswith(".tar.gz")))
PY
)

open_ms() { # best of 3, whole process
  local best=""
  for _ in 1 2 3; do
    local t0 t1 ms
    t0=$(now); "$AIRLOCK" inspect "$1" >/dev/null; t1=$(now)
    ms=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}
verify_mibs() {
  local t0 t1
  t0=$(now); "$AIRLOCK" verify "$1" >/dev/null; t1=$(now)
  mibs "$BYTES" "$t0" "$t1"
}
# Pushes and skopeo runs set T (seconds); no subshell, so the registry they
# start is the one bench_cleanup stops.
push() { # push LOG ARGS... (ARGS may use @PORT@)
  local log=$1; shift
  bench_cleanup; start_registry REG
  local args=("${@//127.0.0.1:@PORT@/$REG}") t0 t1
  t0=$(now); "$AIRLOCK" copy "${args[@]}" 2>"$log"; t1=$(now)
  T=$(secs "$t0" "$t1")
}
skopeo_push() { # skopeo_push TRANSPORT FILE
  bench_cleanup; start_registry REG
  local t0 t1
  t0=$(now)
  seq 0 $((IMAGES - 1)) | xargs -P 5 -I{} skopeo copy -q --dest-tls-verify=false \
    "$1:$2:bench/app-{}:v1" "docker://$REG/sko/bench/app-{}:v1"
  t1=$(now)
  T=$(secs "$t0" "$t1")
}

O_IMG=$(open_ms "$BIG"); O_OCI=$(open_ms "$OCI"); O_DOCK=$(open_ms "$DOCKER")
V_IMG=$(verify_mibs "$BIG"); V_OCI=$(verify_mibs "$OCI"); V_DOCK=$(verify_mibs "$DOCKER")
# The three uncompressed pushes alternate for ROUNDS rounds (default 3); the
# table gives medians (single runs on a shared machine swing by up to 2x).
ROUNDS=${ROUNDS:-3}
R_IMG=(); R_OCI=(); R_DOCK=()
for _ in $(seq "$ROUNDS"); do
  push "$OUT/arch-imgpkg.log" --tar "$BIG" --to-repo "127.0.0.1:@PORT@/bench/bundle"; R_IMG+=("$T")
  push "$OUT/arch-oci.log" --tar "$OCI" --to-repo-prefix "127.0.0.1:@PORT@/air"; R_OCI+=("$T")
  push "$OUT/arch-docker.log" --tar "$DOCKER" --to-repo-prefix "127.0.0.1:@PORT@/air"; R_DOCK+=("$T")
done
median() { python3 -c "import sys; v=sorted(map(float, sys.argv[1:])); print(f'{v[len(v)//2]:.2f}')" "$@"; }
P_IMG=$(median "${R_IMG[@]}"); P_OCI=$(median "${R_OCI[@]}"); P_DOCK=$(median "${R_DOCK[@]}")
push "$OUT/arch-docker-gzip.log" --tar "$DOCKER" --to-repo-prefix "127.0.0.1:@PORT@/air" --docker-layers gzip; P_GZ=$T
GZ_PASS=$(grep -o 'compressed to .* in [0-9.]*s' "$OUT/arch-docker-gzip.log" | grep -o '[0-9.]*s$' | tr -d s)
skopeo_push oci-archive "$OCI"; S_OCI=$T
skopeo_push docker-archive "$DOCKER"; S_DOCK=$T
bench_cleanup
# What a spool would add instead of compressing again: writing the
# compressed layers (~ the same bytes: random data) to disk once.
t0=$(now); dd if=/dev/zero of="$OUT/spool.bin" bs=1M count=$((BYTES / 1048576)) conv=fsync status=none; t1=$(now)
SPOOL_W=$(secs "$t0" "$t1"); rm -f "$OUT/spool.bin"

pct() { python3 -c "print(f'{100 * ($1 - $2) / $2:+.0f} %')"; }
cat <<TABLE

### Archives benchmark ($(nproc) cores, $(date -u +%Y-%m-%d), one run, load: $(uptime | sed 's/.*load average: //'))

airlock pushes: medians of $ROUNDS alternating rounds (imgpkg ${R_IMG[*]} s; oci ${R_OCI[*]} s; docker ${R_DOCK[*]} s).

The 512 MiB bundle's 8 images ($(python3 -c "print(f'{$BYTES/1048576:.0f}')") MiB of layers), fresh registry for every push:

| | imgpkg tar | oci-archive | docker-archive | docker-archive, --docker-layers gzip |
|---|---|---|---|---|
| open (airlock inspect, process, best of 3) | ${O_IMG} ms | ${O_OCI} ms | ${O_DOCK} ms | |
| verify | ${V_IMG} MiB/s | ${V_OCI} MiB/s | ${V_DOCK} MiB/s | |
| push, airlock copy --tar | ${P_IMG} s | ${P_OCI} s ($(pct "$P_OCI" "$P_IMG")) | ${P_DOCK} s ($(pct "$P_DOCK" "$P_IMG")) | ${P_GZ} s (pass 1: ${GZ_PASS} s) |
| push, skopeo copy of the same archive (5 at a time) | | ${S_OCI} s | | ${S_DOCK} s (skopeo gzips the layers) |

Spool instead of a second compression: writing ${BYTES} bytes once takes ${SPOOL_W} s (dd, fsync) on top of pass 1, then an uncompressed-speed upload (${P_DOCK} s).
TABLE
