"""The rotation's steps refuse to run out of order, every bundle puts the new CAs first, retire names every leaf still
on an old CA (the controller's copies and what the nodes and client hosts actually use) and every host it cannot
read, and a rerun of each step changes nothing."""

from __future__ import annotations

import json

import pytest
from cryptography import x509

from conftest import changed_per_host
from rotation_fleet import (
    HOSTS, rotate, state, issuer_of, cas, assert_bundles, stale_list, make_fleet,
)

pytestmark = [pytest.mark.slow, pytest.mark.long]


@pytest.fixture
def fleet(tmp_path):
    return make_fleet(tmp_path)


def test_steps_out_of_order_are_refused_and_retire_lists_what_is_left(fleet):
    for step in ("reissue", "retire"):
        proc = rotate(fleet, step)
        assert proc.returncode != 0 and "cannot run while the rotation is 'none'" in proc.stdout, proc.stdout[-2000:]
    proc = rotate(fleet, "introduce")
    assert proc.returncode == 0 and state(fleet) == "introduced", proc.stdout[-3000:]
    new, old = cas(fleet / "pki" / "next"), cas(fleet / "pki")
    assert new["root-ca"] != old["root-ca"]
    assert_bundles(fleet, new, old)  # new + old, new first, on the controller, the nodes and the worker host
    proc = rotate(fleet, "introduce")
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    proc = rotate(fleet, "retire")
    assert proc.returncode != 0 and "cannot run while the rotation is 'introduced'" in proc.stdout

    # Reissue only reaches the controller and node1: node2's and worker1's leaves stay on the old CAs. On top of
    # that, node1 gets its old internode certificate back where it serves it (its controller copy stays new), the
    # controller's payments identity goes back to its old certificate, and node2 cannot be reached.
    deployed = fleet / "node1" / "tls" / "internode.pem"
    old_leaf, old_identity = deployed.read_bytes(), (fleet / "pki" / "clients" / "payments" / "client.pem").read_bytes()
    proc = rotate(fleet, "reissue", "--limit", "localhost,node1")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert deployed.read_bytes() != old_leaf
    deployed.write_bytes(old_leaf)
    (fleet / "pki" / "clients" / "payments" / "client.pem").write_bytes(old_identity)
    good = (fleet / "inventory.json").read_text()
    unreachable = json.loads(good)
    unreachable["all"]["children"]["temporal_servers"]["hosts"]["node2"] = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1}
    (fleet / "inventory.json").write_text(json.dumps(unreachable))
    stale = stale_list(rotate(fleet, "retire"))
    (fleet / "inventory.json").write_text(good)
    assert "nodes/node2/internode.pem" in stale and "nodes/node2/frontend.pem" in stale
    assert "nodes/node1/" not in stale and "node1:{0}".format(deployed) in stale and "node1/tls/frontend.pem" not in stale
    assert "node2 (unreachable: " in stale and "Connection refused" in stale
    assert "clients/payments/client.pem" in stale and "clients/billing/client.pem" not in stale
    assert "worker1:{0}".format(fleet / "worker1" / "clients" / "billing" / "client-chain.pem") in stale
    assert state(fleet) == "reissued" and (fleet / "pki" / "old").is_dir()

    # Reissuing again repairs all of it; then each step's rerun changes nothing.
    proc = rotate(fleet, "reissue")
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = rotate(fleet, "reissue")
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    proc = rotate(fleet, "retire")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert state(fleet) == "retired"
    # Both nodes: their bundles lost the old CAs behind the new first ones, which hot reload does not notice. The
    # internode bundle is a client-side root CA too, restarted for that; the frontend's client CAs only for this.
    assert proc.stdout.count("CA bundles changed behind an unchanged first certificate") == 2, proc.stdout[-3000:]
    assert proc.stdout.count("frontend-clients-ca.pem), which hot reload does not notice") == 2
    assert_bundles(fleet, new)  # the new CAs only
    proc = rotate(fleet, "retire")
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    assert "behind an unchanged first certificate" not in proc.stdout and "client-side root CAs changed" not in proc.stdout
    servers = issuer_of(fleet / "pki" / "servers-ca.pem")
    for node in ("node1", "node2"):
        assert (fleet / node / "tls" / "internode-ca.pem").read_text().count("BEGIN CERTIFICATE") == 1
        assert issuer_of(fleet / node / "tls" / "internode.pem") == x509.load_pem_x509_certificate(
            (fleet / "pki" / "servers-ca.pem").read_bytes()).subject
    assert servers == x509.load_pem_x509_certificate((fleet / "pki" / "root-ca.pem").read_bytes()).subject
    assert not (fleet / "pki" / "old").exists() and list((fleet / "pki").glob("retired-*"))
