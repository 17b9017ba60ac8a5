"""The demo playbook through real ansible-playbook on three local hosts: check, apply, rerun, change.

Every certificate it issues is then checked by tools that share no code with the collection:
openssl verify with the TLS purpose, cryptography's X.509 verifiers, and pkilint."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification

from conftest import BIN, REPO, snapshot, tool_env

pytestmark = pytest.mark.slow

NODES = {"node1": "127.0.1.1", "node2": "127.0.1.2", "node3": "127.0.1.3"}
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def playbook(demo_dir, *extra):
    cmd = [str(BIN / "ansible-playbook"), "-i", "demo/inventory.yml", "demo/site.yml", "-e", "demo_dir=" + str(demo_dir), *extra]
    env = tool_env()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), failed=int(m.group(5))) for m in RECAP.finditer(proc.stdout)}
    assert set(recap) == {"localhost", *NODES}, proc.stdout[-2000:]
    return proc.stdout, recap


def certs(path):
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def openssl_verify(root, untrusted, cert, purpose):
    return subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(root), "-untrusted", str(untrusted), str(cert)],
        capture_output=True, text=True, check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    demo_dir = tmp_path_factory.mktemp("demo") / "out"
    out, recap = playbook(demo_dir, "--check", "--diff")
    assert not demo_dir.exists(), "check mode wrote files"
    assert all(r["changed"] > 0 for r in recap.values())
    out, recap = playbook(demo_dir, "--diff")
    assert all(r["changed"] > 0 and r["failed"] == 0 for r in recap.values())
    return demo_dir, out


def all_files(demo_dir):
    return sorted(str(p) for p in demo_dir.rglob("*") if p.is_file())


def test_diff_output_holds_no_key_material(demo):
    _demo_dir, out = demo
    assert "PRIVATE KEY" not in out and "BEGIN CERTIFICATE" not in out
    assert '"subject": "CN=internode.temporal.demo"' in out or "CN=internode.temporal.demo" in out


def test_rerun_changes_nothing_and_touches_no_file(demo):
    demo_dir, _out = demo
    before = snapshot(*all_files(demo_dir))
    _out, recap = playbook(demo_dir)
    assert {host: r["changed"] for host, r in recap.items()} == {"localhost": 0, "node1": 0, "node2": 0, "node3": 0}
    _out, recap = playbook(demo_dir, "--check")
    assert all(r["changed"] == 0 for r in recap.values())
    assert snapshot(*all_files(demo_dir)) == before


def test_chains_verify_with_openssl_for_their_purpose(demo):
    demo_dir, _out = demo
    pki = demo_dir / "pki"
    root, inter = pki / "root-ca.pem", pki / "servers-ca.pem"
    for node in NODES:
        node_dir = demo_dir / "nodes" / node
        for purpose in ("sslserver", "sslclient"):
            result = openssl_verify(root, inter, node_dir / "internode.pem", purpose)
            assert result.returncode == 0 and ": OK" in result.stdout, result.stderr
        assert openssl_verify(root, inter, node_dir / "frontend.pem", "sslserver").returncode == 0
        assert openssl_verify(root, inter, node_dir / "frontend.pem", "sslclient").returncode != 0
    assert openssl_verify(root, inter, pki / "client-default.pem", "sslclient").returncode == 0
    assert openssl_verify(root, inter, pki / "client-default.pem", "sslserver").returncode != 0


def test_chains_verify_with_cryptography(demo):
    demo_dir, _out = demo
    store = verification.Store(certs(demo_dir / "pki" / "root-ca.pem"))
    for node, ip in NODES.items():
        for kind, names in (("internode", ["internode.temporal.demo", node + ".temporal.demo"]), ("frontend", ["frontend.temporal.demo"])):
            leaf, *intermediates = certs(demo_dir / "nodes" / node / (kind + "-chain.pem"))
            for subject in [verification.DNSName(n) for n in names] + [verification.IPAddress(ipaddress.ip_address(ip))]:
                chain = verification.PolicyBuilder().store(store).build_server_verifier(subject).verify(leaf, intermediates)
                assert chain[0] == leaf and chain[-1] == store_root(demo_dir)
        leaf, *intermediates = certs(demo_dir / "nodes" / node / "internode-chain.pem")
        verified = verification.PolicyBuilder().store(store).build_client_verifier().verify(leaf, intermediates)
        assert verified.chain[0] == leaf
    leaf, *intermediates = certs(demo_dir / "pki" / "client-default-chain.pem")
    relaxed = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None)
    builder = verification.PolicyBuilder().store(store).extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=relaxed)
    assert builder.build_client_verifier().verify(leaf, intermediates).chain[0] == leaf


def store_root(demo_dir):
    return certs(demo_dir / "pki" / "root-ca.pem")[0]


def test_pkilint_finds_no_error(demo):
    demo_dir, _out = demo
    lint = shutil.which("lint_pkix_cert", path=str(BIN)) or shutil.which("lint_pkix_cert")
    assert lint, "pkilint is part of the test requirements"
    issued = [p for p in sorted(demo_dir.rglob("*.pem")) if not p.name.endswith("-chain.pem")]
    assert len(issued) == 3 + 2 * len(NODES)
    for cert in issued:
        result = subprocess.run([lint, "lint", "-s", "ERROR", str(cert)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, "{0}: {1}".format(cert, result.stdout)
    chain_lint = shutil.which("lint_pkix_signer_signee_cert_chain", path=str(BIN))
    pairs = [("pki/root-ca.pem", "pki/servers-ca.pem"), ("pki/servers-ca.pem", "nodes/node1/internode.pem"), ("pki/servers-ca.pem", "pki/client-default.pem")]
    for signer, signee in pairs:
        result = subprocess.run([chain_lint, "lint", str(demo_dir / signer), str(demo_dir / signee)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and "ERROR" not in result.stdout and "FATAL" not in result.stdout, result.stdout


def test_keys_are_private(demo):
    demo_dir, _out = demo
    for key in list(demo_dir.rglob("*.key")) + list(demo_dir.rglob("*.pfx")):
        assert os.stat(key).st_mode & 0o077 == 0, key


def test_changing_an_input_reissues_only_what_it_concerns(demo):
    demo_dir, _out = demo
    frontend = {n: (demo_dir / "nodes" / n / "frontend.pem").read_bytes() for n in NODES}
    out, recap = playbook(demo_dir, "-e", json.dumps({"demo_extra_dns_names": ["lb.temporal.demo"]}), "--diff")
    assert recap["localhost"]["changed"] == 0
    assert all(recap[n]["changed"] == 1 for n in NODES)
    assert "lb.temporal.demo" in out
    for node in NODES:
        leaf = certs(demo_dir / "nodes" / node / "internode.pem")[0]
        assert "lb.temporal.demo" in leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        assert (demo_dir / "nodes" / node / "frontend.pem").read_bytes() == frontend[node]
