"""mtls.temporal.revoke on the rotation fleet: a client group's CA leaves every node's bundle, the nodes restart one
at a time only where hot reload cannot see it, the record keeps the revoked serials, a rerun changes nothing, and
client_certs then refuses to issue a revoked identity again. What cannot be revoked alone is refused, naming the
way out; for Temporal Cloud the filters that keep an identity out are computed."""

from __future__ import annotations

import json
import shutil

import pytest
from cryptography import x509

from conftest import changed_per_host, run_cases
from rotation_fleet import counting_restarts, inventory, play, restarts

pytestmark = pytest.mark.slow
REASON = "CA bundles changed behind an unchanged first certificate"
IDENTITIES = [
    {"name": "payments"},
    # The same common name as payments, told apart by a name of its own (what Cloud filters need).
    {"name": "reports", "common_name": "payments", "dns_names": ["reports.internal"]},
    {"name": "billing", "host": "worker1", "client_group": "accounting"},
    {"name": "clerk", "client_group": "accounting"},
    {"name": "ledger", "own_client_group": True},
]


def write_inventory(root):
    spec = inventory(root)
    spec["all"]["vars"].update(client_certs_identities=IDENTITIES, **counting_restarts(root))
    (root / "inventory.json").write_text(json.dumps(spec))


def node_bundle(root, node="node1"):
    return x509.load_pem_x509_certificates((root / node / "tls" / "frontend-clients-ca.pem").read_bytes())


def certificate(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def revoke(root, *extra):
    return play(root, "mtls.temporal.revoke", *extra)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("revoke")
    write_inventory(root)
    proc = play(root, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return root


def test_what_cannot_be_revoked_alone_is_refused_and_cloud_gets_filters(fleet, tmp_path):
    pki = fleet / "pki"
    cloud_pki = tmp_path / "cloud-pki"
    shutil.copytree(pki, cloud_pki)
    args = dict(pki_dir=str(pki), identities=IDENTITIES)
    results, _out = run_cases(tmp_path, [
        ("shared_clients_ca", "temporal_revocation", dict(args, identity="payments")),
        ("shared_group", "temporal_revocation", dict(args, identity="billing")),
        ("unknown_group", "temporal_revocation", dict(args, client_group="marketing")),
        ("cloud", "temporal_revocation", dict(args, pki_dir=str(cloud_pki), identity="payments", cloud=True)),
    ])
    assert "payments is signed by the shared clients CA" in results["shared_clients_ca"]["msg"]
    assert "pki_rotate_cas=clients" in results["shared_clients_ca"]["msg"]
    assert "billing shares the CA of client group accounting with clerk" in results["shared_group"]["msg"]
    assert "own_client_group" in results["shared_group"]["msg"]
    assert results["unknown_group"]["msg"].startswith("client_group: client group 'marketing' has no CA")
    assert not (pki / "revoked.json").exists() and (pki / "clients-accounting-ca.key").exists()
    # reports shares payments' common name: only its own name lets a filter admit it and not payments.
    cloud = results["cloud"]
    assert not cloud.get("failed"), cloud
    assert {"common_name": "payments", "subject_alternative_name": "reports.internal"} in cloud["cloud_filters"]
    assert {"common_name": "payments"} not in cloud["cloud_filters"]
    assert (cloud_pki / "clients-ca.key").exists(), "Cloud revocation retires no CA"
    payments = certificate(pki / "clients" / "payments" / "client.pem")
    recorded = json.loads((cloud_pki / "revoked.json").read_text())["identities"]["payments"]["certificates"]
    assert [entry["serial_number"] for entry in recorded] == [format(payments.serial_number, "x")]


def test_revoking_a_group_cuts_it_off_everywhere_and_for_good(fleet):
    pki = fleet / "pki"
    accounting_ca = certificate(pki / "clients-accounting-ca.pem")
    ledger_ca = certificate(pki / "clients-ledger-ca.pem")
    # Own groups come after the declared ones, so ledger's CA is the newest and first in the bundle.
    assert node_bundle(fleet)[:2] == [ledger_ca, accounting_ca]
    billing = certificate(pki / "clients" / "billing" / "client.pem")

    proc = revoke(fleet, "-e", "revoke_client_group=accounting", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert format(billing.serial_number, "x") in proc.stdout, "the diff names the revoked serials"
    assert "BEGIN" not in proc.stdout
    assert not (pki / "revoked.json").exists() and accounting_ca in node_bundle(fleet)

    before = restarts(fleet)
    proc = revoke(fleet, "-e", "revoke_client_group=accounting", "-e", '{"revoke_reason": "laptop lost"}')
    assert proc.returncode == 0, proc.stdout[-3000:]
    record = json.loads((pki / "revoked.json").read_text())
    assert record["client_groups"]["accounting"]["reason"] == "laptop lost"
    assert record["identities"]["billing"]["certificates"][0]["serial_number"] == format(billing.serial_number, "x")
    assert set(record["identities"]) == {"billing", "clerk"}
    assert not list(pki.glob("clients-accounting-ca*")), "the CA, its chain and its key leave pki_dir"
    assert certificate(pki / "revoked" / "clients-accounting-ca.pem") == accounting_ca
    for node in ("node1", "node2"):
        assert accounting_ca not in node_bundle(fleet, node)
    # Not the bundle's first certificate: hot reload cannot see it leave, so each node restarted, one at a time.
    assert proc.stdout.count(REASON) == 2, proc.stdout[-3000:]
    assert restarts(fleet) == {node: count + 1 for node, count in before.items()}

    before = restarts(fleet)
    proc = revoke(fleet, "-e", "revoke_identity=ledger")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert ledger_ca not in node_bundle(fleet) and REASON not in proc.stdout, "the first certificate changed: hot reload sees it"
    assert restarts(fleet) == before

    proc = revoke(fleet, "-e", "revoke_client_group=accounting")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert set(changed_per_host(proc.stdout).values()) == {0}, proc.stdout[-3000:]

    proc = play(fleet, "mtls.temporal.site")
    assert proc.returncode != 0
    assert "billing: revoked on" in proc.stdout and "ledger: revoked on" in proc.stdout, proc.stdout[-3000:]
    assert not (pki / "clients-accounting-ca.pem").exists(), "the pki role does not make a revoked group's CA again"
