"""Runs a molecule scenario of extensions/molecule with the checkout's collection, and checks that every step of its
sequence ran: by pytest-ansible's molecule support, or, for a scenario that must run inside another namespace (the SSH
fleet's), as a command."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import BIN, QUIET, REPO, tool_env


def assert_scenario_passes(molecule_scenario, capfd, monkeypatch):
    """Run molecule_scenario (pytest-ansible's fixture: molecule test -s NAME from extensions/, its output on this
    process's stdout) and assert that it passed."""
    # pytest-ansible names the scenario's directory relative to the repository root.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", str(BIN) + os.pathsep + os.environ["PATH"])
    for name, value in QUIET.items():
        monkeypatch.setenv(name, value)
    proc = molecule_scenario.test()
    captured = capfd.readouterr()
    assert_passed(molecule_scenario.name, proc.returncode, captured.out + captured.err)


def run_scenario(name, wrap, **env_vars):
    """molecule test -s NAME run by the command wrap(argv) (the SSH fleet's runs it in its network namespace), with
    env_vars added to its environment; asserts that it passed."""
    env = tool_env(**env_vars)
    proc = subprocess.run(wrap([str(BIN / "molecule"), "test", "-s", name]), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert_passed(name, proc.returncode, proc.stdout + proc.stderr)


def assert_passed(name, returncode, output):
    """The run passed, check, converge, idempotence and verify included."""
    # The failing task may be far from the end of a long run: its lines come first.
    failures = [line for line in output.splitlines() if line.startswith(("fatal:", "failed:", "[ERROR]"))]
    assert returncode == 0, "\n".join(failures) + "\n...\n" + output[-8000:]
    for action in ("check", "converge", "idempotence", "verify"):
        assert re.search(r"{0} (?:>|➜) {1}: Executed: Successful".format(name, action), output), output[-3000:]
