"""mtls.temporal.report with real ansible-playbook on a small local fleet built by mtls.temporal.site: the table sorted
by expiry, the JSON, the threshold failure, and the flags for a leaf outliving its CA and a bundle in the wrong order."""

from __future__ import annotations

import datetime
import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import load_pem_certificates, pem_of, sign_certificate
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import generate_private_key, load_private_key
from conftest import BIN, REPO, tool_env

pytestmark = pytest.mark.slow

NODE_FILES = ("internode.pem", "frontend.pem", "internode-ca.pem", "frontend-clients-ca.pem")


def _usage(ca):
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def extensions(ca):
    """(extension, critical) pairs for the collection's signer: a CA or a client certificate."""
    out = [(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True), (_usage(ca), True)]
    if not ca:
        out.append((x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CLIENT_AUTH]), False))
    return out


def inventory(root):
    # The molecule scenarios' shape: local connection, every host its own directory, no become.
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "controller" / "pki"),
            "node_certs_dir": str(root) + "/{{ inventory_hostname }}/etc/temporal/tls",
            "node_certs_internode_server_name": "internode.temporal.report",
            "node_certs_frontend_server_names": ["frontend.temporal.report"],
            "server_tls_config_path": str(root) + "/{{ inventory_hostname }}/etc/temporal/config.yaml",
            "server_tls_dynamic_config_path": str(root) + "/{{ inventory_hostname }}/etc/temporal/dynamicconfig.yaml",
            "client_certs_server_name": "frontend.temporal.report",
            "client_certs_host_dir": str(root) + "/{{ inventory_hostname }}/etc/temporal/clients",
            "client_certs_identities": [{"name": "payments"}, {"name": "billing", "host": "worker1"}],
        },
        "hosts": {"localhost": {}},
        "children": {
            "temporal_servers": {"hosts": {"node1": {"node_certs_ip_addresses": ["127.0.4.1"]}, "node2": {"node_certs_ip_addresses": ["127.0.4.2"]}}},
            "temporal_clients": {"hosts": {"worker1": {}}},
        },
    }}


def play(root, *args):
    env = tool_env()
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-fleet")
    (root / "inventory.json").write_text(json.dumps(inventory(root)))
    proc = play(root, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return root


def test_report_reads_the_whole_fleet_sorted_by_expiry(fleet):
    proc = play(fleet, "mtls.temporal.report")
    assert proc.returncode == 0, proc.stdout[-4000:]
    report = json.loads((fleet / "controller" / "pki" / "expiry-report.json").read_text())
    rows = report["rows"]
    assert report["failures"] == [] and report["fail_within_days"] == 14
    assert [row["not_after"] for row in rows] == sorted(row["not_after"] for row in rows)
    assert all(row["status"] == "ok" and row["flags"] == [] for row in rows)
    read = {(row["host"], row["file"]) for row in rows}
    for node in ("node1", "node2"):
        for name in NODE_FILES:
            assert (node, str(fleet / node / "etc/temporal/tls" / name)) in read
    pki = fleet / "controller" / "pki"
    for path in ("root-ca.pem", "servers-ca.pem", "clients-ca.pem", "bundles/internode.pem", "bundles/frontend-clients.pem",
                 "bundles/server-roots.pem", "clients/payments/client.pem", "clients/billing/client.pem"):
        assert ("localhost", str(pki / path)) in read, path
    assert ("worker1", str(fleet / "worker1/etc/temporal/clients/billing/client-chain.pem")) in read
    # The client identities (90 days) expire first, the root (10 years) last; the printed table is the JSON's, in order.
    assert rows[0]["subject"] in ("CN=payments", "CN=billing") and rows[-1]["subject"].startswith("CN=Temporal Root CA")
    assert report["table"][0].split()[:3] == ["HOST", "FILE", "SUBJECT"]
    positions = [proc.stdout.index(line) for line in report["table"]]
    assert positions == sorted(positions)


def test_threshold_fails_the_play_and_names_what_expires(fleet, tmp_path):
    out = tmp_path / "report.json"
    proc = play(fleet, "mtls.temporal.report", "-e", "report_fail_within_days=100", "-e", "report_json_path=" + str(out))
    assert proc.returncode != 0
    assert "certificate problem(s) (report_fail_within_days=100" in proc.stdout
    assert "CN=payments expires on" in proc.stdout and "within 100" in proc.stdout
    report = json.loads(out.read_text())  # written before the verdict
    assert {row["subject"] for row in report["rows"] if row["status"] == "expiring"} == {"CN=payments", "CN=billing"}


def test_flags_a_leaf_outliving_its_ca_and_a_bundle_whose_first_ca_is_not_the_newest(fleet, tmp_path):
    pki = fleet / "controller" / "pki"
    clients_ca = load_pem_certificates((pki / "clients-ca.pem").read_bytes(), "test", "clients-ca.pem")[0]
    clients_key = load_private_key((pki / "clients-ca.key").read_bytes(), None, "test", "clients-ca.key")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    # A client certificate signed by the clients CA that ends a year after it: what temporal_leaf refuses to issue.
    rogue_key = generate_private_key("ecdsa-p256")
    rogue = sign_certificate(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "rogue")]), rogue_key.public_key(), clients_key, clients_ca,
                             now, clients_ca.not_valid_after_utc + datetime.timedelta(days=365), extensions(False))
    (pki / "clients" / "rogue").mkdir()
    rogue_path = pki / "clients" / "rogue" / "client.pem"
    rogue_path.write_bytes(rogue.public_bytes(serialization.Encoding.PEM))

    # node2's internode CA file with a newer CA appended after the current one: hot reload would not notice it.
    newer_key = generate_private_key("ecdsa-p256")
    newer_name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Newer Servers CA")])
    newer = sign_certificate(newer_name, newer_key.public_key(), newer_key, None, now, now + datetime.timedelta(days=400), extensions(True))
    bundle_path = fleet / "node2" / "etc/temporal/tls" / "internode-ca.pem"
    original = bundle_path.read_bytes()
    bundle_path.write_bytes(original + pem_of([newer]))
    try:
        out = tmp_path / "flags.json"
        proc = play(fleet, "mtls.temporal.report", "-e", "report_json_path=" + str(out))
        assert proc.returncode != 0
        assert "outlives its issuer CN=Temporal Clients CA" in proc.stdout
        assert "is not the newest (CN=Newer Servers CA" in proc.stdout
        rows = json.loads(out.read_text())["rows"]
        flagged = {(row["host"], row["file"], row["position"]): row["flags"] for row in rows if row["flags"]}
        assert set(flagged) == {("localhost", str(rogue_path), 1), ("node2", str(bundle_path), 1)}
        assert flagged[("localhost", str(rogue_path), 1)][0].startswith("outlives its issuer CN=Temporal Clients CA")
        assert "first CA (CN=Temporal Servers CA" in flagged[("node2", str(bundle_path), 1)][0]

        relaxed = play(fleet, "mtls.temporal.report", "-e", "report_fail_on_flags=false", "-e", "report_json_path=" + str(out))
        assert relaxed.returncode == 0, relaxed.stdout[-3000:]
        assert len([row for row in json.loads(out.read_text())["rows"] if row["flags"]]) == 2
    finally:
        bundle_path.write_bytes(original)
        rogue_path.unlink()
