"""Removing a client group drops its CA from the nodes' frontend-clients-ca.pem. When that CA was not the bundle's
first, hot reload does not notice, and a plain site run restarts the nodes for it; a rerun restarts nothing."""

from __future__ import annotations

import json

import pytest
from cryptography import x509

from rotation_fleet import cas, counting_restarts, inventory, play, restarts

pytestmark = pytest.mark.slow
REASON = "CA bundles changed behind an unchanged first certificate"


def write_inventory(root, groups):
    """The rotation fleet, with these client groups, billing in audit (the newest group, so its CA comes first in
    the bundle), and nodes that restart by appending a line to <node>/restarts."""
    spec = inventory(root)
    spec["all"]["vars"].update(
        pki_client_groups=[{"name": name} for name in groups],
        client_certs_identities=[{"name": "payments"}, {"name": "billing", "host": "worker1", "client_group": "audit"}],
        **counting_restarts(root),
    )
    (root / "inventory.json").write_text(json.dumps(spec))


def test_removing_a_client_group_behind_the_first_restarts_the_nodes(tmp_path):
    write_inventory(tmp_path, ["accounting", "audit"])
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    ca = cas(tmp_path / "pki") | {"clients-audit-ca": x509.load_pem_x509_certificate((tmp_path / "pki" / "clients-audit-ca.pem").read_bytes())}
    bundle = tmp_path / "node1" / "tls" / "frontend-clients-ca.pem"
    order = ["clients-audit-ca", "clients-accounting-ca", "clients-ca", "servers-ca"]
    assert x509.load_pem_x509_certificates(bundle.read_bytes()) == [ca[name] for name in order]
    assert restarts(tmp_path) == {"node1": 1, "node2": 1}, "the first run writes the config, which needs a start"

    write_inventory(tmp_path, ["audit"])
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert x509.load_pem_x509_certificates(bundle.read_bytes()) == [ca[name] for name in order if name != "clients-accounting-ca"]
    assert proc.stdout.count(REASON) == 2, proc.stdout[-3000:]
    assert restarts(tmp_path) == {"node1": 2, "node2": 2}

    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0 and REASON not in proc.stdout, proc.stdout[-3000:]
    assert restarts(tmp_path) == {"node1": 2, "node2": 2}
