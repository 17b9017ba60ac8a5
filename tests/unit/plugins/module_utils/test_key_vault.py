"""The profile -> Key Vault certificate policy mapping, sent through the Azure SDK's own models, and the checks of
the CSR Key Vault returns. The CSRs come from tests/harness/key_vault_stand_in.py, made from the REST body the SDK
builds of the policy; they stand in for Key Vault's (no Key Vault or emulator runs here), so these tests show the
collection's side of the exchange only."""

from __future__ import annotations

import base64
import json
import sys

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from key_vault_stand_in import request_from_policy

pytest.importorskip("azure.keyvault.certificates")

from azure.keyvault.certificates import CertificateOperation, CertificatePolicy  # noqa: E402
from azure.keyvault.certificates._generated import models  # noqa: E402

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError  # noqa: E402
from ansible_collections.mtls.temporal.plugins.module_utils.x509 import key_vault  # noqa: E402
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import KEY_TYPES  # noqa: E402
from ansible_collections.mtls.temporal.plugins.modules import temporal_key_vault_certificate  # noqa: E402

SERVER_AUTH, CLIENT_AUTH = ExtendedKeyUsageOID.SERVER_AUTH.dotted_string, ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string
OPTIONS = dict(validity="365d", renew_before="33%", organization="Example", organizational_unit=None, country=None, state_or_province=None,
               locality=None, common_name=None, dns_names=[], ip_addresses=[])
PROFILES = {
    "internode": dict(dns_names=["internode.temporal.test"], ip_addresses=["10.0.0.5"]),
    "frontend": dict(dns_names=["temporal.example.com"]),
    "client": dict(common_name="payments"),
    "worker": dict(common_name="temporal-system-worker"),
}


def leaf(profile, **options):
    return key_vault.leaf_of(dict(OPTIONS, profile=profile, **dict(PROFILES[profile], **options)))


def rest_body(fields):
    """The policy as the SDK sends it in the create call's body."""
    return CertificatePolicy(**fields)._to_certificate_policy_bundle().as_dict()


def key_vault_csr(body):
    """A CSR from the policy, passed through the SDK as a create call's answer: {"csr": base64 DER PKCS#10}."""
    _key, der = request_from_policy(body)
    answer = {"id": "https://v.vault.azure.net/certificates/c/pending", "issuer": {"name": "Unknown"}, "csr": base64.b64encode(der).decode(),
              "status": "inProgress"}
    operation = CertificateOperation._from_certificate_operation_bundle(models.CertificateOperation(json.loads(json.dumps(answer))))
    return x509.load_der_x509_csr(bytes(operation.csr))


@pytest.mark.parametrize("key_type", sorted(key_vault.KEY_VAULT_KEYS))
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_policy_of_each_profile_and_key(profile, key_type):
    wanted = leaf(profile)
    body = rest_body(key_vault.policy_fields(wanted, key_type))
    family, size = KEY_TYPES[key_type]
    server = profile in ("internode", "frontend")
    assert body["issuer"] == {"name": "Unknown"}
    assert body["key_props"]["exportable"] is False and body["key_props"]["reuse_key"] is False
    assert body["key_props"]["kty"] == family.upper()
    assert body["key_props"].get("key_size") == (size if family == "rsa" else None)
    assert body["key_props"].get("crv") == {"secp256r1": "P-256", "secp384r1": "P-384"}.get(size)
    props = body["x509_props"]
    assert sorted(props["ekus"]) == sorted(([SERVER_AUTH] if server else []) + ([CLIENT_AUTH] if profile != "frontend" else []))
    assert props["key_usage"] == ["digitalSignature"] + (["keyEncipherment"] if server and family == "rsa" else [])
    assert props.get("sans", {}).get("dns_names") == (PROFILES[profile].get("dns_names") or None)
    assert props.get("sans", {}).get("ipAddresses") == (PROFILES[profile].get("ip_addresses") or None)
    assert props["validity_months"] == 13
    # The CSR Key Vault makes from it asks for what temporal_leaf then signs.
    assert key_vault.request_drift(key_vault_csr(body), wanted, key_type) == []


def test_subject_in_key_vault_order():
    body = rest_body(key_vault.policy_fields(leaf("client", country="de", locality="Berlin"), "ecdsa-p256"))
    assert body["x509_props"]["subject"] == "CN=payments, O=Example, L=Berlin, C=DE"
    assert key_vault_csr(body).subject.rfc4514_string() == "CN=payments,O=Example,L=Berlin,C=DE"


