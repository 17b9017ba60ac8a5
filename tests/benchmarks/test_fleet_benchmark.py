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
    assert lines[0] == "fleet benchmark: 2 hosts, forks 2, 8 files per host, baseline 1 hosts"
    runs = [(line.split()[0] + " " + line.split()[1], line.split()[2]) for line in lines[2:10]]
    assert runs == [(name, hosts) for hosts in ("2", "1") for name in ("site first", "site rerun", "floor first", "floor rerun")]
    assert lines[10].startswith("site/floor first  time ") and lines[11].startswith("site/floor rerun  time ")
    assert lines[12].startswith("per-host memory first  site ") and " KiB/host, floor " in lines[12]
    assert lines[13].startswith("per-host memory rerun  site ")
    # The script itself fails unless every host's rerun recap shows changed=0; this line says it checked.
    assert lines[14] == "reruns: changed=0 for every host in the recaps of site (2 + localhost) and floor"


def test_rerun_recap_check_catches_a_change(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    import fleet

    log = tmp_path / "rerun.log"
    log.write_text("PLAY RECAP *****\n"
                   "localhost                  : ok=3    changed=0    unreachable=0    failed=0    skipped=1\n"
                   "node0001                   : ok=8    changed=1    unreachable=0    failed=0    skipped=2\n")
    assert fleet.unchanged_problems(log, ["localhost", "node0001", "node0002"]) == [
        "node0002: not in the recap", "node0001: changed=1 unreachable=0 failed=0"]
    log.write_text(log.read_text().replace("changed=1", "changed=0"))
    assert fleet.unchanged_problems(log, ["localhost", "node0001"]) == []
