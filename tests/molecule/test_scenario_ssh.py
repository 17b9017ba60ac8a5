"""Molecule scenario 'ssh' (extensions/molecule/ssh): the fleet over SSH with become, on real SSH hosts
(tests/harness/ssh_fleet.py), skipped where the machine forbids namespaces."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import subprocess

import pytest
import yaml
from cryptography import x509

import ssh_fleet
from conftest import BIN, REPO, changed_per_host, tool_env
from molecule_runner import run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.long]

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


def host_file(ssh_hosts, name, relative):
    return ssh_hosts.host_path(name, "{0}/{1}/etc/temporal/{2}".format(ssh_fleet.HOST_DIR, name, relative))


def assert_keys_placed(ssh_hosts):
    """Read on disk: every node's keys are on that node, 0600, owned as configured; the controller holds none of the
    keys made on the nodes, and does hold node3's, which it made."""
    controller = [os.path.join(top, name) for top, _dirs, names in os.walk(ssh_hosts.state / "controller") for name in names]
    controller_bytes = [open(name, "rb").read() for name in controller]
    for name in SERVERS:
        for key in ("internode.key", "frontend.key"):
            info = host_file(ssh_hosts, name, "tls/" + key).stat()
            assert stat.S_IMODE(info.st_mode) == 0o600, (name, key)
            assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == (OWNER, "nogroup"), (name, key)
            body = host_file(ssh_hosts, name, "tls/" + key).read_bytes()
            assert body.startswith(b"-----BEGIN PRIVATE KEY-----"), (name, key)
            assert any(body in data for data in controller_bytes) == (name not in NODE_KEYS), (name, key)


def rotate(ssh_hosts, inventory_path, step):
    """One rotate_ca step over SSH, with the scenario's inventories and extra variables; returns its output."""
    argv = [str(BIN / "ansible-playbook"), "-i", str(REPO / "extensions" / "molecule" / "shared" / "inventory.yml"), "-i", str(inventory_path),
            "-e", "node_certs_validity=30d", "-e", "rotate_ca_step=" + step, "mtls.temporal.rotate_ca"]
    env = tool_env()
    proc = subprocess.run(ssh_hosts.command(argv), cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc.stdout


def test_ssh_scenario(ssh_hosts):
    path = ssh_hosts.state / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory(ssh_hosts), sort_keys=False))
    run_scenario("ssh", wrap=ssh_hosts.command, MTLS_TEMPORAL_SSH_INVENTORY=str(path))
    assert_keys_placed(ssh_hosts)
    # Nothing reached the machine's own view of the hosts' directory.
    assert not os.listdir(ssh_fleet.HOST_DIR)

    # Then a whole CA rotation over SSH: after retire every node serves and trusts only the new CAs, the nodes that
    # make their own keys still do, and a second retire changes nothing anywhere.
    pki = ssh_hosts.state / "controller" / "pki"
    old_servers = x509.load_pem_x509_certificate((pki / "servers-ca.pem").read_bytes())
    for step in ("introduce", "reissue", "retire"):
        rotate(ssh_hosts, path, step)
    new_servers = x509.load_pem_x509_certificate((pki / "servers-ca.pem").read_bytes())
    assert new_servers != old_servers
    for name in SERVERS:
        for leaf in ("internode.pem", "frontend.pem"):
            x509.load_pem_x509_certificate(host_file(ssh_hosts, name, "tls/" + leaf).read_bytes()).verify_directly_issued_by(new_servers)
        assert x509.load_pem_x509_certificates(host_file(ssh_hosts, name, "tls/internode-ca.pem").read_bytes()) == [new_servers], name
    assert_keys_placed(ssh_hosts)
    output = rotate(ssh_hosts, path, "retire")
    assert changed_per_host(output) == dict.fromkeys(("localhost",) + SERVERS + ("worker1",), 0), output[-3000:]
