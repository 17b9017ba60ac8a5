"""Staged CA rotation against a live TLS front while real SDK clients connect every 100 ms.

The front serves node 1's rendered frontend TLS (Caddy, Go's TLS stack) and reloads gracefully after each step, as
the Temporal server re-reads its files. One client uses the identity on disk as the rotation replaces it; another
holds on to the identity it had before. Neither may fail a single call until retire; after retire the old identity
is refused and the current one still connects. pkilint then checks every certificate the rotation left on disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from conftest import BIN, REPO, harness

pytestmark = pytest.mark.slow

SERVER_NAME = "frontend.temporal.rot"


def inventory(root):
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "pki"), "node_certs_dir": str(root / "node1" / "tls"),
            "node_certs_internode_server_name": "internode.temporal.rot", "node_certs_frontend_server_names": [SERVER_NAME],
            "server_tls_config_path": str(root / "node1" / "config.yaml"),
            # The loop's identity comes from a client group's own intermediate, which the rotation replaces too.
            "pki_client_groups": [{"name": "loopers"}],
            "client_certs_identities": [{"name": "loop", "client_group": "loopers"}], "client_certs_server_name": SERVER_NAME,
        },
        "hosts": {"localhost": {}},
        # An FQDN for the node's own SAN: the role's default is inventory_hostname, and pkilint refuses a one-label dNSName ("node1").
        "children": {"temporal_servers": {"hosts": {"node1": {"node_certs_ip_addresses": ["127.0.4.1"], "node_certs_dns_names": ["node1.temporal.rot"]}}}},
    }}


def playbook(root, name, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=str(BIN) + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), name, *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    return proc


def step(root, name):
    proc = playbook(root, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=" + name)
    assert proc.returncode == 0, proc.stdout[-4000:]


def wait_for_calls(loop, count, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(loop.calls()) < count:
        time.sleep(0.1)
    assert len(loop.calls()) >= count, loop.log()


def certificates_in(paths):
    """{sha256: (file, certificate)} of each distinct certificate in the PEM files, bundles split into their certificates."""
    found = {}
    for path in paths:
        for cert in x509.load_pem_x509_certificates(path.read_bytes()):
            found.setdefault(cert.fingerprint(hashes.SHA256()), (path, cert))
    return found


def pkilint_findings(certs, workdir):
    """{file: pkilint's ERROR and FATAL findings} for each certificate of certificates_in() pkilint does not pass."""
    lint = shutil.which("lint_pkix_cert", path=str(BIN)) or shutil.which("lint_pkix_cert")
    assert lint, "pkilint is part of the test requirements"
    workdir.mkdir()
    findings = {}
    for index, (path, cert) in enumerate(certs.values()):
        single = workdir / "{0}-{1}".format(index, path.name)
        single.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        proc = subprocess.run([lint, "lint", "-s", "ERROR", str(single)], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0 or "ERROR" in proc.stdout or "FATAL" in proc.stdout:
            findings["{0} ({1})".format(path, cert.subject.rfc4514_string())] = proc.stdout + proc.stderr
    return findings


def test_rotation_drops_no_connection_until_retire(tmp_path):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory(tmp_path)))
    proc = playbook(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-4000:]
    pki = tmp_path / "pki"
    held = tmp_path / "held"
    held.mkdir()
    for name in ("client-chain.pem", "client.key"):
        shutil.copy2(pki / "clients" / "loop" / name, held / name)
    server_block = yaml.safe_load((tmp_path / "node1" / "config.yaml").read_text())["global"]["tls"]["frontend"]["server"]
    work = harness.workdir()
    try:
        with harness.DevServer(work) as server, harness.TLSFront(work, server_block, server.address, SERVER_NAME) as front:
            bundle = str(pki / "bundles" / "server-roots.pem")
            # Three playbook runs happen while the loops call; on a loaded machine they outlast the default 3000 calls.
            bounds = dict(max_calls=12000, max_seconds=1200)
            with harness.ClientLoop(work, "current", front.address, SERVER_NAME, bundle, str(pki / "clients" / "loop" / "client-chain.pem"),
                                    str(pki / "clients" / "loop" / "client.key"), **bounds) as current, \
                    harness.ClientLoop(work, "held", front.address, SERVER_NAME, bundle, str(held / "client-chain.pem"), str(held / "client.key"),
                                       **bounds) as old:
                wait_for_calls(current, 5)
                wait_for_calls(old, 5)
                for name in ("introduce", "reissue"):
                    step(tmp_path, name)
                    front.reload()
                    time.sleep(1)
                step(tmp_path, "retire")
                retire_reload = time.time()
                offset = len(front.log())
                front.reload()
                after_reload = time.time()
                calls_before = len(old.calls())
                wait_for_calls(old, calls_before + 10)
                wait_for_calls(current, len(current.calls()) + 10)
            current_calls, old_calls = current.calls(), old.calls()
            refusals = [line for line in front.log_since(offset).splitlines() if "TLS handshake error" in line]
            refused_before = [line for line in front.log()[:offset].splitlines() if "TLS handshake error" in line and "certificate" in line]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    assert len(current_calls) > 50 and len(old_calls) > 50, (len(current_calls), len(old_calls))
    failed = [c for c in current_calls if not c["ok"]]
    assert not failed, failed[:3]
    # A call made once more after the front's reload reset its connection: at most one per loop and reload, and no
    # certificate was refused by the front before retire (a client retry must not hide one).
    retried = [c for c in current_calls + old_calls if "retried" in c]
    assert len(retried) <= 2 * 3, retried
    assert not refused_before, refused_before[:3]
    before = [c for c in old_calls if c["t"] < retire_reload]
    after = [c for c in old_calls if c["t"] > after_reload + 0.5]
    assert before and all(c["ok"] for c in before), [c for c in before if not c["ok"]][:3]
    assert after and not any(c["ok"] for c in after), after[:3]
    assert any("certificate signed by unknown authority" in line for line in refusals), refusals[:3]
    # The current identity and the node's certificates now come from the new CAs only.
    assert json.loads((pki / "rotation.json").read_text())["state"] == "retired"

    # pkilint on every certificate PEM but the chains (which only repeat them): the new CAs, the reissued leaves, the
    # bundles' certificates one by one. Every certificate the node serves and the client presents must be among them.
    pems = [path for path in sorted(tmp_path.rglob("*.pem")) if not path.name.endswith("-chain.pem") and held not in path.parents]
    linted = certificates_in(pems)
    served = yaml.safe_load((tmp_path / "node1" / "config.yaml").read_text())["global"]["tls"]
    chains = [pki / "clients" / "loop" / "client-chain.pem"] + [Path(served[group]["server"]["certFile"]) for group in ("internode", "frontend")]
    current = certificates_in(chains)
    assert set(current) <= set(linted), [cert.subject.rfc4514_string() for key, (_path, cert) in current.items() if key not in linted]
    findings = pkilint_findings(linted, tmp_path / "pkilint")
    assert not findings, findings
