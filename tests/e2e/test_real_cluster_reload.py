"""What the real server does with what the collection renders while it runs: expirationChecks warn about a
certificate inside the window, and refreshInterval serves a reissued leaf with no restart, which is why
server_tls asks for none. Nodes that join it with a wrong certificate or without ringpop TLS are refused.
This module runs its own cluster, because it adds and removes nodes."""

from __future__ import annotations

import hashlib
import json
import shutil
import time

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import temporal_cluster

pytestmark = pytest.mark.slow

# Wider than the node certificates' 365 days: every one of them is inside the warning window from the start.
# A second name the frontend answers to with a certificate of its own (frontend.hostOverrides).
OTHER_NAME = "other.temporal.test"
EXPIRATION_CHECKS = {"warning_window": "400d", "error_window": "1d", "check_interval": "2s"}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return temporal_cluster.Fleet.deployed(tmp_path_factory.mktemp("reload"), extra_vars={"server_tls_expiration_checks": EXPIRATION_CHECKS})


def served_frontend_certificate(fleet, server_name=temporal_cluster.FRONTEND_NAME):
    """The certificate the frontend serves to a client that sends server_name (SNI)."""
    ident = fleet.identity("cli")
    return x509.load_der_x509_certificate(temporal_cluster.tls12_handshake(fleet.frontend_address, ident["ca"], ident["cert"], ident["key"], server_name))


def shipped_certificate(fleet, node, name):
    return x509.load_pem_x509_certificate((fleet.tls_dir(node) / name).read_bytes())


def test_expiration_checks_warn_about_a_certificate_inside_the_window(cluster, fleet):
    frontend = shipped_certificate(fleet, "node1", "frontend.pem")
    # The server names a certificate by the MD5 of its DER form.
    thumbprint = hashlib.md5(frontend.public_bytes(serialization.Encoding.DER)).hexdigest()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        warnings = [json.loads(line) for line in cluster.nodes["node1"].log_lines("will expire on")]
        if any(thumbprint in entry["msg"] for entry in warnings):
            break
        time.sleep(1)
    else:
        pytest.fail("no expiration warning for the frontend certificate (thumbprint {0}) in node1's log".format(thumbprint))
    # Inside the warning window but not the one-day error window: a warning, not an error.
    assert {entry["level"] for entry in warnings if thumbprint in entry["msg"]} == {"warn"}


def test_a_reissued_leaf_is_served_without_a_restart(cluster, fleet):
    pids = {name: node.pid for name, node in cluster.nodes.items()}
    before = served_frontend_certificate(fleet)
    proc, hosts = fleet.playbook("mtls.temporal.fleet", "-e", "node_certs_force=true")
    assert proc.returncode == 0, proc.stdout[-4000:]
    # Only leaf files changed: the role must not ask for a restart, hot reload is enough.
    assert "Say why the server must restart" in proc.stdout
    assert restart_task_output(proc.stdout).strip() == "", restart_task_output(proc.stdout)
    reissued = shipped_certificate(fleet, "node1", "frontend.pem")
    assert reissued != before
    deadline = time.monotonic() + 30
    while served_frontend_certificate(fleet) != reissued:
        assert time.monotonic() < deadline, "the frontend still serves the old certificate 30s after it was reissued"
        time.sleep(0.5)
    assert {name: node.pid for name, node in cluster.nodes.items()} == pids
    assert all(node.alive() for node in cluster.nodes.values())
    # The reissued internode certificates carry on: work still crosses every node.
    result = temporal_cluster.python_worker(fleet, "after-reissue")
    assert result["ok"], result
    assert hosts["node1"]["changed"] > 0


