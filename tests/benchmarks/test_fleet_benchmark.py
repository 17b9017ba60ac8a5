"""The fleet benchmark runs and reports its table at small N (its numbers are for benchmarks/README.md, not asserted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_benchmark_runs_at_small_n():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "fleet.py"), "--hosts", "2", "--forks", "2"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "fleet benchmark: 2 hosts, forks 2, 7 files per host"
    assert [line.split()[0] + " " + line.split()[1] for line in lines[2:6]] == ["site first", "site rerun", "floor first", "floor rerun"]
    assert lines[6].startswith("site/floor first  time ") and lines[7].startswith("site/floor rerun  time ")
