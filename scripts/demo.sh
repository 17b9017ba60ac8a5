#!/usr/bin/env bash
# The demo: a root CA, an intermediate, internode + frontend certificates and a rendered Temporal TLS
# config for three local nodes, and a client identity with its temporal.toml profile, all written to
# demo-output/ in this checkout (rerun it: nothing changes). Then a real Temporal dev server behind node 1's
# rendered frontend TLS takes a call from the real Temporal CLI through that profile, and refuses one
# without a client certificate. Everything it starts, it stops.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scripts/bootstrap.sh demo/requirements.txt
export PATH="$repo/.venv/bin:$PATH"
ansible-playbook -i demo/inventory.yml demo/site.yml -e "demo_dir=$repo/demo-output" "$@"
echo
python harness/demo_connect.py "$repo/demo-output"
echo "Certificates, keys (mode 0600) and configs are in $repo/demo-output. Run it again: changed=0."
