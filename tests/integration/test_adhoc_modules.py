"""The modules run as tasks by real Ansible, through pytest-ansible's fixtures (localhost, ansible_module,
ansible_adhoc) on an inventory of local hosts: AnsiballZ packs each module with the module_utils it imports, the
collection routes the FQCNs, and no_log masks the secret options in what Ansible returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from conftest import snapshot

HOSTS = Path(__file__).with_name("adhoc_hosts.ini")
NO_LOG = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

pytestmark = [pytest.mark.slow, pytest.mark.ansible(inventory=str(HOSTS), host_pattern="fleet", connection="local")]


def test_modules_through_ansible_on_local_hosts(localhost, ansible_module, ansible_adhoc, tmp_path):
    passphrase = "adhoc-ca-passphrase"
    ca = dict(path=str(tmp_path / "ca.pem"), private_key_path=str(tmp_path / "ca.key"))
    made = getattr(localhost, "mtls.temporal.temporal_ca")(common_name="adhoc CA", private_key_passphrase=passphrase, **ca)["localhost"]
    assert made.is_changed and not made.is_failed, made
    assert made["invocation"]["module_args"]["private_key_passphrase"] == NO_LOG
    assert passphrase not in json.dumps(dict(made))

    # Ad hoc module arguments are not templated: each node gets its own literal paths.
    hosts = ansible_adhoc()
    leaves = {}
    for node in ("node1", "node2"):
        leaf = dict(path=str(tmp_path / (node + ".pem")), private_key_path=str(tmp_path / (node + ".key")))
        args = dict(profile="internode", dns_names=["internode.adhoc.test", node], ca_path=ca["path"],
                    ca_private_key_path=ca["private_key_path"], ca_private_key_passphrase=passphrase, **leaf)
        first = getattr(hosts[node], "mtls.temporal.temporal_leaf")(**args)[node]
        assert first.is_changed and not first.is_failed, first
        assert first["invocation"]["module_args"]["ca_private_key_passphrase"] == NO_LOG
        assert "PRIVATE KEY" not in json.dumps(dict(first))
        before = snapshot(*leaf.values())
        again = getattr(hosts[node], "mtls.temporal.temporal_leaf")(**args)[node]
        assert not again.is_changed and not again.is_failed, again
        assert snapshot(*leaf.values()) == before
        leaves[node] = leaf["path"]

    # One task for the whole group (the marker's inventory and pattern): every node reads the facts of both leaves.
    info = getattr(ansible_module, "mtls.temporal.temporal_cert_info")(path=list(leaves.values()), issuer_path=ca["path"])
    assert sorted(info.keys()) == ["node1", "node2"]
    for node in ("node1", "node2"):
        files = info[node]["files"]
        assert [entry["issued_by_issuer"] for entry in files] == [True, True]
        for entry, path in zip(files, leaves.values()):
            cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
            (facts,) = entry["certificates"]
            assert facts["fingerprint_sha256"] == cert.fingerprint(hashes.SHA256()).hex()
