"""temporal_role_args checks a role's variables as ansible-core's own role argument validation does, and its
per-host result stays small (real ansible-playbook runs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from conftest import BIN, REPO, tool_env

pytestmark = pytest.mark.slow


# A recorder: every task result the controller gets, as the callbacks see it, with the task's arguments.
RECORDER = '''
from __future__ import annotations
DOCUMENTATION = """
name: recorder
type: aggregate
short_description: record results
description: test helper
"""
import json, os
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "recorder"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result):
        self._write(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result)

    def _write(self, result):
        with open(os.environ["RECORDER_OUT"], "a") as out:
            out.write(json.dumps(dict(task=result.task_name, action=result._task.action, args=result._task.args,
                                      result=result._result), default=str) + "\\n")
'''


def run(tmp_path, tasks, extra=None):
    (tmp_path / "callbacks").mkdir(exist_ok=True)
    (tmp_path / "callbacks" / "recorder.py").write_text(RECORDER)
    play = dict(hosts="localhost", gather_facts=False, vars=dict(pki_dir=str(tmp_path / "pki")), tasks=tasks)
    (tmp_path / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    record = tmp_path / "record.jsonl"
    if record.exists():
        record.unlink()
    env = tool_env(RECORDER_OUT=str(record), ANSIBLE_CALLBACK_PLUGINS=str(tmp_path / "callbacks"), ANSIBLE_CALLBACKS_ENABLED="recorder")
    cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
           "-e", json.dumps(extra or {}), str(tmp_path / "play.yml")]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    records = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return proc, records


def validation_only(role, rolespec_validate):
    """The role, stopped right after its first tasks: a bad variable fails validation before anything runs."""
    return [{"ansible.builtin.import_role": {"name": "mtls.temporal." + role, "rolespec_validate": rolespec_validate}}]


@pytest.mark.parametrize("role, bad, phrase", [
    ("node_certs", {"node_certs_key_placement": "nodes"}, "node_certs_key_placement must be one of: controller, node, got: nodes"),
    ("server_tls", {"server_tls_output": "yaml"}, "server_tls_output must be one of: config, env, got: yaml"),
    ("client_certs", {"client_certs_identities": "payments"}, "client_certs_identities"),
])
def test_same_refusal_as_ansible_core_and_nothing_runs_after_it(tmp_path, role, bad, phrase):
    ours, ours_records = run(tmp_path, validation_only(role, False), bad)
    assert ours.returncode != 0, ours.stdout[-3000:]
    assert "Validation of arguments failed" in ours.stdout and phrase in ours.stdout, ours.stdout[-3000:]
    assert [r["action"] for r in ours_records] == ["mtls.temporal.temporal_role_args"], ours_records
    assert ours_records[0]["result"]["validate_args_context"]["name"] == role

    core, core_records = run(tmp_path, validation_only(role, True), bad)
    assert core.returncode != 0 and phrase in core.stdout, core.stdout[-3000:]
    assert core_records[0]["action"] == "ansible.builtin.validate_argument_spec"
    assert sorted(ours_records[0]["result"]["argument_errors"]) == sorted(core_records[0]["result"]["argument_errors"])


def test_a_passing_check_is_small_where_ansible_cores_carries_the_spec(tmp_path):
    # The check alone, as the role's first task runs it, against ansible-core's with the same spec.
    ours = [{"name": "Ours", "mtls.temporal.temporal_role_args": {"role_path": str(REPO / "roles" / "server_tls")}}]
    spec = yaml.safe_load((REPO / "roles" / "server_tls" / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    core = [{"name": "Core", "ansible.builtin.validate_argument_spec": {"argument_spec": spec}}]
    proc, records = run(tmp_path, ours + core, {"server_tls_output": "config"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    by_task = {r["task"]: r for r in records}
    assert by_task["Ours"]["result"]["msg"] == by_task["Core"]["result"]["msg"] == "The arg spec validation passed"
    assert len(json.dumps(by_task["Ours"]["args"])) < 200 < 3000 < len(json.dumps(by_task["Core"]["args"]))


def run_node_certs(tmp_path, servers, strategy=None, **env_vars):
    """The node_certs role alone on local hosts servers ({name: host variables}), under the play's strategy if given."""
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                         "children": {"temporal_servers": {"hosts": servers}}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    paths = dict(node_certs_pki_dir=str(tmp_path / "pki"), node_certs_dir=str(tmp_path) + "/{{ inventory_hostname }}")
    play = dict(hosts="temporal_servers", gather_facts=False, vars=paths, **({"strategy": strategy} if strategy else {}),
                tasks=[{"ansible.builtin.import_role": {"name": "mtls.temporal.node_certs", "rolespec_validate": False}}])
    (tmp_path / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    env = tool_env(**env_vars)
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "inventory.json"), str(tmp_path / "play.yml")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_one_run_checks_every_host_of_the_play_and_names_the_bad_one(tmp_path):
    """The fleet roles validate once for the play: a bad value in one host's inventory stops the play before any host
    changes anything, and the error names that host."""
    proc = run_node_certs(tmp_path, {"node1": {}, "node2": {"node_certs_ip_addresses": {"lb": "10.0.0.1"}},
                                     "node3": {"node_certs_validity": ["365d"]}})
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "node2: argument 'node_certs_ip_addresses' is of type dict and we were unable to convert to list" in proc.stdout, proc.stdout[-3000:]
    assert "node3: node_certs_validity is of type list, not a string" in proc.stdout, proc.stdout[-3000:]
    assert proc.stdout.count("TASK [") == 1, proc.stdout[-3000:]  # the check, once; nothing after it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inventory.json", "play.yml"]


@pytest.mark.parametrize("strategy, where", [("free", "env"), ("host_pinned", "play")])
def test_a_strategy_that_runs_run_once_per_host_is_refused_before_anything_is_written(tmp_path, strategy, where):
    """free and host_pinned run a run_once task for each host as it gets there, so the batch that issues every node's
    certificates would run once per node, each before the other nodes had described theirs."""
    if where == "env":
        proc = run_node_certs(tmp_path, {"node1": {}, "node2": {}}, ANSIBLE_STRATEGY=strategy)
    else:
        proc = run_node_certs(tmp_path, {"node1": {}, "node2": {}}, strategy=strategy)
    assert proc.returncode != 0, proc.stdout[-3000:]
    refusal = ("node_certs handles all of the play's hosts in single run_once tasks, which the '{0}' strategy runs again for "
               "every host, each before the others are ready: run this play with the linear strategy").format(strategy)
    assert refusal in proc.stdout, proc.stdout[-3000:]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inventory.json", "play.yml"]
    # Under the linear strategy the same play gets past the check, to the batch that needs the servers CA (not made here).
    proc = run_node_certs(tmp_path, {"node1": {}, "node2": {}}, strategy="linear")
    assert "strategy runs again" not in proc.stdout and "servers-ca-chain.pem does not exist" in proc.stdout, proc.stdout[-3000:]
