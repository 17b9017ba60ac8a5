"""The collection as a user gets it: built into a tarball, installed with ansible-galaxy into a clean path, and the
site playbook run by its FQCN against that copy, from a directory outside the checkout (no ansible.cfg, no
.collections link). Used by test_collection_build.py (the checkout's ansible-core) and test_ansible_core_versions.py."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def clean_env(bin_dir, collections_path):
    """The environment of a user whose ansible-core is in bin_dir and whose collections are in collections_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               PATH=str(bin_dir) + os.pathsep + os.environ["PATH"])
    return env


def run(bin_dir, args, env, cwd, timeout=300):
    proc = subprocess.run([str(Path(bin_dir) / args[0])] + [str(a) for a in args[1:]], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, (proc.stdout[-4000:] + proc.stderr[-4000:])
    return proc.stdout


def install(bin_dir, tarball, work):
    """Installs tarball with bin_dir's ansible-galaxy into work/collections; returns that path."""
    collections = work / "collections"
    run(bin_dir, ["ansible-galaxy", "collection", "install", "-p", collections, tarball], clean_env(bin_dir, collections), work)
    assert (collections / "ansible_collections" / "mtls" / "temporal" / "MANIFEST.json").is_file()
    return collections


def smoke_inventory(root):
    """One controller, one server node and one client identity, all on this machine under root."""
    here = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    return {"all": {
        "vars": dict(here, mtls_temporal_become=False, pki_dir=str(root / "pki"),
                     node_certs_dir=str(root / "node1" / "tls"),
                     node_certs_internode_server_name="internode.temporal.test",
                     node_certs_frontend_server_names=["frontend.temporal.test"],
                     server_tls_config_path=str(root / "node1" / "config.yaml"),
                     server_tls_dynamic_config_path=str(root / "node1" / "dynamicconfig.yaml"),
                     client_certs_server_name="frontend.temporal.test",
                     client_certs_address="frontend.temporal.test:7233",
                     client_certs_identities=[{"name": "payments"}]),
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": {"node1": {"node_certs_ip_addresses": ["127.0.3.1"]}}}},
    }}


def site(bin_dir, collections, work, *options):
    """Runs mtls.temporal.site from the installed copy; returns {host: (changed, failed)}."""
    inventory = work / "inventory.yml"
    if not inventory.exists():
        inventory.write_text(yaml.safe_dump(smoke_inventory(work / "fleet")))
    out = run(bin_dir, ["ansible-playbook", "-i", inventory, "mtls.temporal.site", *options], clean_env(bin_dir, collections), work)
    recap = {m.group(1): (int(m.group(3)), int(m.group(5))) for m in RECAP.finditer(out)}
    assert set(recap) == {"localhost", "node1"}, out[-3000:]
    return recap, out


def smoke(bin_dir, tarball, work):
    """Install tarball, then check mode on the empty fleet, the first run and a rerun with nothing to do."""
    work.mkdir(exist_ok=True)
    collections = install(bin_dir, tarball, work)
    recap, out = site(bin_dir, collections, work, "--check", "--diff")
    assert not (work / "fleet").exists(), "check mode wrote files"
    recap, out = site(bin_dir, collections, work)
    assert all(changed > 0 for changed, _failed in recap.values()), out[-3000:]
    # The roles ran from the installed copy, not from a checkout.
    assert str(collections) in run(bin_dir, ["ansible-doc", "-t", "role", "mtls.temporal.pki"], clean_env(bin_dir, collections), work)
    for name in ("root-ca.pem", "servers-ca.pem", "clients-ca.pem"):
        assert (work / "fleet" / "pki" / name).is_file(), name
    assert yaml.safe_load((work / "fleet" / "node1" / "config.yaml").read_text())["global"]["tls"]["frontend"]["server"]["certFile"]
    before = {p: p.stat().st_mtime_ns for p in (work / "fleet").rglob("*") if p.is_file()}
    recap, out = site(bin_dir, collections, work)
    assert recap == {"localhost": (0, 0), "node1": (0, 0)}, out[-3000:]
    assert {p: p.stat().st_mtime_ns for p in (work / "fleet").rglob("*") if p.is_file()} == before
