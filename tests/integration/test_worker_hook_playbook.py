"""Renewal reaches running workers, through real ansible-playbook runs of mtls.temporal.pki and
mtls.temporal.client_certs: an identity's on_change command runs on its host when the files delivered there change
(first delivery, a renewal), and not when nothing changed."""

from __future__ import annotations

import json
import subprocess

from conftest import BIN, REPO, tool_env


def inventory(root):
    hook = ["sh", "-c", 'echo "$0" >> "$1"', "{{ inventory_hostname }}", str(root / "hook.log")]
    return {"all": {
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
            "pki_dir": str(root / "controller" / "pki"),
            "client_certs_server_name": "frontend.temporal.test",
            "client_certs_host_dir": str(root) + "/{{ inventory_hostname }}/clients",
            "client_certs_identities": [{"name": "payments", "host": "worker1", "on_change": hook}, {"name": "billing", "host": "worker1"}],
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_clients": {"hosts": {"worker1": {}}}},
    }}


def play(root, name, *args):
    env = tool_env()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), name, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return proc


def test_the_on_change_command_runs_when_the_identitys_files_change(tmp_path):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory(tmp_path)))
    hook_log = tmp_path / "hook.log"
    play(tmp_path, "mtls.temporal.pki")
    play(tmp_path, "mtls.temporal.client_certs")
    assert hook_log.read_text().splitlines() == ["worker1"]  # payments only: billing has no on_change
    play(tmp_path, "mtls.temporal.client_certs")
    assert hook_log.read_text().splitlines() == ["worker1"]
    play(tmp_path, "mtls.temporal.client_certs", "-e", "client_certs_force=true")
    assert hook_log.read_text().splitlines() == ["worker1", "worker1"]
