#!/usr/bin/env bash
# The demo, everything under demo-output/ in this checkout:
# 1. demo/site.yml: a root CA, an intermediate, internode + frontend certificates and a rendered Temporal TLS config
#    for three local nodes, and a client identity with its temporal.toml profile (demo-output/pki, nodes/).
# 2. tests/harness/demo_cluster.py: a real three-node Temporal cluster in demo-output/cluster, configured by the collection's
#    mtls.temporal.site playbook: the Python SDK runs a workflow through the generated temporal.toml profile, the
#    Temporal CLI reads its result back through the same profile, a client without a certificate is refused, and
#    every process it started is stopped.
# The server (go.temporal.io/server) is the one ./scripts/test.sh built (scripts/temporal-server.sh, in the user's
# cache). Without one it is built first, with its progress shown: about 5 minutes on 2 cores, the first time only.
# Rerun it: no certificate is reissued, both playbooks report changed=0; the last lines print each play's own recap.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scripts/bootstrap.sh demo/requirements.txt
export PATH="$repo/.venv/bin:$PATH"
mkdir -p demo-output
ansible-playbook -i demo/inventory.yml demo/site.yml -e "demo_dir=$repo/demo-output" "$@" | tee demo-output/site.log
echo
python tests/harness/demo_cluster.py "$repo/demo-output"
echo "Certificates, keys (mode 0600) and configs are in $repo/demo-output (the cluster's in demo-output/cluster)."
# The recap's host and changed= columns, as this run's ansible-playbook printed them.
echo "demo/site.yml recap: $(awk '/^PLAY RECAP/ {recap = 1; next} recap && NF {printf "%s %s  ", $1, $4}' demo-output/site.log)"
