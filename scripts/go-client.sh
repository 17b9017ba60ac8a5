#!/usr/bin/env bash
# Prints the absolute path of the Go SDK client in tests/harness/clients/go (go-worker: a static binary, no cgo), built
# from its go.mod, go.sum and main.go into the user's cache (outside the checkout). The first build downloads the SDK's
# modules into Go's module cache; later calls reuse the binary and return at once. A change to any of the three files
# builds a new directory. Use it as
#   "$(scripts/go-client.sh)" --address HOST:PORT ... (main.go names the arguments)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
module="$repo/tests/harness/clients/go"
pin="$(cat "$module/go.mod" "$module/go.sum" "$module/main.go" | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/go-client-$pin"
if [ -x "$out/go-worker" ]; then
    echo "$out/go-worker"
    exit 0
fi
go_for go-client.sh "$module"
started=$(date +%s)
echo "==> building the Go SDK client into $out (first time only)" >&2
stage_build "$out"
# -mod=readonly: go.sum is the pin, and a build must not rewrite it; -buildvcs=false: the binary does not depend on
# the checkout's git state, which the pin does not cover.
(cd "$module" && go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$partial/go-worker" .) >&2
publish_build go-client.sh "$out" go-worker
echo "==> built in $(( $(date +%s) - started )) s" >&2
echo "$out/go-worker"
