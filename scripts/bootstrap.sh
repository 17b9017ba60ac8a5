#!/usr/bin/env bash
# Make .venv in the checkout hold what a requirements file lists; reinstall only when it changed.
# Usage: scripts/bootstrap.sh REQUIREMENTS_FILE
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$repo/$1"
venv="$repo/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$requirements")"
wanted="$(cat "$requirements" "$repo/requirements.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "==> installing $1 into .venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$requirements"
    echo "$wanted" > "$stamp"
fi