def test_request_drift_names_each_difference():
    wanted = leaf("internode")
    body = rest_body(key_vault.policy_fields(leaf("client", dns_names=["internode.temporal.test", "extra.temporal.test"]), "rsa-2048"))
    differences = "; ".join(key_vault.request_drift(key_vault_csr(body), wanted, "ecdsa-p256"))
    for words in ("its key is rsa-2048, ecdsa-p256 asked", "subject", "SANs", "extendedKeyUsage", "keyUsage"):
        assert words in differences


@pytest.mark.parametrize("options, option, words", [
    (dict(key_type="ed25519"), "key_type", "no ed25519 keys"),
    (dict(organization="Example, Inc."), "organization", "escaped"),
    (dict(common_name="a=b"), "common_name", "escaped"),
])
def test_policy_refuses(options, option, words):
    key_type = options.pop("key_type", "ecdsa-p256")
    with pytest.raises(PKIError) as exc:
        key_vault.policy_fields(leaf("client", **options), key_type)
    assert exc.value.option == option and words in exc.value.message


def test_every_key_vault_key_is_a_collection_key():
    assert set(key_vault.KEY_VAULT_KEYS) < set(KEY_TYPES)


def test_module_refuses_before_asking_key_vault(run_module, tmp_path):
    base = dict(key_vault_url="https://v.vault.azure.net", name="c", profile="client", common_name="payments", ca_path=str(tmp_path / "ca.pem"))
    secret = "svc-principal-secret-41"
    run = run_module(temporal_key_vault_certificate.main, dict(base, azure_client_secret=secret, azure_client_id="app"))
    assert run.failed and "azure_tenant_id" in run.msg and secret not in json.dumps(run.result)
    run = run_module(temporal_key_vault_certificate.main, dict(base, key_vault_url="http://v.vault.azure.net"))
    assert run.failed and "key_vault_url" in run.msg
    run = run_module(temporal_key_vault_certificate.main, dict(base, profile=None))
    assert run.failed and "profile" in run.msg


def test_missing_sdk_is_reported(run_module, monkeypatch):
    import azure.keyvault.certificates

    with monkeypatch.context() as not_installed:
        not_installed.setitem(sys.modules, "azure.keyvault.certificates", None)  # importing it then fails, as uninstalled
        run = run_module(temporal_key_vault_certificate.main, dict(key_vault_url="https://v.vault.azure.net", name="c", state="merged"))
    assert run.failed and "azure-keyvault-certificates" in run.msg
    monkeypatch.setattr(azure.keyvault.certificates, "__version__", "4.10.0")
    run = run_module(temporal_key_vault_certificate.main, dict(key_vault_url="https://v.vault.azure.net", name="c", state="merged"))
    assert run.failed and "4.10.0 is installed" in run.msg


def test_doc_playbook_uses_only_real_options():
    """docs/azure-key-vault.md's example playbook: every option of each collection task exists in that module's
    argument spec, and signing and merging run only when Key Vault returned a CSR (what keeps a rerun from writing)."""
    import re
    from pathlib import Path

    import yaml

    from ansible_collections.mtls.temporal.plugins.module_utils.door.options import LEAF

    text = (Path(__file__).resolve().parents[4] / "docs" / "azure-key-vault.md").read_text()
    playbook = yaml.safe_load(re.search(r"## Example playbook.*?```yaml\n(.*?)```", text, re.S).group(1))
    specs = {"mtls.temporal.temporal_key_vault_certificate": temporal_key_vault_certificate.OPTIONS.options, "mtls.temporal.temporal_leaf": LEAF.options}
    used = []
    for task in playbook[0]["tasks"]:
        module = next(name for name in task if name.startswith("mtls.temporal."))
        assert set(task[module]) <= set(specs[module]), (task["name"], set(task[module]) - set(specs[module]))
        used.append((module, task[module].get("state", "requested" if "key_vault" in module else None), task.get("when")))
    assert used == [
        ("mtls.temporal.temporal_key_vault_certificate", "imported", None),
        ("mtls.temporal.temporal_key_vault_certificate", "requested", None),
        ("mtls.temporal.temporal_leaf", None, "request.csr"),
        ("mtls.temporal.temporal_key_vault_certificate", "merged", "request.csr"),
    ]
