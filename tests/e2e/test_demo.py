"""The demo's cluster step (scripts/demo.sh: python tests/harness/demo_cluster.py demo-output), run for real twice on one
directory: three temporal-server processes configured by mtls.temporal.site, a Python SDK workflow through the
generated profile that the Temporal CLI reads back, a client without a certificate refused by the frontend, and no
process left behind. The second run keeps the first one's node addresses, so its playbook changes nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, tool_env

import temporal_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def binaries():
    """The server build (about 5 minutes on 2 cores the first time), before the demo's own clock starts."""
    return temporal_cluster.server_binaries()


def _process_table():
    """{pid: (parent pid, session id, command line)} of every live process, read from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
            cmdline = Path("/proc", entry, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), int(fields[3]), cmdline)
    return table


def _descendants(root, table):
    """The pids below root in table, breadth first (bounded by the table's size)."""
    found, frontier = [], [root]
    while frontier and len(found) < len(table):
        frontier = [pid for pid, (ppid, _sid, _cmd) in table.items() if ppid in frontier]
        found += frontier
    return found


def _kill_if_unchanged(pid, entry, table):
    """SIGKILL pid only if it is still the process seen before (same session and command line), never a reused pid."""
    if table.get(pid, (None, None, None))[1:] == entry[1:]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_demo(demo_dir, timeout=420):
    """(exit code, stdout, stderr, the pids it printed, {pid: entry} of what it left running). The demo runs in a
    session of its own and each node in one of its own (it prints their pids), so a survivor carries one of those
    sessions, or names a file of demo_dir/cluster on its command line."""
    env = tool_env()
    demo = subprocess.Popen([sys.executable, "tests/harness/demo_cluster.py", str(demo_dir)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = {}
    try:
        out, err = demo.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        table = _process_table()
        seen = {pid: table[pid] for pid in _descendants(demo.pid, table) if pid in table}
        os.kill(demo.pid, signal.SIGINT)  # KeyboardInterrupt: the demo's with block stops its nodes by pid
        try:
            out, err = demo.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            table = _process_table()
            for pid, entry in seen.items():
                _kill_if_unchanged(pid, entry, table)
            demo.kill()
            out, err = demo.communicate(timeout=10)
        err += "\n(the demo timed out after {0}s)".format(timeout)
    printed = [int(pid) for pid in re.findall(r"\bpid (\d+)\b", out)]
    sessions = {demo.pid, *printed, *(entry[1] for entry in seen.values())}
    marker = str(Path(demo_dir).resolve() / "cluster") + "/"
    table = _process_table()
    left = {pid: entry for pid, entry in table.items() if pid != os.getpid() and (entry[1] in sessions or marker in entry[2])}
    for pid, entry in left.items():
        _kill_if_unchanged(pid, entry, table)
    return demo.returncode, out, err, printed, left


def check(returncode, out, err, printed, left):
    assert returncode == 0, out + err
    # Each node: the server's pid and its supervisor's.
    assert len(printed) == 6, out
    workflow = re.search(r"^    workflow (demo-\d+) returned 'hello demo from python'$", out, re.M)
    assert workflow, out
    assert re.search(r"^    Greeting workflow {0} on task queue 'demo': COMPLETED, result 'hello demo from python'$".format(workflow.group(1)),
                     out, re.M), out
    assert re.search(r"^    REFUSED: Error: failed connecting to Temporal server at [\d.]+:7233: TLS handshake failed", out, re.M), out
    assert "the frontend's TLS alert to a handshake without one: TLSV13_ALERT_CERTIFICATE_REQUIRED" in out, out
    assert "stopped 3 of 3 nodes; no process left running from" in out, out
    assert not left, left
    assert out.rstrip().splitlines()[-1].endswith(": OK"), out


def test_demo_cluster_step_runs_a_workflow_refuses_a_client_and_stops_everything(binaries, tmp_path):
    first = run_demo(tmp_path)
    check(*first)
    assert "(as in the last run)" not in first[1], first[1]
    assert "changed=0 on every host" not in first[1], first[1]

    again = run_demo(tmp_path)
    check(*again)
    addresses = re.search(r"^    nodes on (\S+, \S+, \S+)", first[1], re.M).group(1)
    assert "    nodes on {0} (as in the last run)".format(addresses) in again[1], again[1]
    assert "changed=0 on every host: nothing to reissue" in again[1], again[1]
