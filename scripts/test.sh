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
# The SDK clients of the real-cluster tests, built or installed once into the user's cache: the TypeScript SDK
# from npm, the Go SDK from the Go module proxy, the Java SDK from Maven Central.
for client in ts go java; do
    scripts/$client-client.sh >/dev/null
done
# The real Temporal server of the cluster tests, built once per pinned version into the user's cache; its progress
# shows here rather than inside a test.
scripts/temporal-server.sh >/dev/null
# The Web UI server, read by the test of the UI config the module renders; built the same way.
scripts/ui-server.sh >/dev/null
# ansible-core 2.18, the other series meta/runtime.yml claims, in a venv of its own in the user's cache (Python 3.11).
scripts/ansible-core-venv.sh 2.18 >/dev/null
export PATH="$repo/.venv/bin:$PATH"
# -rfEs: the summary names every failure and error, and says why each skip was skipped. --no-loadscope-reorder hands
# out the files in collection order, which tests/conftest.py starts with the files marked long: ordered by test
# count, as xdist does by default, or alphabetically, a one-test file that takes minutes came last and kept one
# worker busy for minutes after the other had finished.
exec python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -rfEs "$@"
