"""What a service manager is to a Temporal node, for the real cluster's tests: `server_tls_restart_command` restarts
the node through it, and the test still stops every process by the PID it started.

    node_supervisor.py run STATE_DIR -- temporal-server ARGS...
        Runs the server; on SIGHUP stops it (SIGTERM, then SIGKILL after 20s) and starts it again; on SIGTERM stops
        it and exits 0. When the server exits by itself, exits with its code. STATE_DIR/supervisor.json holds the
        supervisor's PID and the number of starts so far.
    node_supervisor.py restart STATE_DIR HOST:PORT...
        Asks the supervisor for a restart and returns once the new server process listens on every HOST:PORT
        (exit 1 after 180s, or if the server exited). A node not started yet has nothing to restart.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE = "supervisor.json"


def _write_state(state_dir, starts, child):
    path = Path(state_dir) / STATE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "starts": starts, "server_pid": child.pid}))
    os.replace(temporary, path)


def _stop(child):
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def run(state_dir, command):
    requests = []
    signal.signal(signal.SIGHUP, lambda *_: requests.append("restart"))
    signal.signal(signal.SIGTERM, lambda *_: requests.append("stop"))
    starts = 1
    child = subprocess.Popen(command)
    _write_state(state_dir, starts, child)
    while True:
        if "stop" in requests:
            _stop(child)
            return 0
        if requests:
            requests.clear()
            _stop(child)
            print("node_supervisor: restarting the server (start {0})".format(starts + 1), flush=True)
            starts += 1
            child = subprocess.Popen(command)
            _write_state(state_dir, starts, child)
        elif child.poll() is not None:
            return child.returncode
        time.sleep(0.1)


def _listens(address):
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def restart(state_dir, addresses):
    path = Path(state_dir) / STATE
    before = json.loads(path.read_text()) if path.exists() else None
    if before is None or not _alive(before["pid"]):
        # Like restarting a stopped service: the node is not running and will start with its new config.
        print("the node is not running: nothing to restart")
        return 0
    os.kill(before["pid"], signal.SIGHUP)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = json.loads(path.read_text())
        if state["starts"] > before["starts"] and all(_listens(address) for address in addresses):
            return 0
        if not _alive(state["pid"]):
            print("the supervisor exited: the server did not come back", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print("the server did not listen on {0} within 180s".format(", ".join(addresses)), file=sys.stderr)
    return 1


def main(argv):
    if len(argv) >= 4 and argv[0] == "run" and argv[2] == "--":
        return run(argv[1], argv[3:])
    if len(argv) >= 3 and argv[0] == "restart":
        return restart(argv[1], argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
