"""The fleet and batch benchmarks run and report their tables at small N (their numbers are for benchmarks/README.md,
not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import ssh_fleet
from conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.long]


def benchmark_lines(script, *args, timeout):
    """The output lines of benchmarks/SCRIPT.py run with args, which must succeed."""
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / (script + ".py")), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.splitlines()


def test_benchmark_runs_at_small_n():
    lines = benchmark_lines("fleet", "--hosts", "2", "--forks", "2", timeout=600)
    assert lines[0] == "fleet benchmark: 2 hosts, forks 2, 8 files per host, baseline 1 hosts"
    runs = [(line.split()[0] + " " + line.split()[1], line.split()[2]) for line in lines[2:10]]
    assert runs == [(name, hosts) for hosts in ("2", "1") for name in ("site first", "site rerun", "floor first", "floor rerun")]
    assert lines[10].startswith("site/floor first  time ") and lines[11].startswith("site/floor rerun  time ")
    assert lines[12].startswith("per-host memory first  site ") and " KiB/host, floor " in lines[12]
    assert lines[13].startswith("per-host memory rerun  site ")
    # The script itself fails unless every host's rerun recap shows changed=0; this line says it checked.
    assert lines[14] == "reruns: changed=0 for every host in the recaps of site (2 + localhost) and floor"


def test_ssh_transport_runs_at_small_n():
    reason = ssh_fleet.unsupported()
    if reason:
        pytest.skip(reason)
    # Pipelining on: off runs the same code with each task's extra round trips, at twice the time.
    lines = benchmark_lines("fleet", "--transport", "ssh", "--hosts", "2", "--forks", "2", "--pipelining", "on", timeout=900)
    assert lines[0] == "fleet benchmark over ssh: 2 hosts, forks 2, 8 files per host, baseline 1 hosts, pipelining on"
    runs = [(line.rsplit(None, 4)[0], line.split()[-3]) for line in lines[2:14]]
    assert runs == [(name + " " + kind, hosts) for hosts in ("2", "1") for name in ("site", "floor", "community.crypto")
                    for kind in ("first", "rerun")]
    for kind, line in zip(("first", "rerun"), lines[14:16]):
        assert line.startswith("pipelining on  {0:<6} site/floor time ".format(kind)), line
        assert " community.crypto/site time " in line and "(target >= 3x: " in line, line
    for kind, line in zip(("first", "rerun"), lines[16:18]):
        assert line.startswith("pipelining on  {0:<6} per-host memory site ".format(kind)) and ", community.crypto " in line, line
    # The comparison is fair only if the community.crypto play converges too.
    assert lines[18] == "pipelining on  community.crypto rerun: changed=0 on every host"
    assert lines[19] == "site reruns: changed=0 for every host (2 + localhost, pipelining on) and floor"


def test_batch_benchmark_runs_at_small_n():
    lines = benchmark_lines("batch", "--identities", "20", timeout=600)
    assert lines[0] == "batch benchmark: 20 client identities (ECDSA P-256, key and certificate each)"
    assert [line.rsplit(None, 2)[0] for line in lines[2:5]] == [
        "raw cryptography", "temporal_leaf_batch first", "temporal_leaf_batch rerun"]
    assert lines[5].startswith("temporal_leaf_batch/raw time ") and "(target <= 1.5x: " in lines[5]
    # The script fails unless both sides wrote every file and their certificates match; this line says it checked.
    assert lines[6] == "same certificates on both sides (subject, issuer, extensions, validity, curve, chain); rerun changed=0"


def test_scale_runs_at_small_n():
    lines = benchmark_lines("fleet", "--scale", "2", "--forks", "2,1", timeout=600)
    assert lines[0] == "fleet scale: site at 2 hosts, local connection, forks 2, 1, baseline 1 hosts"
    rows = [line.split() for line in lines[2:10]]
    assert [row[:4] for row in rows] == [
        ["site", kind, forks, hosts] for forks in ("2", "1") for hosts in ("1", "2") for kind in ("first", "rerun")]
    # Per host beyond the baseline, and its ratio to the smallest size's at the same forks: 1.00x at each forks' only
    # size ("-" when that growth is zero, as the memory's can be at 2 hosts), which a reference carried over from the
    # first forks would break. Noise at 2 hosts can make a growth negative.
    for row in rows[2:4] + rows[6:8]:
        assert re.fullmatch(r"-?\d+\.\d{3}", row[6]) and re.fullmatch(r"-?\d+\.\d", row[8]), row
        assert row[7] in ("1.00x", "-") and row[9] in ("1.00x", "-"), row
    assert lines[10] == "reruns: changed=0 for every host at every size"


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
