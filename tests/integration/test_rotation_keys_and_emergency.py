"""Leaf keys rotate without touching the CAs (renew, also for one node); the emergency path needs a confirmation, and
emergency and rotate_ca_step=all do all three steps in one run."""

from __future__ import annotations

import pytest

from conftest import changed_per_host
from rotation_fleet import (
    HOSTS, BUNDLES, CA_NAMES, play, rotate, state, cas, assert_bundles, issued_by, digests, public_keys, make_fleet,
)

pytestmark = [pytest.mark.slow, pytest.mark.long]
# The CA of each leaf below, by its directory: billing belongs to the accounting client group.
ISSUER = {"tls": "servers-ca", "billing": "clients-accounting-ca", "payments": "clients-ca"}


@pytest.fixture
def fleet(tmp_path):
    return make_fleet(tmp_path)


def test_leaf_keys_rotate_alone_then_emergency_and_all_do_every_step_in_one_run(fleet):
    # renew --limit node1 with force: new keys and certificates for node1, on the controller and on node1, nothing else.
    before, keys = digests(fleet), public_keys(fleet)
    proc = play(fleet, "mtls.temporal.renew", "--limit", "node1", "-e", "mtls_temporal_force_renew=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    after = digests(fleet)
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed and all(path.startswith(("pki/nodes/node1/", "node1/")) for path in changed), sorted(changed)
    assert {"pki/nodes/node1/internode.key", "pki/nodes/node1/frontend.key", "node1/tls/internode.key", "node1/tls/frontend.key"} <= changed

    # renew with force everywhere: every leaf key is new, the CAs and bundles are the same files; a rerun without
    # force changes nothing.
    keys_node1 = public_keys(fleet)
    proc = play(fleet, "mtls.temporal.renew", "-e", "mtls_temporal_force_renew=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    renewed = public_keys(fleet)
    # 2 nodes x 2 keys on the controller and on the node, payments on the controller, billing there and on worker1.
    assert len(renewed) == 11 and renewed.keys() == keys.keys(), sorted(renewed)
    assert all(renewed[path] != keys_node1[path] for path in renewed), [path for path in renewed if renewed[path] == keys_node1[path]]
    ca_files = (["pki/{0}.{1}".format(ca, ext) for ca in CA_NAMES for ext in ("pem", "key")]
                + ["pki/{0}-chain.pem".format(ca) for ca in CA_NAMES if ca != "root-ca"] + ["pki/bundles/{0}.pem".format(name) for name in BUNDLES])
    now = digests(fleet)
    assert [path for path in ca_files if now[path] != before[path]] == []
    same = cas(fleet / "pki")
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "worker1/clients/billing/client-chain.pem", "pki/clients/payments/client.pem"):
        assert issued_by(fleet / path, same[ISSUER[path.split("/")[-2]]]), path
    proc = play(fleet, "mtls.temporal.renew")
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]

    old_root = (fleet / "pki" / "root-ca.pem").read_bytes()
    proc = rotate(fleet, "emergency")
    assert proc.returncode != 0 and "Confirm with -e rotate_ca_emergency_confirmed=true" in proc.stdout
    assert not (fleet / "pki" / "rotation.json").exists()
    proc = rotate(fleet, "emergency", "-e", "rotate_ca_emergency_confirmed=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "EMERGENCY CA rotation" in proc.stdout and state(fleet) == "retired"
    assert (fleet / "pki" / "root-ca.pem").read_bytes() != old_root
    roots = (fleet / "pki" / "bundles" / "server-roots.pem").read_bytes()
    assert old_root not in roots and roots.count(b"BEGIN CERTIFICATE") == 1

    # rotate_ca_step=all: the three steps in one invocation, with the (shortest) pause after introduce and reissue.
    emergency = cas(fleet / "pki")
    proc = rotate(fleet, "all", "-e", "rotate_ca_pause_minutes=0")
    assert proc.returncode == 0 and state(fleet) == "retired", proc.stdout[-3000:]
    assert proc.stdout.count("TASK [Let clients and servers pick up this step]") == 3 and proc.stdout.count("Pausing for 1 seconds") == 2
    current = cas(fleet / "pki")
    assert all(current[name] != emergency[name] for name in current)
    assert_bundles(fleet, current)
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "worker1/clients/billing/client-chain.pem", "pki/clients/payments/client.pem"):
        assert issued_by(fleet / path, current[ISSUER[path.split("/")[-2]]]), path
