"""Runs a molecule scenario of extensions/molecule by pytest-ansible's molecule support, with the checkout's
collection, and checks that every step of its sequence ran."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def assert_scenario_passes(molecule_scenario, capfd, monkeypatch):
    """Run molecule_scenario (pytest-ansible's fixture: molecule test -s NAME from extensions/, its output on this
    process's stdout) and assert that it passed, check, converge, idempotence and verify included."""
    # pytest-ansible names the scenario's directory relative to the repository root.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", str(BIN) + os.pathsep + os.environ["PATH"])
    for name, value in (("ANSIBLE_NOCOLOR", "1"), ("PY_COLORS", "0"), ("NO_COLOR", "1")):
        monkeypatch.setenv(name, value)
    proc = molecule_scenario.test()
    captured = capfd.readouterr()
    output = captured.out + captured.err
    # The failing task may be far from the end of a long run: its lines come first.
    failures = [line for line in output.splitlines() if line.startswith(("fatal:", "failed:", "[ERROR]"))]
    assert proc.returncode == 0, "\n".join(failures) + "\n...\n" + output[-8000:]
    name = molecule_scenario.name
    for action in ("check", "converge", "idempotence", "verify"):
        assert re.search(r"{0} (?:>|➜) {1}: Executed: Successful".format(name, action), output), output[-3000:]