def restart_task_output(stdout):
    """What the restart-request task printed (only skipping lines when no node needs a restart)."""
    lines = stdout.split("Say why the server must restart", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return "\n".join(line for line in lines if not line.startswith("skipping:"))


def test_a_node_whose_internode_certificate_lacks_the_dialled_name_cannot_serve(cluster, fleet, leaf_factory):
    """A further matching node whose internode certificate is signed by the right CA but lacks the serverName its
    peers verify. It gets into ringpop (it dialled the seeds itself, and the gossip goes back over that connection),
    but every internode gRPC call to it fails the name check, and the callers' logs say so. This is what
    temporal_tls_config refuses to render."""
    address = fleet.add_node("node4", "node3", ["matching"])
    servers_ca = {"path": str(fleet.pki / "servers-ca-chain.pem"), "private_key_path": str(fleet.pki / "servers-ca.key")}
    wrong = leaf_factory("node4-internode", "internode", servers_ca, dns_names=["node4"], ip_addresses=[address])
    shutil.copyfile(wrong["chain_path"], fleet.tls_dir("node4") / "internode.pem")
    shutil.copyfile(wrong["private_key_path"], fleet.tls_dir("node4") / "internode.key")
    cluster.start_node("node4")
    try:
        cluster.until("node4 in membership", cluster._gossip, lambda proc: cluster.listed("node4", proc), timeout=60)
        described = [cluster.cli("task-queue", "describe", "--task-queue", "probe-{0}".format(index), "--namespace",
                                 temporal_cluster.NAMESPACE, "--command-timeout", "5s", timeout=30) for index in range(4)]
        assert any(proc.returncode != 0 for proc in described)
        refusal = "x509: certificate is valid for node4, not " + temporal_cluster.INTERNODE_NAME
        assert cluster.nodes["node1"].log_lines(refusal), "the frontend's log does not say why node4 is unreachable"
    finally:
        cluster.remove_node("node4")
    cluster.until("node4 out of membership", cluster._gossip, lambda proc: not cluster.listed("node4", proc), timeout=60)


def test_a_ringpop_peer_without_tls_is_refused(cluster, fleet):
    """The same node as node3 but with system.enableRingpopTLS off: its plaintext gossip meets the peers' TLS
    listeners, it never joins, and it gives up and exits saying so."""
    fleet.add_node("node5", "node3", ["worker"], dynamic_config={"system.enableRingpopTLS": [{"value": False}]})
    config = cluster.config("node5")
    # Give up after 5s rather than the fleet's 30s: the outcome is the same, the test is shorter.
    config["global"]["membership"]["maxJoinDuration"] = "5s"
    fleet.config_path("node5").write_text(yaml.safe_dump(config, sort_keys=False))
    node = cluster.start_node("node5")
    try:
        seen = []
        deadline = time.monotonic() + 60
        while node.alive() and time.monotonic() < deadline:
            seen.append(cluster.listed("node5", cluster._gossip()))
            time.sleep(1)
        assert not node.alive(), "node5 still runs 60s after it started without ringpop TLS"
        assert node.proc.returncode != 0
        assert not any(seen), "node5 was listed in membership"
        assert node.log_lines("unable to bootstrap ringpop"), node.log()[-3000:]
    finally:
        cluster.remove_node("node5")


def test_a_host_override_serves_its_own_certificate_for_its_name(cluster, fleet, leaf_factory):
    """server_tls_frontend_host_overrides renders frontend.hostOverrides: a client that sends the other name gets the
    other certificate (the server picks it by SNI), one that sends the frontend's name the frontend certificate, and
    both complete a call. A new hostOverrides entry is static config: server_tls asks for a restart."""
    tls_dir = fleet.tls_dir("node1")
    servers_ca = {"path": str(fleet.pki / "servers-ca-chain.pem"), "private_key_path": str(fleet.pki / "servers-ca.key")}
    other = leaf_factory("other", "frontend", servers_ca, dns_names=[OTHER_NAME], path=str(tls_dir / "other.pem"),
                         chain_path=str(tls_dir / "other-chain.pem"), private_key_path=str(tls_dir / "other.key"))
    overrides = {OTHER_NAME: {"cert_file": other["chain_path"], "key_file": other["private_key_path"],
                              "client_ca_files": [str(tls_dir / "frontend-clients-ca.pem")], "require_client_auth": True}}
    proc, hosts = fleet.playbook("mtls.temporal.server_tls", "--limit", "node1", "-e", json.dumps({"server_tls_frontend_host_overrides": overrides}))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert hosts["node1"]["changed"] >= 1 and "static TLS config changed" in proc.stdout, proc.stdout[-4000:]
    assert cluster.config("node1")["global"]["tls"]["frontend"]["hostOverrides"][OTHER_NAME]["certFile"] == other["chain_path"]
    cluster.restart_node("node1")
    expected = x509.load_pem_x509_certificate(open(other["path"], "rb").read())
    assert served_frontend_certificate(fleet, OTHER_NAME) == expected
    assert served_frontend_certificate(fleet) == shipped_certificate(fleet, "node1", "frontend.pem")
    for name in (OTHER_NAME, temporal_cluster.FRONTEND_NAME):
        result = temporal_cluster.sdk_worker("go", fleet, "override-" + name, server_name=name)
        assert result["ok"], (name, result)
