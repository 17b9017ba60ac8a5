"""The Azure Key Vault flow of docs/azure-key-vault.md: request a certificate whose key Key Vault makes, sign its CSR
with temporal_leaf in a real ansible-playbook run, merge the signed chain back, import the CA; reruns, drift,
renewal and a new CA.

No Key Vault emulator could be had on this machine (docs/azure-key-vault.md says why), so
temporal_key_vault_certificate runs (its main(), as Ansible runs it, through the real Azure SDK over HTTPS) against
key_vault_stand_in.KeyVaultStandIn: a loopback stand-in for the six REST calls the module makes, answering in the
shapes of Key Vault's REST reference, making keys and CSRs from the policy it is sent. What these tests show is
the collection's own side: the requests it sends, the CSRs and chains it accepts, and when it writes nothing. How
Key Vault itself answers them is not shown here."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from conftest import run_cases
from key_vault_stand_in import KeyVaultStandIn, StandInToken, request_from_policy

pytest.importorskip("azure.keyvault.certificates")

from azure.keyvault.certificates import CertificatePolicy  # noqa: E402
from azure.keyvault.certificates._generated.models import CertificateMergeParameters  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from ansible_collections.mtls.temporal.plugins.module_utils.x509 import key_vault  # noqa: E402
from ansible_collections.mtls.temporal.plugins.modules import temporal_key_vault_certificate  # noqa: E402

INTERNODE = dict(profile="internode", dns_names=["internode.temporal.test"], ip_addresses=["10.1.0.7"], organization="mtls.temporal tests")
SECRET = "kv-client-secret-7c1d0e"  # noqa: S105 (a test value)


@pytest.fixture
def stand_in(tmp_path, ca_factory, leaf_factory, monkeypatch):
    """The stand-in on loopback with a TLS certificate of its own CA; the module's SDK client trusts that CA and takes
    the stand-in token (only the credential and the trust store differ from a run against Azure)."""
    tls_ca = ca_factory("stand-in-tls-ca")
    tls = leaf_factory("stand-in-tls", "frontend", tls_ca, ip_addresses=["127.0.0.1"])
    with open(tls["path"], "rb") as cert, open(tls["private_key_path"], "rb") as key:
        server = KeyVaultStandIn(cert.read(), key.read(), tmp_path).start()

    def connect(self, params):
        # The stand-in's challenge names vault.azure.net, not 127.0.0.1, so the SDK's check of it is off here.
        return key_vault.KeyVaultCertificates(params, credential=StandInToken(), connection_verify=tls_ca["path"], verify_challenge_resource=False)

    monkeypatch.setattr(key_vault.KeyVaultCertificateBackend, "connect", connect)
    yield server
    server.stop()


def test_key_vault_flow(tmp_path, stand_in, ca_factory, run_module):
    root = ca_factory("kv-root")
    servers = ca_factory("kv-servers", parent=root)
    kv = dict(key_vault_url=stand_in.url, name="temporal-internode", ca_path=servers["path"], renew_before="5d", **INTERNODE)

    def step(check=False, **options):
        run = run_module(temporal_key_vault_certificate.main, dict(kv, **options), check_mode=check, diff=True)
        assert not run.failed, run.msg
        return run

    # --check: the decision, no request sent that writes, no CSR yet; also before an earlier task has made the CA.
    assert step(check=True, ca_path=str(tmp_path / "not-yet-ca.pem"))["reason"] == "created"
    planned = step(check=True)
    assert (planned.changed, planned["reason"], planned["csr"]) == (True, "created", None)
    assert planned.result["diff"]["after"]["pending_request"]["dns_names"] == ["internode.temporal.test"]
    assert stand_in.writes == []

    requested = step()
    assert (requested.changed, requested["reason"]) == (True, "created")
    assert stand_in.writes == [("POST", "/certificates/temporal-internode/create")]
    csr = x509.load_pem_x509_csr(requested["csr"].encode())
    assert csr.subject.rfc4514_string() == "CN=internode.temporal.test,O=mtls.temporal tests"

    # A rerun before signing finds the pending request and returns its CSR again, writing nothing.
    again = step()
    assert (again.changed, again["csr"]) == (False, requested["csr"])
    assert len(stand_in.writes) == 1
    # --diff shows the pending request's parsed facts, never PEM.
    assert again.result["diff"]["before"]["pending_request"]["public_key_sha256"]
    assert "BEGIN" not in json.dumps(again.result["diff"]) and "BEGIN" not in json.dumps(planned.result["diff"])

    signed = _sign(tmp_path, requested["csr"], _stand_in_csr(), servers)
    chain_path = signed["chain"]

    merge = dict(state="merged", chain_path=chain_path)
    assert step(check=True, **merge).changed and len(stand_in.writes) == 1
    merged = step(**merge)
    assert (merged.changed, merged["reason"]) == (True, "merged")
    assert stand_in.writes[-1] == ("POST", "/certificates/temporal-internode/pending/merge")
    with open(chain_path, "rb") as handle:
        chain = x509.load_pem_x509_certificates(handle.read())
    assert stand_in.versions["temporal-internode"] == [chain[0].public_bytes(Encoding.DER)]
    assert not stand_in.pending

    # Nothing due: no CSR, no write; merging the same chain again writes nothing either.
    writes = len(stand_in.writes)
    for run in (step(), step(check=True), step(**merge)):
        assert (run.changed, run["reason"], run["csr"]) == (False, None, None), run.result
    current = step()["certificate"]
    assert current["fingerprint_sha256"] == signed["fingerprint_sha256"] and current["issuer"] == "CN=kv-servers,O=mtls.temporal tests"
    assert len(stand_in.writes) == writes

    # A chain that certifies another key is refused before anything is sent.
    step(force=True)
    refused = run_module(temporal_key_vault_certificate.main, dict(kv, state="merged", chain_path=signed["other_chain"]))
    assert refused.failed and "chain_path" in refused.msg and "does not certify the key" in refused.msg
    assert stand_in.writes[-1] == ("POST", "/certificates/temporal-internode/create")

    # A pending request that no longer fits (a SAN added) is deleted and made anew from the new policy.
    added = step(dns_names=INTERNODE["dns_names"] + ["internode2.temporal.test"])
    assert added["reason"] == "drift" and "pending request differs" in added["reason_detail"]
    assert stand_in.writes[-2:] == [("DELETE", "/certificates/temporal-internode/pending"), ("POST", "/certificates/temporal-internode/create")]
    assert sorted(x509.load_pem_x509_csr(added["csr"].encode()).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                  .get_values_for_type(x509.DNSName)) == ["internode.temporal.test", "internode2.temporal.test"]

    # The current certificate itself: renewal window, key type, a new CA.
    stand_in.pending.clear()
    assert step(renew_before="30d")["reason"] == "expiring"  # _sign made a 10-day certificate
    stand_in.pending.clear()
    rsa = step(key_type="rsa-2048")
    assert rsa["reason"] == "drift" and "key type" in rsa["reason_detail"]
    rsa_csr = x509.load_pem_x509_csr(rsa["csr"].encode())
    assert rsa_csr.public_key().key_size == 2048
    assert rsa_csr.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment  # RSA server key
    stand_in.pending.clear()
    new_ca = ca_factory("kv-servers-2", parent=root)
    assert step(ca_path=new_ca["path"])["reason"] == "ca_changed"

    # The CA goes in as a PKCS#12 made in memory; a .pfx temporal_leaf wrote goes in as it is.
    writes = len(stand_in.writes)
    ca_import = dict(key_vault_url=stand_in.url, name="temporal-ca", state="imported", certificate_path=servers["chain_path"],
                     private_key_path=servers["private_key_path"])
    imported = run_module(temporal_key_vault_certificate.main, ca_import)
    assert (imported.changed, imported["reason"]) == (True, "imported")
    with open(servers["path"], "rb") as handle:
        assert stand_in.versions["temporal-ca"] == [x509.load_pem_x509_certificate(handle.read()).public_bytes(Encoding.DER)]
    assert not run_module(temporal_key_vault_certificate.main, ca_import).changed
    pfx = dict(key_vault_url=stand_in.url, name="temporal-client", state="imported", pkcs12_path=signed["pkcs12"])
    assert run_module(temporal_key_vault_certificate.main, pfx)["reason"] == "imported"
    assert not run_module(temporal_key_vault_certificate.main, pfx).changed
    assert len(stand_in.writes) == writes + 2

    # The client secret is masked in the result, its invocation echo included.
    run = run_module(temporal_key_vault_certificate.main, dict(kv, azure_client_secret=SECRET, azure_client_id="app", azure_tenant_id="t"))
    assert "invocation" in run.result and SECRET not in json.dumps(run.result)


def _stand_in_csr():
    """A CSR for the same names with a key of its own, as the stand-in makes one from a policy."""
    policy = CertificatePolicy(issuer_name="Unknown", key_type="EC", key_curve_name="P-256", subject="CN=internode.temporal.test, O=mtls.temporal tests",
                               san_dns_names=["internode.temporal.test"], san_ip_addresses=["10.1.0.7"])
    _key, der = request_from_policy(policy._to_certificate_policy_bundle().as_dict())
    return x509.load_der_x509_csr(der).public_bytes(Encoding.PEM).decode()


def _sign(tmp_path, csr_pem, other_csr_pem, ca):
    """Sign Key Vault's CSR (and another one, for a chain of another key) in one real ansible-playbook run, with the
    cases csr_must_match refuses in the same run."""
    common = dict(csr_content=csr_pem, csr_must_match=True, validity="10d", ca_path=ca["chain_path"], ca_private_key_path=ca["private_key_path"])
    leaf = dict(common, path=str(tmp_path / "internode.pem"), chain_path=str(tmp_path / "internode-chain.pem"), **INTERNODE)
    cases = [
        ("signed", "temporal_leaf", leaf),
        ("other_key", "temporal_leaf", dict(leaf, csr_content=other_csr_pem, path=str(tmp_path / "other.pem"), chain_path=str(tmp_path / "other-chain.pem"))),
        ("other_san", "temporal_leaf", dict(leaf, path=str(tmp_path / "x1.pem"), chain_path=None, dns_names=["other.temporal.test"])),
        ("frontend_eku", "temporal_leaf", dict(leaf, path=str(tmp_path / "x2.pem"), chain_path=None, profile="frontend")),
        ("other_subject", "temporal_leaf", dict(leaf, path=str(tmp_path / "x3.pem"), chain_path=None, organization="someone else")),
        ("unchecked", "temporal_leaf", dict(leaf, path=str(tmp_path / "x4.pem"), chain_path=None, csr_must_match=False,
                                            dns_names=["other.temporal.test"])),
        # A client identity whose key is local, with the .pfx temporal_leaf writes.
        ("pfx", "temporal_leaf", dict(profile="client", common_name="payments", path=str(tmp_path / "client.pem"),
                                      private_key_path=str(tmp_path / "client.key"), pkcs12_path=str(tmp_path / "client.pfx"),
                                      ca_path=ca["chain_path"], ca_private_key_path=ca["private_key_path"])),
    ]
    results, _out = run_cases(tmp_path, cases)
    assert not any(results[name].get("failed") for name in ("signed", "other_key", "unchecked", "pfx")), results
    for name, words in (("other_san", "SANs"), ("frontend_eku", "extendedKeyUsage"), ("other_subject", "subject")):
        assert results[name]["failed"] and "csr_content" in results[name]["msg"] and words in results[name]["msg"], results[name]
    with open(leaf["chain_path"], "rb") as handle:
        chain = x509.load_pem_x509_certificates(handle.read())
    with open(ca["path"], "rb") as handle:
        anchor = x509.load_pem_x509_certificate(handle.read())
    verifier = verification.PolicyBuilder().store(verification.Store([anchor])).build_server_verifier(x509.DNSName("internode.temporal.test"))
    verifier.verify(chain[0], chain[1:])
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert chain[0].public_key().public_bytes(*spki) == x509.load_pem_x509_csr(csr_pem.encode()).public_key().public_bytes(*spki)
    assert list(chain[0].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # What the merge call sends: each certificate of the chain as base64 DER in x5c, the signed one first.
    x5c = CertificateMergeParameters(x509_certificates=[c.public_bytes(Encoding.DER) for c in chain]).as_dict()["x5c"]
    assert [x509.load_der_x509_certificate(base64.b64decode(item)) for item in x5c] == chain
    return dict(chain=leaf["chain_path"], other_chain=str(tmp_path / "other-chain.pem"), pkcs12=str(tmp_path / "client.pfx"),
                fingerprint_sha256=results["signed"]["fingerprint_sha256"])
