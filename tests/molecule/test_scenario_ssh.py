"""Molecule scenario 'ssh' (extensions/molecule/ssh): the fleet over SSH with become, on real SSH hosts
(tests/harness/ssh_fleet.py), skipped where the machine forbids namespaces."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest
import yaml

import ssh_fleet
from molecule_runner import run_scenario

pytestmark = pytest.mark.slow

SERVERS = ("node1", "node2", "node3")
# The nodes that make their own keys (the CSR flow); node3's come from the controller.
NODE_KEYS = ("node1", "node2")
# Owns the nodes' files: neither the login user nor root, so an owner the roles did not set shows.
OWNER = "nobody"


@pytest.fixture(scope="module")
def ssh_hosts():
    reason = ssh_fleet.unsupported()
    if reason:
        pytest.skip(reason)
    with ssh_fleet.SshFleet(SERVERS + ("worker1",)) as hosts:
        yield hosts


def inventory(ssh_hosts):
    """What the scenario puts over extensions/molecule/shared/inventory.yml: the hosts' connections, their files under
    their own HOST_DIR written with become, the controller's in the fleet's state directory."""
    connections = ssh_hosts.host_vars()
    servers = {name: dict(connections[name], node_certs_ip_addresses=[ssh_hosts.addresses[name]]) for name in SERVERS}
    for name in NODE_KEYS:
        servers[name]["node_certs_key_placement"] = "node"
    return {"all": {
        "vars": {"fleet_root": ssh_fleet.HOST_DIR, "pki_dir": str(ssh_hosts.state / "controller" / "pki"),
                 "mtls_temporal_become": True, "fleet_owner": OWNER},
        "hosts": {"localhost": {"fleet_root": str(ssh_hosts.state / "controller"), "mtls_temporal_become": False}},
        "children": {"temporal_servers": {"hosts": servers}, "temporal_clients": {"hosts": {"worker1": connections["worker1"]}}},
    }}


def test_hosts_see_only_their_own_directory(ssh_hosts):
    marker = ssh_fleet.HOST_DIR + "/marker"
    assert ssh_hosts.ssh("node1", "sudo", "touch", marker).returncode == 0
    try:
        # The login user itself cannot write there: what the scenario writes took become.
        assert ssh_hosts.ssh("node1", "touch", ssh_fleet.HOST_DIR + "/by-login-user").returncode != 0
        assert ssh_hosts.host_path("node1", marker).exists()
        assert not ssh_hosts.host_path("node2", marker).exists()
        assert ssh_hosts.ssh("node2", "test", "-e", marker).returncode == 1
        assert not os.path.exists(marker)
    finally:
        ssh_hosts.ssh("node1", "sudo", "rm", "-f", marker)


def test_ssh_scenario(ssh_hosts):
    path = ssh_hosts.state / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory(ssh_hosts), sort_keys=False))
    run_scenario("ssh", wrap=ssh_hosts.command, MTLS_TEMPORAL_SSH_INVENTORY=str(path))

    # Read on disk: every node's keys are on that node, 0600, owned as configured; the controller holds none of the
    # keys made on the nodes, and does hold node3's, which it made.
    controller = [os.path.join(top, name) for top, _dirs, names in os.walk(ssh_hosts.state / "controller") for name in names]
    controller_bytes = [open(name, "rb").read() for name in controller]
    for name in SERVERS:
        for key in ("internode.key", "frontend.key"):
            path = ssh_hosts.host_path(name, "{0}/{1}/etc/temporal/tls/{2}".format(ssh_fleet.HOST_DIR, name, key))
            info = path.stat()
            assert stat.S_IMODE(info.st_mode) == 0o600, (name, key)
            assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == (OWNER, "nogroup"), (name, key)
            body = path.read_bytes()
            assert body.startswith(b"-----BEGIN PRIVATE KEY-----"), (name, key)
            assert any(body in data for data in controller_bytes) == (name not in NODE_KEYS), (name, key)
    # Nothing reached the machine's own view of the hosts' directory.
    assert not os.listdir(ssh_fleet.HOST_DIR)
