#!/usr/bin/env bash
# Prints the directory holding node_modules for the TypeScript SDK clients in tests/harness/clients (client, worker),
# installed with `npm ci` from their package.json and package-lock.json into the user's cache (outside the checkout).
# A new lock file installs a new directory; later calls reuse it and return at once. Use it as
#   NODE_PATH="$(scripts/ts-client.sh)/node_modules" node tests/harness/clients/ts-worker.mjs ...
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
clients="$repo/tests/harness/clients"
pin="$(cat "$clients/package.json" "$clients/package-lock.json" | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/ts-client-$pin"
if [ -d "$out/node_modules/@temporalio/worker" ]; then
    echo "$out"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "ts-client.sh: no npm on PATH; the TypeScript SDK clients need Node >= 18 with npm" >&2
    exit 1
fi
started=$(date +%s)
echo "==> npm ci into $out (first time only)" >&2
stage_build "$out"
cp "$clients/package.json" "$clients/package-lock.json" "$partial/"
# No install scripts: the two the lock brings (protobufjs, @swc/core) only check their own setup, and npm 11 skips
# unapproved ones anyway, so skipping them keeps every npm version installing the same tree.
(cd "$partial" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn) >&2
publish_build ts-client.sh "$out" node_modules/@temporalio/worker
echo "==> installed in $(( $(date +%s) - started )) s" >&2
echo "$out"
