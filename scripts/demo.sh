#!/usr/bin/env bash
# The demo: a root CA, an intermediate, internode + frontend certificates for three local
# nodes and a client identity, written to demo-output/ in this checkout. Rerun it: nothing changes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scripts/bootstrap.sh demo/requirements.txt
export PATH="$repo/.venv/bin:$PATH"
ansible-playbook -i demo/inventory.yml demo/site.yml -e "demo_dir=$repo/demo-output" "$@"
echo "Certificates and keys are in $repo/demo-output (keys are mode 0600). Run it again: changed=0."
