#!/usr/bin/env bash
# Prints a virtualenv in the user's cache that holds ansible-core SERIES (e.g. 2.18) and the collection's own
# requirements (requirements.txt), for the tests that run the built collection on an ansible-core other than the
# checkout's. Made once per series and requirements; later calls return at once.
# Usage: scripts/ansible-core-venv.sh SERIES
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
series="$1"
major="${series%%.*}"
minor="${series#*.}"
requirement="ansible-core>=$series,<$major.$((minor + 1))"
pin="$(printf '%s\n' "$requirement" | cat - "$repo/requirements.txt" | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/ansible-core-$series-$pin"
if [ -f "$out/.complete" ]; then
    echo "$out"
    exit 0
fi
mkdir -p "$cache"
# A venv records its own path, so it is built where it stays: a lock keeps a concurrent first call from building
# into the same tree, and .complete, written last, tells a finished venv from a half-built one.
exec 9>"$out.lock"
flock 9
if [ ! -f "$out/.complete" ]; then
    echo "==> $requirement into $out (first time only)" >&2
    rm -rf "$out"
    "${PYTHON:-python3}" -m venv "$out"
    "$out/bin/python" -m pip install --quiet "$requirement" -r "$repo/requirements.txt" >&2
    touch "$out/.complete"
fi
echo "$out"
