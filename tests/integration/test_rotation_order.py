"""The rotation's steps refuse to run out of order, retire names every leaf still on an old CA, and the emergency
path needs a confirmation and then does all three steps in one run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from conftest import BIN, REPO

pytestmark = pytest.mark.slow


def inventory(root):
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "pki"), "node_certs_dir": str(root) + "/{{ inventory_hostname }}/tls",
            "node_certs_internode_server_name": "internode.temporal.rot",
            "server_tls_config_path": str(root) + "/{{ inventory_hostname }}/config.yaml",
            "client_certs_identities": [{"name": "payments"}],
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": {"node1": {}, "node2": {}}}},
    }}


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
    assert rotate(fleet, "introduce").returncode == 0 and state(fleet) == "introduced"
    bundle = (fleet / "node1" / "tls" / "internode-ca.pem").read_text()
    assert bundle.count("BEGIN CERTIFICATE") == 2  # new + old on the node
    proc = rotate(fleet, "retire")
    assert proc.returncode != 0 and "cannot run while the rotation is 'introduced'" in proc.stdout

    # Reissue only reaches node1: node2 keeps certificates from the old CA, and retire must say so.
    proc = rotate(fleet, "reissue", "--limit", "localhost,node1")
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = rotate(fleet, "retire")
    assert proc.returncode != 0 and "Not reissued from the new CAs yet" in proc.stdout
    assert "nodes/node2/internode.pem" in proc.stdout and "nodes/node2/frontend.pem" in proc.stdout
    assert "nodes/node1/" not in proc.stdout.split("Not reissued from the new CAs yet")[1].split("\n")[0]

    assert rotate(fleet, "reissue").returncode == 0
    proc = rotate(fleet, "retire")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert state(fleet) == "retired"
    servers = issuer_of(fleet / "pki" / "servers-ca.pem")
    for node in ("node1", "node2"):
        assert (fleet / node / "tls" / "internode-ca.pem").read_text().count("BEGIN CERTIFICATE") == 1
        assert issuer_of(fleet / node / "tls" / "internode.pem") == x509.load_pem_x509_certificate(
            (fleet / "pki" / "servers-ca.pem").read_bytes()).subject
    assert servers == x509.load_pem_x509_certificate((fleet / "pki" / "root-ca.pem").read_bytes()).subject
    assert not (fleet / "pki" / "old").exists() and list((fleet / "pki").glob("retired-*"))


def test_emergency_needs_a_confirmation_then_does_everything(fleet):
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
