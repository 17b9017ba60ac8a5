"""CA rotation and revocation on the real cluster while applications work through it.

Every node runs a frontend, history and matching (node3 also the system worker), so one node restarting leaves the
others serving. A Python SDK application completes a workflow about every 100 ms from the start to the end, with an
identity of a client group (its own intermediate, which rotates too), following its identity files as the
rotation replaces them. The identity it had before a rotation, kept aside, must be accepted by every frontend until
retire and refused once retire has run. The collection restarts a node only where hot reload cannot follow,
through the node's supervisor, one node at a time; the application must not fail a single call through all of it.
Revoking the identity then cuts it off. pkilint checks every certificate the rotations left."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from conftest import BIN

import temporal_cluster

pytestmark = [pytest.mark.slow, pytest.mark.long]

SERVICES = {"node1": ["frontend", "history", "matching"], "node2": ["frontend", "history", "matching"],
            "node3": ["frontend", "history", "matching", "worker"]}
GROUP = {"name": "loopers"}
LOOP_IDENTITY = {"name": "loop", "client_group": "loopers", "namespace": temporal_cluster.NAMESPACE}
RESTART_HANDLER = "RUNNING HANDLER [mtls.temporal.server_tls : Restart Temporal server with server_tls_restart_command]"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return temporal_cluster.Fleet.deployed(tmp_path_factory.mktemp("rotation"), services=SERVICES, restarts=True, extra_vars={
        "pki_client_groups": [GROUP], "client_certs_identities": temporal_cluster.IDENTITIES + [LOOP_IDENTITY]})


@pytest.fixture(scope="module")
def application(fleet, cluster):
    loop = temporal_cluster.WorkflowLoop(fleet, "application", fleet.identity("loop"), "rotation-application")
    try:
        loop.wait_for_calls(5)
        yield loop
    finally:
        loop.stop()


def held_copy(fleet, name):
    """The loop identity's files as they are now, copied away so no rotation replaces them."""
    held = fleet.root / name
    held.mkdir()
    current = fleet.identity("loop")
    for key in ("cert", "key"):
        shutil.copy2(current[key], held / Path(current[key]).name)
    return dict(current, cert=str(held / "client-chain.pem"), key=str(held / "client.key"))


