#!/usr/bin/env bash
# Prints the path of the real Temporal Web UI server (ui-server), built from the module pinned in tests/ui_server at
# its version, into the user's cache (outside the checkout). Later calls reuse it and return at once; a new pin
# (go.mod/go.sum) builds a new one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
module="$repo/tests/ui_server"
version="$(awk '$1 == "github.com/temporalio/ui-server/v2" {print $2}' "$module/go.mod")"
pin="$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/ui-server-$version-$pin"
if [ -x "$out/ui-server" ]; then
    echo "$out/ui-server"
    exit 0
fi
go_for ui-server.sh "$module"
echo "==> building ui-server $version into $out (first time only)" >&2
stage_build "$out"
(cd "$module" && go build -mod=readonly -trimpath -ldflags='-s -w' -o "$partial/ui-server" github.com/temporalio/ui-server/v2/cmd/server) >&2
publish_build ui-server.sh "$out" ui-server
echo "$out/ui-server"
