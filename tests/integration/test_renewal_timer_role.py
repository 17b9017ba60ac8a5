"""The renewal_timer role: check mode writes nothing, the units it writes pass systemd-analyze verify, a rerun
changes nothing, and the service's command, read back as systemd reads a command line, runs its playbook against
a fleet and issues its certificates. A value that would break a unit is refused."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from conftest import BIN, REPO, changed_per_host, tool_env
from rotation_fleet import inventory

pytestmark = pytest.mark.slow
# Words systemd must not expand: a specifier and a variable.
EXTRA_ARGS = ["-e", '{"renewal_note": "100% of $HOME"}']


def run_role(tmp_path, *options, **role_vars):
    playbook = tmp_path / "timer.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Timer", "hosts": "localhost", "connection": "local", "gather_facts": False,
                                         "roles": [{"role": "mtls.temporal.renewal_timer", "vars": role_vars}]}]))
    env = tool_env()
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook), *options], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def exec_start(unit):
    """The argv of ExecStart=: systemd's double-quote rules are the shell's for \\ and \", and %% and $$ stand for % and $."""
    line = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(line)]


def test_the_timer_runs_its_playbook_and_a_rerun_changes_nothing(tmp_path):
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "inventory.json").write_text(json.dumps(inventory(fleet)))
    units = tmp_path / "units"
    units.mkdir()
    role_vars = dict(renewal_timer_inventory=str(fleet / "inventory.json"), renewal_timer_unit_dir=str(units), renewal_timer_enable=False,
                     renewal_timer_working_directory=str(REPO), renewal_timer_extra_args=EXTRA_ARGS,
                     # A fleet with no CA yet: the site playbook makes everything, where renew finds nothing to renew from.
                     renewal_timer_playbook="mtls.temporal.site")

    proc = run_role(tmp_path, "--check", "--diff", **role_vars)
    assert proc.returncode == 0 and "OnCalendar=daily" in proc.stdout, proc.stdout[-3000:]
    assert list(units.iterdir()) == []

    proc = run_role(tmp_path, **role_vars)
    assert proc.returncode == 0, proc.stdout[-3000:]
    written = sorted(path.name for path in units.iterdir())
    assert written == ["temporal-mtls-renew.service", "temporal-mtls-renew.timer"]
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(["systemd-analyze", "verify", *(str(units / name) for name in written)], capture_output=True, text=True,
                                timeout=60, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr

    proc = run_role(tmp_path, **role_vars)
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == {"localhost": 0}, proc.stdout[-3000:]

    service = (units / "temporal-mtls-renew.service").read_text()
    argv = exec_start(service)
    assert argv == [str(BIN / "ansible-playbook"), "-i", str(fleet / "inventory.json"), "mtls.temporal.site", *EXTRA_ARGS]
    assert re.search(r"^WorkingDirectory=(.*)$", service, re.M).group(1) == str(REPO)
    renewal = subprocess.run(argv, cwd=REPO, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, timeout=600, check=False)
    assert renewal.returncode == 0, renewal.stdout[-3000:]
    assert (fleet / "node1" / "tls" / "frontend.pem").exists() and (fleet / "pki" / "clients" / "payments" / "client.pem").exists()


def test_a_value_that_would_break_a_unit_is_refused(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    proc = run_role(tmp_path, renewal_timer_inventory="/srv/inventory.yml", renewal_timer_unit_dir=str(units), renewal_timer_enable=False,
                    renewal_timer_user="ansible\nExecStartPre=/bin/false")
    assert proc.returncode != 0
    assert "renewal_timer_user: " in proc.stdout and "holds a line break or another control character" in proc.stdout, proc.stdout[-3000:]
    assert list(units.iterdir()) == []
