"""The end of the demo: a real three-node Temporal cluster configured by the collection, under DEMO_DIR/cluster.

    python harness/demo_cluster.py DEMO_DIR

1. The real server (go.temporal.io/server, scripts/temporal-server.sh): the build the test command made is reused;
   without one it is built here, its progress on stderr (the first build: about 5 minutes on 2 cores).
2. mtls.temporal.site (pki, client_certs, node_certs, server_tls) against the cluster's inventory. The nodes keep
   the loopback addresses of the previous run (DEMO_DIR/cluster/addresses.json) so that a rerun reissues nothing.
3. Three temporal-server processes, one per node, with internode mTLS between them; the Python SDK runs a workflow
   through the generated temporal.toml profile and the Temporal CLI reads it back through the same profile.
4. A client without a client certificate is refused by the frontend.
5. Every process started here is stopped by its PID, and none is left running from DEMO_DIR/cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import temporal_cluster  # noqa: E402

TASK_QUEUE = "demo"


def say(text=""):
    print(text, flush=True)


def binaries():
    """The server build, reused or made now (scripts/temporal-server.sh writes its progress to our stderr)."""
    started_wall, started = time.time(), time.monotonic()
    say("==> the Temporal server: reusing the build of ./scripts/test.sh, or building it now "
        "(first time only: about 5 minutes on 2 cores, progress below)")
    try:
        directory = temporal_cluster.server_binaries()
    except subprocess.CalledProcessError as exc:
        raise SystemExit("scripts/temporal-server.sh failed (exit {0}): see its output above".format(exc.returncode)) from None
    built = (directory / "temporal-server").stat().st_mtime >= started_wall - 1
    say("    {0} {1} ({2:.0f}s)".format("built" if built else "reused", directory, time.monotonic() - started))
    return directory


def fleet_at(root):
    """The demo's fleet under root. A rerun keeps the previous run's node addresses (their certificates name them)
    and each node's rendered config, so the playbook finds nothing to change; only the cluster's data is new."""
    saved_path = root / "addresses.json"
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else None
    rendered = {node: (root / node / "config.yaml").read_bytes() for node in temporal_cluster.SERVICES if (root / node / "config.yaml").exists()}
    # The previous run's database, server logs and supervisor state are state, not configuration.
    shutil.rmtree(root / "data", ignore_errors=True)
    for state in [*root.glob("node*/server-*.log"), *root.glob("node*/supervisor.json")]:
        state.unlink()
    fleet = temporal_cluster.Fleet(root)
    if saved and sorted(saved) == sorted(fleet.services) and temporal_cluster.addresses_free(saved.values()):
        fleet.addresses = {node: saved[node] for node in fleet.services}
        for node in fleet.services:
            base = fleet.base_config(node)
            previous = yaml.safe_load(rendered[node]) if node in rendered else None
            if previous is not None:
                previous.get("global", {}).pop("tls", None)
            # The previous render, if all but its global.tls is what the fleet writes now; else the base config.
            if previous == base:
                fleet.config_path(node).write_bytes(rendered[node])
            else:
                fleet.config_path(node).write_text(yaml.safe_dump(base, sort_keys=False))
        fleet.write_inventory()
        say("    nodes on {0} (as in the last run)".format(", ".join(fleet.addresses.values())))
    else:
        if saved:
            say("    the last run's addresses {0} are taken or differ: new ones, so the node certificates are reissued".format(
                ", ".join(saved.values())))
        say("    nodes on {0}".format(", ".join(fleet.addresses.values())))
    saved_path.write_text(json.dumps(fleet.addresses, indent=2) + "\n")
    return fleet


def playbook(fleet):
    started = time.monotonic()
    say("==> ansible-playbook -i {0} mtls.temporal.site".format(fleet.inventory))
    proc, hosts = fleet.playbook()
    if proc.returncode != 0 or not hosts:
        say(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit("the playbook failed (exit {0})".format(proc.returncode))
    say("    " + "  ".join("{0}: ok={1} changed={2}".format(host, counts.get("ok", 0), counts.get("changed", 0))
                           for host, counts in hosts.items()))
    changed = sum(counts.get("changed", 0) for counts in hosts.values())
    say("    {0} ({1:.0f}s)".format("changed=0 on every host: nothing to reissue" if not changed else "{0} changes".format(changed),
                                    time.monotonic() - started))


def server_pid(fleet, node):
    try:
        return json.loads((fleet.node_dir(node) / "supervisor.json").read_text())["server_pid"]
    except (OSError, ValueError, KeyError):
        return None


def workflow(cluster, fleet):
    """The Python SDK runs a workflow; the CLI reads it back. Both through the generated temporal.toml profile."""
    profile = "{0} [profile cli]".format(fleet.toml)
    say("==> Python SDK (temporalio) through {0}: a worker on task queue {1!r}, one workflow calling one activity".format(profile, TASK_QUEUE))
    run = temporal_cluster.python_worker(fleet, TASK_QUEUE)
    if not run["ok"]:
        say("    FAILED: " + run["error"])
        return False
    say("    workflow {0} returned {1!r}".format(run["workflow_id"], run["result"]))
    say("==> Temporal CLI through the same profile: temporal workflow describe / result --workflow-id {0}".format(run["workflow_id"]))
    described = cluster.cli("workflow", "describe", "--workflow-id", run["workflow_id"], "-o", "json")
    result = cluster.cli("workflow", "result", "--workflow-id", run["workflow_id"], "-o", "json")
    if described.returncode != 0 or result.returncode != 0:
        say("    FAILED: " + (described.stderr + result.stderr).strip()[-2000:])
        return False
    info = json.loads(described.stdout)["workflowExecutionInfo"]
    status = info["status"].replace("WORKFLOW_EXECUTION_STATUS_", "")
    value = json.loads(result.stdout).get("result")
    say("    {0} workflow {1} on task queue {2!r}: {3}, result {4!r}".format(
        info["type"]["name"], run["workflow_id"], info.get("taskQueue", TASK_QUEUE), status, value))
    return status == "COMPLETED" and value == run["result"]


def refusal(cluster, fleet):
    """A client without a client certificate: the CLI through the profile with its certificate taken away, and a bare
    TLS 1.3 handshake, which reads the frontend's own alert."""
    say("==> a client without a client certificate: the same CLI call, TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH emptied")
    refused = cluster.cli("operator", "namespace", "describe", "--namespace", temporal_cluster.NAMESPACE, "--command-timeout", "10s",
                          env={"TEMPORAL_TLS_CLIENT_CERT_PATH": "", "TEMPORAL_TLS_CLIENT_KEY_PATH": ""})
    detail = (refused.stderr + refused.stdout).strip()
    if refused.returncode == 0:
        say("    ACCEPTED (wrong!)")
        return False
    say("    REFUSED: " + detail.splitlines()[0][:300])
    alert = server_alert(fleet)
    say("    the frontend's TLS alert to a handshake without one: " + (alert or "NONE (the handshake was accepted)"))
    return "TLS handshake failed" in detail and alert is not None and "CERTIFICATE_REQUIRED" in alert


