"""The README's module example, as written there, run by real ansible-playbook against two local nodes: the paths
moved under a temporary directory and the owner set to this user, nothing else changed. The CA key and the signing
stay in the controller's directory, each node gets only its own files, and a rerun changes nothing."""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import stat
import subprocess

import pytest
import yaml
from cryptography import x509

from conftest import BIN, REPO, snapshot, tool_env

pytestmark = pytest.mark.slow

RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", re.M)
NODES = {"node1": "127.0.5.1", "node2": "127.0.5.2"}


def readme_example():
    text = (REPO / "README.md").read_text()
    return text.split("```yaml\n", 1)[1].split("```\n", 1)[0]


def playbook_for(tmp_path):
    """The example with its controller directory and the nodes' directory under tmp_path, and this user as owner."""
    me, my_group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    text = readme_example().replace("/srv/temporal-pki", str(tmp_path / "controller"))
    text = text.replace("/etc/temporal/tls/", str(tmp_path) + "/{{ inventory_hostname }}/etc/temporal/tls/")
    text = text.replace("owner: temporal", "owner: " + me).replace("group: temporal", "group: " + my_group)
    assert text.count(str(tmp_path)) == 4, text  # every path of the example moved
    return yaml.safe_load(text)


def play(tmp_path):
    inventory = {"temporal_servers": {"hosts": {name: {"node_ip": ip} for name, ip in NODES.items()},
                                      "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    env = tool_env()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "inventory.json"), str(tmp_path / "example.yml"),
                           "-e", json.dumps({"vault_root_ca_passphrase": "readme example passphrase"})],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "readme example passphrase" not in proc.stdout + proc.stderr
    return {host: int(changed) for host, changed in RECAP.findall(proc.stdout.rsplit("PLAY RECAP", 1)[1])}


def test_the_readme_example_signs_on_the_controller_and_ships_each_node_its_own(tmp_path):
    (tmp_path / "controller").mkdir()
    example = playbook_for(tmp_path)
    # Local connections cannot show where a task ran: the tasks that read a CA key say so themselves.
    for task in example[0]["tasks"]:
        args = next(value for key, value in task.items() if key.startswith("mtls.temporal."))
        if {"private_key_passphrase", "ca_private_key_path"} & set(args):
            assert task.get("delegate_to") == "localhost", task["name"]
    (tmp_path / "example.yml").write_text(yaml.safe_dump(example, sort_keys=False))
    assert play(tmp_path) == {"node1": 3, "node2": 2}  # the CA once, on node1's turn; each node's leaf and its files

    root = x509.load_pem_x509_certificate((tmp_path / "controller" / "root-ca.pem").read_bytes())
    files = []
    for name, ip in NODES.items():
        tls = tmp_path / name / "etc" / "temporal" / "tls"
        assert sorted(os.listdir(tls)) == ["ca.pem", "internode.key", "internode.pem"]
        assert stat.S_IMODE(os.stat(tls / "internode.key").st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tls).st_mode) == 0o750
        cert = x509.load_pem_x509_certificate((tls / "internode.pem").read_bytes())
        cert.verify_directly_issued_by(root)
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == [ip]
        assert (tls / "ca.pem").read_bytes() == (tmp_path / "controller" / "root-ca.pem").read_bytes()
        files += [str(tls / f) for f in os.listdir(tls)]
    # The CA key is in the controller's directory only.
    assert not [f for f in files if (tmp_path / "controller" / "root-ca.key").read_bytes() in open(f, "rb").read()]

    before = snapshot(*files, *(str(p) for p in (tmp_path / "controller").iterdir()))
    assert play(tmp_path) == {"node1": 0, "node2": 0}
    assert snapshot(*before) == before


@pytest.mark.parametrize("command", [["ansible", "--version"], ["ansible-doc", "-l", "mtls.temporal"],
                                     ["ansible-playbook", "-i", "docs/example-inventory.yml", "mtls.temporal.site", "--list-tasks"]])
def test_the_checkouts_tools_print_no_warning(command):
    """The commands the README tells a user to run, from the checkout's root, print no deprecation or Python warning
    (a library on the venv once made every command print one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / command[0])] + command[1:], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    warnings = [line for line in (proc.stdout + proc.stderr).splitlines() if re.search(r"WARNING|Warning:", line)]
    assert warnings == [], warnings
