"""The rotation tests' fleet: a controller, two Temporal nodes and a worker host, each its own directory, and how to
run and read it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from conftest import BIN, REPO, tool_env


def inventory(root):
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "pki"), "node_certs_dir": str(root) + "/{{ inventory_hostname }}/tls",
            "node_certs_internode_server_name": "internode.temporal.rot",
            # The name the profiles dial, which every frontend certificate carries (client_certs checks it).
            "node_certs_frontend_server_names": ["frontend.temporal.rot"], "client_certs_server_name": "frontend.temporal.rot",
            "server_tls_config_path": str(root) + "/{{ inventory_hostname }}/config.yaml",
            "server_tls_dynamic_config_path": str(root) + "/{{ inventory_hostname }}/dynamicconfig.yaml",
            "client_certs_host_dir": str(root) + "/{{ inventory_hostname }}/clients",
            # payments stays on the controller; billing, of the accounting client group (its own intermediate), is also
            # delivered to the worker host worker1.
            "pki_client_groups": [{"name": "accounting"}],
            "client_certs_identities": [{"name": "payments"}, {"name": "billing", "host": "worker1", "client_group": "accounting"}],
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": {"node1": {}, "node2": {}}}, "temporal_clients": {"hosts": {"worker1": {}}}},
    }}


def counting_restarts(root):
    """Variables under which server_tls manages the nodes' service, each restart appending a line to <node>/restarts."""
    return dict(server_tls_manage_service=True,
                server_tls_restart_command=["sh", "-c", "echo restarted >> " + str(root) + "/{{ inventory_hostname }}/restarts"])


def restarts(root):
    """{node: how many times counting_restarts restarted it}."""
    return {node: len((root / node / "restarts").read_text().splitlines()) if (root / node / "restarts").exists() else 0
            for node in ("node1", "node2")}


HOSTS = ("localhost", "node1", "node2", "worker1")
CA_NAMES = ("root-ca", "servers-ca", "clients-ca", "clients-accounting-ca")
# Each bundle's CAs, as the pki role writes them, and where the fleet gets a copy.
BUNDLES = {
    "internode": (["servers-ca"], ["node1/tls/internode-ca.pem", "node2/tls/internode-ca.pem"]),
    "frontend-clients": (["clients-accounting-ca", "clients-ca", "servers-ca"], ["node1/tls/frontend-clients-ca.pem", "node2/tls/frontend-clients-ca.pem"]),
    "server-roots": (["root-ca"], ["worker1/clients/billing/server-roots.pem"]),
}


def play(root, *args):
    env = tool_env()
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def rotate(root, step, *extra):
    return play(root, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=" + step, *extra)


def state(root):
    return json.loads((root / "pki" / "rotation.json").read_text())["state"]


def issuer_of(path):
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).issuer


def cas(directory):
    """{name: certificate} of the CA set in directory (pki_dir, or pki_dir/next during a rotation)."""
    return {name: x509.load_pem_x509_certificate((directory / (name + ".pem")).read_bytes()) for name in CA_NAMES}


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


def make_fleet(tmp_path):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory(tmp_path)))
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return tmp_path
