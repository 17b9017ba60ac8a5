#!/usr/bin/env bash
# Prints the directory holding the real Temporal server (temporal-server) and tdbg, built from the module pinned in
# tests/temporal_server at its version, into the user's cache (outside the checkout). The first build downloads the
# server's modules and compiles ~2,000 packages: about 5 minutes on 2 cores (docs/real-cluster.md); later calls
# reuse it and return at once. A new pin (go.mod/go.sum) builds a new directory.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
module="$repo/tests/temporal_server"
version="$(awk '$1 == "go.temporal.io/server" {print $2}' "$module/go.mod")"
pin="$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/temporal-server-$version-$pin"
if [ -x "$out/temporal-server" ] && [ -x "$out/tdbg" ]; then
    echo "$out"
    exit 0
fi
go_for temporal-server.sh "$module"
started=$(date +%s)
echo "==> building temporal-server $version and tdbg into $out (first time only: about 5 minutes on 2 cores)" >&2
stage_build "$out"
build() {
    # -v names each package as it is compiled: a count every 100 keeps the wait visible without flooding the log.
    (cd "$module" && go build -v -trimpath -tags disable_grpc_modules -ldflags='-s -w' -o "$partial/$1" "$2") 2>&1 |
        awk -v tool="$1" '/^(go: |#|.*\.go:[0-9]+)/ {print; next} {n++; if (n % 100 == 0) printf "    %s: %d packages compiled\n", tool, n; fflush()}' >&2
    [ -x "$partial/$1" ]
}
build temporal-server go.temporal.io/server/cmd/server
build tdbg go.temporal.io/server/cmd/tools/tdbg
"$partial/temporal-server" --version >&2
publish_build temporal-server.sh "$out" tdbg
echo "==> built in $(( $(date +%s) - started )) s" >&2
echo "$out"
