"""The rotation's steps refuse to run out of order, every bundle puts the new CAs first, retire names every leaf still
on an old CA (the controller's copies and what the nodes and client hosts actually use) and every host it cannot
read, a rerun of each step changes nothing; leaf keys rotate without touching the CAs (renew, also for one node);
the emergency path needs a confirmation, and emergency and rotate_ca_step=all do all three steps in one run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from conftest import BIN, REPO

pytestmark = pytest.mark.slow


def inventory(root):
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "pki"), "node_certs_dir": str(root) + "/{{ inventory_hostname }}/tls",
            "node_certs_internode_server_name": "internode.temporal.rot",
            "server_tls_config_path": str(root) + "/{{ inventory_hostname }}/config.yaml",
            "client_certs_host_dir": str(root) + "/{{ inventory_hostname }}/clients",
            # payments stays on the controller; billing is also delivered to the worker host worker1.
            "client_certs_identities": [{"name": "payments"}, {"name": "billing", "host": "worker1"}],
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": {"node1": {}, "node2": {}}}, "temporal_clients": {"hosts": {"worker1": {}}}},
    }}


HOSTS = ("localhost", "node1", "node2", "worker1")
# Each bundle's CAs, as the pki role writes them, and where the fleet gets a copy.
BUNDLES = {
    "internode": (["servers-ca"], ["node1/tls/internode-ca.pem", "node2/tls/internode-ca.pem"]),
    "frontend-clients": (["clients-ca", "servers-ca"], ["node1/tls/frontend-clients-ca.pem", "node2/tls/frontend-clients-ca.pem"]),
    "server-roots": (["root-ca"], ["worker1/clients/billing/server-roots.pem"]),
}


def play(root, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=str(BIN) + os.pathsep + os.environ["PATH"])
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def rotate(root, step, *extra):
    return play(root, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=" + step, *extra)


def state(root):
    return json.loads((root / "pki" / "rotation.json").read_text())["state"]


def issuer_of(path):
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).issuer


def changed_per_host(proc):
    """{host: changed=} of the run's PLAY RECAP."""
    recap = proc.stdout.rsplit("PLAY RECAP", 1)[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", recap, re.M)}


def cas(directory):
    """{name: certificate} of the CA set in directory (pki_dir, or pki_dir/next during a rotation)."""
    return {name: x509.load_pem_x509_certificate((directory / (name + ".pem")).read_bytes()) for name in ("root-ca", "servers-ca", "clients-ca")}


def assert_bundles(root, *ca_sets):
    """Every bundle, on the controller and where the fleet has it, holds each CA set in this order (new first)."""
    for name, (members, copies) in BUNDLES.items():
        expected = [ca_set[member] for ca_set in ca_sets for member in members]
        for path in [root / "pki" / "bundles" / (name + ".pem")] + [root / copy for copy in copies]:
            assert x509.load_pem_x509_certificates(path.read_bytes()) == expected, path


def assert_bundle_contents(root, expected):
    """Every bundle, on the controller and where the fleet has it, holds exactly expected[name], in that order."""
    for name, (_members, copies) in BUNDLES.items():
        for path in [root / "pki" / "bundles" / (name + ".pem")] + [root / copy for copy in copies]:
            assert x509.load_pem_x509_certificates(path.read_bytes()) == expected[name], path


def issued_by(path, ca):
    """Whether ca signed the first certificate of the PEM file at path."""
    try:
        x509.load_pem_x509_certificate(Path(path).read_bytes()).verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def stale_list(proc):
    """The one line of retire's refusal that lists what is still on an old CA."""
    assert proc.returncode != 0 and "Not reissued from the new CAs yet" in proc.stdout, proc.stdout[-3000:]
    return proc.stdout.split("Not reissued from the new CAs yet")[1].split("\n")[0]


def digests(root):
    """{relative path: sha256} of every file the fleet and the controller hold."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file() and path.name != "inventory.json"}


def public_keys(root):
    """{relative path: public key} of every leaf private key, on the controller and on the hosts."""
    keys = {}
    for path in root.rglob("*.key"):
        if not path.name.endswith("-ca.key"):
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            keys[str(path.relative_to(root))] = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return keys


@pytest.fixture
def fleet(tmp_path):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory(tmp_path)))
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return tmp_path


def test_steps_out_of_order_are_refused_and_retire_lists_what_is_left(fleet):
    for step in ("reissue", "retire"):
        proc = rotate(fleet, step)
        assert proc.returncode != 0 and "cannot run while the rotation is 'none'" in proc.stdout, proc.stdout[-2000:]
    proc = rotate(fleet, "introduce")
    assert proc.returncode == 0 and state(fleet) == "introduced", proc.stdout[-3000:]
    new, old = cas(fleet / "pki" / "next"), cas(fleet / "pki")
    assert new["root-ca"] != old["root-ca"]
    assert_bundles(fleet, new, old)  # new + old, new first, on the controller, the nodes and the worker host
    proc = rotate(fleet, "introduce")
    assert proc.returncode == 0 and changed_per_host(proc) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    proc = rotate(fleet, "retire")
    assert proc.returncode != 0 and "cannot run while the rotation is 'introduced'" in proc.stdout

    # Reissue only reaches the controller and node1: node2's and worker1's leaves stay on the old CAs. On top of
    # that, node1 gets its old internode certificate back where it serves it (its controller copy stays new), the
    # controller's payments identity goes back to its old certificate, and node2 cannot be reached.
    deployed = fleet / "node1" / "tls" / "internode.pem"
    old_leaf, old_identity = deployed.read_bytes(), (fleet / "pki" / "clients" / "payments" / "client.pem").read_bytes()
    proc = rotate(fleet, "reissue", "--limit", "localhost,node1")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert deployed.read_bytes() != old_leaf
    deployed.write_bytes(old_leaf)
    (fleet / "pki" / "clients" / "payments" / "client.pem").write_bytes(old_identity)
    good = (fleet / "inventory.json").read_text()
    unreachable = json.loads(good)
    unreachable["all"]["children"]["temporal_servers"]["hosts"]["node2"] = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1}
    (fleet / "inventory.json").write_text(json.dumps(unreachable))
    stale = stale_list(rotate(fleet, "retire"))
    (fleet / "inventory.json").write_text(good)
    assert "nodes/node2/internode.pem" in stale and "nodes/node2/frontend.pem" in stale
    assert "nodes/node1/" not in stale and "node1:{0}".format(deployed) in stale and "node1/tls/frontend.pem" not in stale
    assert "node2 (unreachable: " in stale and "Connection refused" in stale
    assert "clients/payments/client.pem" in stale and "clients/billing/client.pem" not in stale
    assert "worker1:{0}".format(fleet / "worker1" / "clients" / "billing" / "client-chain.pem") in stale
    assert state(fleet) == "reissued" and (fleet / "pki" / "old").is_dir()

    # Reissuing again repairs all of it; then each step's rerun changes nothing.
    proc = rotate(fleet, "reissue")
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = rotate(fleet, "reissue")
    assert proc.returncode == 0 and changed_per_host(proc) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    proc = rotate(fleet, "retire")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert state(fleet) == "retired"
    assert proc.stdout.count("asked for (server_tls_force_restart)") == 2  # both nodes: their bundles lost the old CAs
    assert_bundles(fleet, new)  # the new CAs only
    proc = rotate(fleet, "retire")
    assert proc.returncode == 0 and changed_per_host(proc) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
    assert "asked for (server_tls_force_restart)" not in proc.stdout
    servers = issuer_of(fleet / "pki" / "servers-ca.pem")
    for node in ("node1", "node2"):
        assert (fleet / node / "tls" / "internode-ca.pem").read_text().count("BEGIN CERTIFICATE") == 1
        assert issuer_of(fleet / node / "tls" / "internode.pem") == x509.load_pem_x509_certificate(
            (fleet / "pki" / "servers-ca.pem").read_bytes()).subject
    assert servers == x509.load_pem_x509_certificate((fleet / "pki" / "root-ca.pem").read_bytes()).subject
    assert not (fleet / "pki" / "old").exists() and list((fleet / "pki").glob("retired-*"))


def test_leaf_keys_rotate_alone_then_emergency_and_all_do_every_step_in_one_run(fleet):
    # renew --limit node1 with force: new keys and certificates for node1, on the controller and on node1, nothing else.
    before, keys = digests(fleet), public_keys(fleet)
    proc = play(fleet, "mtls.temporal.renew", "--limit", "node1", "-e", "mtls_temporal_force_renew=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    after = digests(fleet)
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed and all(path.startswith(("pki/nodes/node1/", "node1/")) for path in changed), sorted(changed)
    assert {"pki/nodes/node1/internode.key", "pki/nodes/node1/frontend.key", "node1/tls/internode.key", "node1/tls/frontend.key"} <= changed

    # renew with force everywhere: every leaf key is new, the CAs and bundles are the same files; a rerun without
    # force changes nothing.
    keys_node1 = public_keys(fleet)
    proc = play(fleet, "mtls.temporal.renew", "-e", "mtls_temporal_force_renew=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    renewed = public_keys(fleet)
    # 2 nodes x 2 keys on the controller and on the node, payments on the controller, billing there and on worker1.
    assert len(renewed) == 11 and renewed.keys() == keys.keys(), sorted(renewed)
    assert all(renewed[path] != keys_node1[path] for path in renewed), [path for path in renewed if renewed[path] == keys_node1[path]]
    ca_files = (["pki/{0}-ca.{1}".format(ca, ext) for ca in ("root", "servers", "clients") for ext in ("pem", "key")]
                + ["pki/servers-ca-chain.pem", "pki/clients-ca-chain.pem"] + ["pki/bundles/{0}.pem".format(name) for name in BUNDLES])
    now = digests(fleet)
    assert [path for path in ca_files if now[path] != before[path]] == []
    same = cas(fleet / "pki")
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "worker1/clients/billing/client-chain.pem", "pki/clients/payments/client.pem"):
        assert issued_by(fleet / path, same["clients-ca" if "/client" in path else "servers-ca"]), path
    proc = play(fleet, "mtls.temporal.renew")
    assert proc.returncode == 0 and changed_per_host(proc) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]

    old_root = (fleet / "pki" / "root-ca.pem").read_bytes()
    proc = rotate(fleet, "emergency")
    assert proc.returncode != 0 and "Confirm with -e rotate_ca_emergency_confirmed=true" in proc.stdout
    assert not (fleet / "pki" / "rotation.json").exists()
    proc = rotate(fleet, "emergency", "-e", "rotate_ca_emergency_confirmed=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "EMERGENCY CA rotation" in proc.stdout and state(fleet) == "retired"
    assert (fleet / "pki" / "root-ca.pem").read_bytes() != old_root
    roots = (fleet / "pki" / "bundles" / "server-roots.pem").read_bytes()
    assert old_root not in roots and roots.count(b"BEGIN CERTIFICATE") == 1

    # rotate_ca_step=all: the three steps in one invocation, with the (shortest) pause after introduce and reissue.
    emergency = cas(fleet / "pki")
    proc = rotate(fleet, "all", "-e", "rotate_ca_pause_minutes=0")
    assert proc.returncode == 0 and state(fleet) == "retired", proc.stdout[-3000:]
    assert proc.stdout.count("TASK [Let clients and servers pick up this step]") == 3 and proc.stdout.count("Pausing for 1 seconds") == 2
    current = cas(fleet / "pki")
    assert all(current[name] != emergency[name] for name in current)
    assert_bundles(fleet, current)
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "worker1/clients/billing/client-chain.pem", "pki/clients/payments/client.pem"):
        assert issued_by(fleet / path, current["clients-ca" if "/client" in path else "servers-ca"]), path


def test_one_intermediate_rotates_under_the_same_root(fleet):
    """pki_rotate_cas=servers: a new servers intermediate from the current root; client identities stay as they are."""
    old = cas(fleet / "pki")
    proc = rotate(fleet, "introduce", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "introduced", proc.stdout[-3000:]
    assert sorted(path.name for path in (fleet / "pki" / "next").iterdir()) == ["servers-ca-chain.pem", "servers-ca.key", "servers-ca.pem"]
    new_servers = x509.load_pem_x509_certificate((fleet / "pki" / "next" / "servers-ca.pem").read_bytes())
    assert new_servers != old["servers-ca"] and new_servers.subject == old["servers-ca"].subject
    new_servers.verify_directly_issued_by(old["root-ca"])
    # The new CA first, so that hot reload sees it, also ahead of the clients CA that is not replaced.
    assert_bundle_contents(fleet, {"internode": [new_servers, old["servers-ca"]],
                                   "frontend-clients": [new_servers, old["clients-ca"], old["servers-ca"]], "server-roots": [old["root-ca"]]})

    # The rotation in progress replaces servers: a step that names something else is refused and changes nothing.
    before = digests(fleet)
    proc = rotate(fleet, "reissue", "-e", "pki_rotate_cas=clients")
    assert proc.returncode != 0 and "the rotation in progress replaces servers" in proc.stdout, proc.stdout[-3000:]
    assert digests(fleet) == before and state(fleet) == "introduced"

    proc = rotate(fleet, "reissue", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "reissued", proc.stdout[-3000:]
    after = digests(fleet)
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "pki/nodes/node1/frontend.pem"):
        assert issued_by(fleet / path, new_servers) and after[path] != before[path], path
    unchanged = [path for path in before if path.startswith(("pki/clients/", "worker1/clients/billing/client"))
                 or path in ("pki/root-ca.pem", "pki/root-ca.key", "pki/clients-ca.pem", "pki/clients-ca.key")]
    assert unchanged and [path for path in unchanged if after[path] != before[path]] == []
    assert sorted(path.name for path in (fleet / "pki" / "old").iterdir()) == ["servers-ca-chain.pem", "servers-ca.key", "servers-ca.pem"]

    proc = rotate(fleet, "retire", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "retired", proc.stdout[-3000:]
    assert_bundle_contents(fleet, {"internode": [new_servers], "frontend-clients": [new_servers, old["clients-ca"]], "server-roots": [old["root-ca"]]})
    proc = rotate(fleet, "retire", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and changed_per_host(proc) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