def server_alert(fleet):
    """What the frontend sends a TLS 1.3 client that has no certificate: its alert arrives with the first read after
    the client's Finished. None if the connection is served."""
    context = ssl.create_default_context(cafile=fleet.identity("cli")["ca"])
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["h2"])
    host, port = fleet.frontend_address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=temporal_cluster.FRONTEND_NAME) as tls:
                tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
                tls.recv(1)
    except ssl.SSLError as exc:
        return exc.reason or str(exc)
    return None


def leftovers(root):
    """Live processes whose command line names a file under root (its nodes' configs), other than this one."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(root) + "/" in cmdline:
                found.append(int(entry))
    return found


def main(demo_dir):
    started = time.monotonic()
    root = Path(demo_dir).resolve() / "cluster"
    root.mkdir(parents=True, exist_ok=True)
    directory = binaries()
    say("==> the cluster's inventory and base configs in {0}".format(root))
    fleet = fleet_at(root)
    playbook(fleet)
    say("==> starting three temporal-server processes (internode mTLS, ringpop over TLS)")
    cluster = temporal_cluster.Cluster(directory, fleet)
    ok = False
    try:
        with cluster:
            for node, running in cluster.nodes.items():
                say("    {0} on {1}: {2}, pid {3} (supervisor pid {4})".format(
                    node, fleet.addresses[node], "+".join(fleet.services[node]), server_pid(fleet, node), running.pid))
            say("    one cluster: every service joined membership; namespace {0!r} registered".format(temporal_cluster.NAMESPACE))
            ok = workflow(cluster, fleet)
            ok = refusal(cluster, fleet) and ok
            say("==> stopping the cluster")
    except RuntimeError as exc:  # a node that died or a check that never passed: start() has stopped what it started
        say("    FAILED: {0}".format(str(exc)[-3000:]))
    stopped = [node for node, running in cluster.nodes.items() if not running.alive()]
    left = leftovers(root)
    remaining = "STILL RUNNING: pids " + ", ".join(map(str, left)) if left else "no process left running from {0}".format(root)
    say("    stopped {0} of {1} nodes; {2}".format(len(stopped), len(cluster.nodes), remaining))
    ok = ok and not left and len(stopped) == len(fleet.services)
    say("demo finished in {0:.0f}s: {1}".format(time.monotonic() - started, "OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