def rotate(fleet, step, *extra):
    """One rotate_ca step; returns how many nodes it restarted."""
    proc, _hosts = fleet.playbook("mtls.temporal.rotate_ca", "-e", "rotate_ca_step=" + step, *extra, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout.count(RESTART_HANDLER)


def failed(calls):
    return [call for call in calls if not call["ok"]]


def accepted_everywhere(fleet, identity):
    """Whether every frontend accepts the identity in a TLS 1.2 handshake; False only on an unknown-CA refusal."""
    try:
        for address in fleet.frontend_addresses:
            temporal_cluster.tls12_handshake(address, fleet.identity("loop")["ca"], identity["cert"], identity["key"])
    except ssl.SSLError as exc:
        assert re.search(temporal_cluster.UNKNOWN_CA, str(exc)), exc
        return False
    return True


def run_rotation(fleet, application, name, *extra):
    """The three steps of a rotation while the application works; the identity held from before the rotation is
    tried on every frontend before retire and after it. Returns {step: restarts} and the two verdicts."""
    held = held_copy(fleet, "held-" + name)
    restarts = {}
    for step in ("introduce", "reissue"):
        restarts[step] = rotate(fleet, step, *extra)
        application.wait_for_calls(10)
    held_before_retire = accepted_everywhere(fleet, held)
    restarts["retire"] = rotate(fleet, "retire", *extra)
    application.wait_for_calls(10)
    return restarts, held_before_retire, accepted_everywhere(fleet, held)


def test_a_full_rotation_fails_no_call_and_cuts_the_old_identity_off(fleet, cluster, application):
    """New root and intermediates: introduce restarts every node (their client-side roots changed, which the server
    caches), reissue is hot-reloaded, retire restarts every node (bundles that kept their first certificate)."""
    restarts, held_before_retire, held_after_retire = run_rotation(fleet, application, "all")
    assert restarts == {"introduce": 3, "reissue": 0, "retire": 3}, restarts
    assert {name: node.restarts() for name, node in cluster.nodes.items()} == {"node1": 3, "node2": 3, "node3": 3}
    assert not failed(application.calls()), failed(application.calls())[:3]
    assert held_before_retire and not held_after_retire
    current = fleet.identity("loop")
    assert accepted_everywhere(fleet, current), "the current identity is refused"


def test_an_intermediate_rotation_fails_no_call_and_cuts_the_old_identity_off(fleet, cluster, application):
    """New servers and clients intermediates under the same root."""
    before = {name: node.restarts() for name, node in cluster.nodes.items()}
    restarts, held_before_retire, held_after_retire = run_rotation(fleet, application, "intermediates", "-e", "pki_rotate_cas=intermediates")
    assert restarts["reissue"] == 0 and restarts["retire"] == 3, restarts
    assert all(node.restarts() > before[name] for name, node in cluster.nodes.items())
    assert not failed(application.calls()), failed(application.calls())[:3]
    assert held_before_retire and not held_after_retire
    current = fleet.identity("loop")
    assert accepted_everywhere(fleet, current), "the current identity is refused"


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


def test_pkilint_passes_every_certificate_the_rotations_left(fleet, cluster):
    """The new CAs, the reissued leaves and the bundles' certificates one by one; every certificate a node serves
    and the loop presents is among them."""
    pems = [path for path in sorted(fleet.root.rglob("*.pem")) if not path.name.endswith("-chain.pem") and not path.parent.name.startswith("held-")]
    linted = certificates_in(pems)
    served = cluster.config("node1")["global"]["tls"]
    chains = [Path(fleet.identity("loop")["cert"])] + [Path(served[group]["server"]["certFile"]) for group in ("internode", "frontend")]
    in_use = certificates_in(chains)
    assert set(in_use) <= set(linted), [cert.subject.rfc4514_string() for key, (_path, cert) in in_use.items() if key not in linted]
    findings = pkilint_findings(linted, fleet.root / "pkilint")
    assert not findings, findings


def test_revoking_the_identity_cuts_it_off(fleet, cluster, application):
    """mtls.temporal.revoke of the loop identity, the one identity of its client group: the group's CA leaves
    frontend-clients-ca.pem. Unless it was the bundle's first certificate, hot reload cannot see that, and the
    playbook restarts the nodes one at a time while an application with another identity fails no call. Afterwards
    every frontend refuses the identity, and the record holds its serial."""
    held = held_copy(fleet, "held-group")
    leaf, group_ca = x509.load_pem_x509_certificates(Path(held["cert"]).read_bytes())[:2]
    # Hot reload sees the change only when the group's CA was the bundle's first certificate.
    first_stays = x509.load_pem_x509_certificates((fleet.tls_dir("node1") / "frontend-clients-ca.pem").read_bytes())[0] != group_ca
    application.stop()
    others = temporal_cluster.WorkflowLoop(fleet, "other-identity", fleet.identity("cli"), "rotation-other-identity")
    try:
        others.wait_for_calls(5)
        proc, _hosts = fleet.playbook("mtls.temporal.revoke", "-e", "revoke_identity=" + LOOP_IDENTITY["name"])
        assert proc.returncode == 0, proc.stdout[-6000:]
        others.wait_for_calls(10)
    finally:
        others.stop()
    assert proc.stdout.count(RESTART_HANDLER) == (3 if first_stays else 0), proc.stdout[-6000:]
    assert not failed(others.calls()), failed(others.calls())[:3]
    for node in cluster.nodes:
        assert group_ca not in x509.load_pem_x509_certificates((fleet.tls_dir(node) / "frontend-clients-ca.pem").read_bytes())
    record = json.loads((fleet.pki / "revoked.json").read_text())
    assert [entry["serial_number"] for entry in record["identities"]["loop"]["certificates"]] == [format(leaf.serial_number, "x")]
    time.sleep(3)  # past refreshInterval (2s), for the case hot reload applies it
    cli = fleet.identity("cli")
    for address in fleet.frontend_addresses:
        with pytest.raises(ssl.SSLError, match=temporal_cluster.UNKNOWN_CA):
            temporal_cluster.tls12_handshake(address, cli["ca"], held["cert"], held["key"])
