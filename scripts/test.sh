#!/usr/bin/env bash
# The whole test suite: unit and module tests, the demo through real ansible-playbook with
# independent chain checks, ansible-lint and ansible-test sanity. Installs what it needs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if ! command -v openssl >/dev/null 2>&1 || ! command -v git >/dev/null 2>&1; then
    # openssl verifies issued chains independently of the collection; git lists files for sanity.
    apt-get update -qq && apt-get install -y -qq openssl git >/dev/null
fi
scripts/bootstrap.sh test-requirements.txt
# The TypeScript client of the end-to-end tests (@temporalio/client from npm); its tests skip, saying why, without it.
clients="$repo/harness/clients"
if command -v npm >/dev/null 2>&1; then
    wanted="$(sha256sum "$clients/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$clients/node_modules/.installed" 2>/dev/null)" != "$wanted" ]; then
        if npm ci --prefix "$clients" --no-audit --no-fund --loglevel=error >/dev/null 2>&1; then
            echo "$wanted" > "$clients/node_modules/.installed"
        else
            echo "npm ci failed (registry unreachable?): the TypeScript client tests will be skipped"
        fi
    fi
fi
# The real Temporal server of the cluster tests, built once per pinned version into the user's cache; its progress
# shows here rather than inside a test.
scripts/temporal-server.sh >/dev/null
export PATH="$repo/.venv/bin:$PATH"
exec python -m pytest -n 2 --dist loadfile "$@"
