"""A real three-node Temporal cluster on loopback whose TLS comes only from the collection.

The server is `go.temporal.io/server` built at the version pinned in tests/temporal_server (scripts/temporal-server.sh).
Each node has its own loopback address and runs its own services, so every internode call crosses processes:
node1 the frontend, node2 history, node3 matching and the system worker. They share one SQLite file (WAL mode) and
find each other through its membership table; ringpop runs over internode TLS.

What the test writes is only what the collection does not model: each node's base config (persistence, services,
cluster metadata) and the rest of its dynamic config; server_tls turns on ringpop TLS there. The inventory hands the
rest to the collection's own playbooks (`pki`, `node_certs`, `server_tls`, `client_certs`), whose output the nodes
run unchanged.

Every process is started on the cluster's own addresses and stopped by its PID.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import temporal_harness as harness  # noqa: E402

FRONTEND_NAME = "frontend.temporal.test"
INTERNODE_NAME = "internode.temporal.test"
NAMESPACE = "e2e"
# One port set for every node: each node has an address of its own.
PORTS = {
    "frontend": {"grpcPort": 7233, "membershipPort": 6933, "httpPort": 7243},
    "history": {"grpcPort": 7234, "membershipPort": 6934},
    "matching": {"grpcPort": 7235, "membershipPort": 6935},
    "worker": {"grpcPort": 7239, "membershipPort": 6939},
}
SERVICES = {"node1": ["frontend"], "node2": ["history"], "node3": ["matching", "worker"]}
# The identities client_certs issues: the CLI and the SDK workers (cli also as a .pfx for Java), and the system worker.
IDENTITIES = [
    {"name": "cli", "namespace": NAMESPACE, "pkcs12": True},
    {"name": "system-worker", "profile": "worker", "common_name": "system-worker.temporal.test", "namespace": NAMESPACE, "host": "node3"},
]
# Java's KeyStore reads no key from a .pfx without a passphrase (an unencrypted key bag), so the fleet sets one.
PFX_PASSPHRASE = "e2e-pfx-passphrase"
# The node whose worker service runs the system workers, with the identity above as global.tls.systemWorker.
SYSTEM_WORKER_NODE = "node3"


def server_binaries():
    """The directory holding temporal-server and tdbg, built once per pinned version (scripts/temporal-server.sh)."""
    proc = subprocess.run([str(REPO / "scripts" / "temporal-server.sh")], stdout=subprocess.PIPE, text=True, timeout=3600, check=True)
    return Path(proc.stdout.strip().splitlines()[-1])


def _listenable(address, port):
    """Whether a server could listen on address:port now. SO_REUSEADDR, as the server's own listeners set it: the
    connections of an earlier run that linger in TIME_WAIT do not keep its ports from the next one."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def addresses_free(addresses):
    """Whether every port of PORTS is free on each of the addresses."""
    return all(_listenable(address, port) for address in addresses for ports in PORTS.values() for port in ports.values())


def pick_addresses(count=3):
    """Addresses 127.A.B.11.. whose ports are all free, A.B picked at random so parallel clusters do not meet."""
    for _attempt in range(50):
        prefix = "127.{0}.{1}.".format(random.randint(100, 250), random.randint(1, 250))
        addresses = [prefix + str(11 + index) for index in range(count)]
        if addresses_free(addresses):
            return addresses
    raise RuntimeError("no free loopback address range for a cluster")


class Fleet:
    """The nodes' and controller's directories, the inventory and the base configs of one cluster."""

    def __init__(self, root, extra_vars=None, services=None, restarts=False):
        """services: {node: [service, ...]} instead of SERVICES. restarts: server_tls restarts a node, when it asks
        for a restart, through the node's supervisor (node_supervisor.py), which returns once the node listens again."""
        self.root = Path(root)
        self.services = dict(services or SERVICES)
        self.addresses = dict(zip(self.services, pick_addresses(len(self.services))))
        self.restarts = restarts
        self.deployed_once = False
        self.pki = self.root / "controller" / "pki"
        self.clients = self.pki / "clients"
        self.inventory = self.root / "inventory.yml"
        self.database = self.root / "data" / "temporal.db"
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.extra_vars = dict(extra_vars or {})
        for node in self.services:
            self.node_dir(node).mkdir(parents=True, exist_ok=True)
            self.config_path(node).write_text(yaml.safe_dump(self.base_config(node), sort_keys=False))
            self.write_dynamic_config(node, self.dynamic_config())
        self.write_inventory()

    @classmethod
    def deployed(cls, root, **options):
        """A fleet that mtls.temporal.site has set up (RuntimeError with the playbook's output if it failed)."""
        fleet = cls(root, **options)
        proc, _hosts = fleet.playbook()
        if proc.returncode != 0:
            raise RuntimeError("mtls.temporal.site failed:\n" + proc.stdout[-4000:])
        # From now on a restart has a running node to wait for: server_tls checks what it serves before moving on.
        fleet.deployed_once = True
        fleet.write_inventory()
        return fleet

    def node_dir(self, node):
        return self.root / node

    def config_path(self, node):
        return self.node_dir(node) / "config.yaml"

    def dynamic_config_path(self, node):
        return self.node_dir(node) / "dynamicconfig.yaml"

    def tls_dir(self, node):
        return self.node_dir(node) / "tls"

    @property
    def frontend_address(self):
        return "{0}:{1}".format(self.addresses["node1"], PORTS["frontend"]["grpcPort"])

    @property
    def frontend_addresses(self):
        return ["{0}:{1}".format(self.addresses[node], PORTS["frontend"]["grpcPort"]) for node, services in self.services.items() if "frontend" in services]

    def grpc_addresses(self, node):
        return ["{0}:{1}".format(self.addresses[node], PORTS[service]["grpcPort"]) for service in self.services[node]]

    @property
    def toml(self):
        return self.clients / "temporal.toml"

    def identity(self, name):
        base = self.clients / name
        return dict(cert=str(base / "client-chain.pem"), key=str(base / "client.key"), pfx=str(base / "client.pfx"),
                    ca=str(self.pki / "bundles" / "server-roots.pem"), env=str(base / "temporal.env"))

    def base_config(self, node):
        """Everything of a node's config but global.tls: persistence, membership, services, cluster metadata."""
        address = self.addresses[node]
        sqlite = {"sql": {
            "pluginName": "sqlite",
            "databaseName": str(self.database),
            # The validator wants an address and protocol; SQLite uses neither.
            "connectAddr": "localhost",
            "connectProtocol": "tcp",
            # Three processes share the file: WAL, and a long busy timeout rather than "database is locked".
            "connectAttributes": {"cache": "private", "setup": "true", "journal_mode": "wal", "synchronous": "2", "busy_timeout": "20000"},
            "maxConns": 1,
            "maxIdleConns": 1,
        }}
        return {
            "log": {"stdout": True, "level": "info"},
            "persistence": {"defaultStore": "sqlite-default", "visibilityStore": "sqlite-visibility", "numHistoryShards": 4,
                            "datastores": {"sqlite-default": sqlite, "sqlite-visibility": sqlite}},
            "global": {"membership": {"maxJoinDuration": "30s", "broadcastAddress": address}},
            "services": {service: {"rpc": dict(ports, bindOnIP=address)} for service, ports in PORTS.items()},
            "clusterMetadata": {
                "enableGlobalNamespace": False,
                "failoverVersionIncrement": 10,
                "masterClusterName": "active",
                "currentClusterName": "active",
                "clusterInformation": {"active": {"enabled": True, "initialFailoverVersion": 1, "rpcAddress": self.frontend_address,
                                                  "httpAddress": "{0}:{1}".format(self.addresses["node1"], PORTS["frontend"]["httpPort"])}},
            },
            "dynamicConfigClient": {"filepath": str(self.dynamic_config_path(node)), "pollInterval": "5s"},
        }

    def add_node(self, name, like, services, dynamic_config=None):
        """A further node configured as `like` (its rendered config, TLS files and identities, under its own
        directory and on the next free address), running `services`: what a test then changes in it is the point."""
        prefix = self.addresses[like].rsplit(".", 1)[0] + "."
        address = next(prefix + str(last) for last in range(14, 250)
                       if prefix + str(last) not in self.addresses.values() and addresses_free([prefix + str(last)]))
        shutil.copytree(self.node_dir(like), self.node_dir(name), ignore=shutil.ignore_patterns("*.log"))
        text = self.config_path(like).read_text().replace(str(self.node_dir(like)) + "/", str(self.node_dir(name)) + "/")
        self.config_path(name).write_text(text.replace(self.addresses[like], address))
        # What server_tls merged into like's dynamic config (ringpop over TLS) stays, with the test's settings on top.
        self.write_dynamic_config(name, dynamic_config or {})
        self.addresses[name] = address
        self.services[name] = services
        return address

    def write_dynamic_config(self, node, settings):
        """Set these keys of the node's dynamic config, keeping what is there (server_tls's ringpop setting); an
        unchanged file is not rewritten, so a rerun of the playbooks finds it as they left it."""
        path = self.dynamic_config_path(node)
        current = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
        wanted = dict(current, **settings)
        if wanted != current or not path.exists():
            path.write_text(yaml.safe_dump(wanted, sort_keys=False))

    def dynamic_config(self):
        """The operator's part of a node's dynamic config; server_tls adds system.enableRingpopTLS to it."""
        # No internet here: the server must not try to phone home.
        return {"frontend.enableServerVersionCheck": [{"value": False}]}

    def node_vars(self, node, address):
        """The inventory's host vars of a node: its address, the system worker's identity, how it restarts."""
        # An FQDN as the node's own SAN: the role's default is inventory_hostname, one label, which pkilint refuses.
        node_vars = {"node_certs_ip_addresses": [address], "node_certs_dns_names": [node + ".temporal.test"]}
        if node == SYSTEM_WORKER_NODE:
            node_vars["server_tls_system_worker_identity"] = "system-worker"
        if self.restarts:
            node_vars.update(server_tls_manage_service=True, server_tls_restart_command=[
                sys.executable, str(HERE / "node_supervisor.py"), "restart", str(self.node_dir(node)), *self.grpc_addresses(node)])
            if self.deployed_once:
                node_vars["server_tls_served_listeners"] = self.listeners(node)
        return node_vars

    def listeners(self, node):
        """server_tls_served_listeners of a node: each of its services' gRPC listener and the certificate it serves."""
        return [dict(address="{0}:{1}".format(self.addresses[node], PORTS[service]["grpcPort"]),
                     certificate="frontend" if service == "frontend" else "internode",
                     **({"server_name": FRONTEND_NAME} if service == "frontend" else {}))
                for service in self.services[node]]

    def write_inventory(self):
        root = str(self.root)
        inventory = {"all": {
            "vars": dict({
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "mtls_temporal_become": False,
                "pki_dir": str(self.pki),
                "node_certs_dir": root + "/{{ inventory_hostname }}/tls",
                "node_certs_internode_server_name": INTERNODE_NAME,
                "node_certs_frontend_server_names": [FRONTEND_NAME],
                "server_tls_config_path": root + "/{{ inventory_hostname }}/config.yaml",
                "server_tls_frontend_server_name": FRONTEND_NAME,
                "server_tls_refresh_interval": "2s",
                "client_certs_address": self.frontend_address,
                "client_certs_server_name": FRONTEND_NAME,
                "client_certs_identities": IDENTITIES,
                "client_certs_host_dir": root + "/{{ inventory_hostname }}/clients",
                "client_certs_pkcs12_passphrase": PFX_PASSPHRASE,
            }, **self.extra_vars),
            "hosts": {"localhost": {}},
            "children": {
                "temporal_servers": {"hosts": {node: self.node_vars(node, address) for node, address in self.addresses.items()}},
                "temporal_clients": {"hosts": {SYSTEM_WORKER_NODE: {}}},
            },
        }}
        self.inventory.write_text(yaml.safe_dump(inventory, sort_keys=False))

    def playbook(self, name="mtls.temporal.site", *args, timeout=600):
        """Run one of the collection's playbooks against this fleet; returns (CompletedProcess, {host: recap})."""
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PATH=str(harness.BIN) + os.pathsep + os.environ["PATH"])
        proc = subprocess.run([str(harness.BIN / "ansible-playbook"), "-i", str(self.inventory), name, *args],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return proc, recap(proc.stdout)


def recap(output):
    """{host: {"ok": n, "changed": n, ...}} from an ansible-playbook PLAY RECAP."""
    hosts = {}
    lines = output.splitlines()
    start = next((index for index, line in enumerate(lines) if line.startswith("PLAY RECAP")), len(lines))
    for line in lines[start + 1:]:
        if ":" not in line:
            continue
        host, counts = line.split(":", 1)
        hosts[host.strip()] = {key: int(value) for key, value in (item.split("=") for item in counts.split())}
    return hosts


class Node(harness.Managed):
    """One temporal-server process running a node's services from the node's rendered config, under the node's
    supervisor (node_supervisor.py), which restarts it when server_tls asks and exits with it otherwise."""

    # A graceful stop leaves the membership ring at once; the supervisor gives the server 25s for it.
    grace = 30

    def __init__(self, binaries, fleet, name):
        self.name = name
        self.fleet = fleet
        args = [str(binaries / "temporal-server"), "--config-file", str(fleet.config_path(name)), "--allow-no-auth", "start"]
        for service in fleet.services[name]:
            args += ["--service", service]
        log = fleet.node_dir(name) / "server-{0}.log".format(int(time.time() * 1000))
        supervisor = [sys.executable, str(HERE / "node_supervisor.py"), "run", str(fleet.node_dir(name)), "--"]
        super().__init__(supervisor + args, log, env=harness._clean_env())

    def log_lines(self, needle):
        """The lines of the node's log that mention needle."""
        return [line for line in self.log().splitlines() if needle in line]

    def restarts(self):
        """How many times the supervisor has started the server (1 until a restart)."""
        return json.loads((self.fleet.node_dir(self.name) / "supervisor.json").read_text())["starts"]

    def alive(self):
        return self.proc.poll() is None


class Cluster:
    """The three nodes of a fleet, started in order and stopped by PID."""

    def __init__(self, binaries, fleet):
        self.binaries = binaries
        self.fleet = fleet
        self.nodes = {}

    def start(self, timeout=120):
        try:
            self.start_node("node1")
            self.wait_healthy(timeout)
            for name in list(self.fleet.services)[1:]:
                self.start_node(name)
            self.wait_members(timeout)
            self.create_namespace(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def start_node(self, name):
        self.nodes[name] = Node(self.binaries, self.fleet, name)
        return self.nodes[name]

    def remove_node(self, name):
        """Stop a node and leave it out of the cluster's checks."""
        self.nodes.pop(name).stop()

    def restart_node(self, name, timeout=120):
        """Stop one node and start it again (the frontend then waits for health)."""
        self.nodes[name].stop()
        self.start_node(name)
        if name == "node1":
            self.wait_healthy(timeout)

    def cli(self, *args, identity="cli", timeout=60, env=None):
        """The Temporal CLI through the generated temporal.toml profile of an identity."""
        environment = harness._clean_env(dict(env or {}, TEMPORAL_CONFIG_FILE=str(self.fleet.toml)))
        return subprocess.run([harness.tool("temporal"), *args, "--profile", identity], capture_output=True, text=True,
                              timeout=timeout, env=environment, check=False)

    def until(self, what, attempt, done=None, timeout=120):
        """Repeat attempt() until it exits 0 and done(proc) holds, failing early when a node dies."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, node in self.nodes.items():
                if not node.alive():
                    raise RuntimeError("{0} (pid {1}) exited with {2}:\n{3}".format(name, node.pid, node.proc.returncode, node.log()[-3000:]))
            last = attempt()
            if last.returncode == 0 and (done is None or done(last)):
                return last
            time.sleep(0.5)
        raise RuntimeError("{0} did not succeed within {1}s: {2}".format(what, timeout, (last.stderr + last.stdout)[-2000:] if last else ""))

    def config(self, node):
        """The node's config file as the server reads it."""
        return yaml.safe_load(self.fleet.config_path(node).read_text())

    def wait_healthy(self, timeout=120):
        return self.until("the frontend's health check", lambda: self.cli("operator", "cluster", "health"), timeout=timeout)

    def create_namespace(self, timeout=120):
        """Registers the namespace (the real server creates none), then waits until the frontend serves it."""
        def register():
            proc = self.cli("operator", "namespace", "create", "--namespace", NAMESPACE, "--retention", "24h")
            if proc.returncode != 0 and "already" in (proc.stderr + proc.stdout).lower():
                proc.returncode = 0
            return proc
        self.until("registering namespace " + NAMESPACE, register, timeout=timeout)
        self.until("describing namespace " + NAMESPACE, lambda: self.cli("operator", "namespace", "describe", "--namespace", NAMESPACE), timeout=timeout)

    def expected_members(self):
        """Each service's grpc address on the node that runs it, as membership lists it."""
        return [address for node in self.nodes for address in self.fleet.grpc_addresses(node)]

    def listed(self, node, proc):
        """Whether the membership tdbg printed (proc) lists any of the node's services."""
        return any("{0}:{1}".format(self.fleet.addresses[node], PORTS[service]["grpcPort"]) in proc.stdout for service in self.fleet.services[node])

    def _gossip(self):
        ident = self.fleet.identity("cli")
        return subprocess.run([str(self.binaries / "tdbg"), "--address", self.fleet.frontend_address, "--tls-ca-path", ident["ca"],
                               "--tls-cert-path", ident["cert"], "--tls-key-path", ident["key"], "--tls-server-name", FRONTEND_NAME,
                               "membership", "list-gossip"], capture_output=True, text=True, timeout=60, env=harness._clean_env(), check=False)

    def wait_members(self, timeout=120):
        """Services join membership at their own pace (the worker last): wait until every one is listed."""
        return self.until("every service joining membership", self._gossip,
                          lambda proc: all(member in proc.stdout for member in self.expected_members()), timeout)

    def members(self):
        """The ringpop membership tdbg reads (through the frontend, with the cli identity)."""
        proc = self._gossip()
        if proc.returncode != 0:
            raise RuntimeError("tdbg membership list-gossip failed: " + proc.stderr[-2000:])
        return proc.stdout

    def stop(self):
        for node in reversed(list(self.nodes.values())):
            node.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class WorkflowLoop(harness.Managed):
    """clients/py-workflow-loop.py: a Python SDK application completing a workflow about every 100 ms through the
    fleet's frontends with the identity files given (cert, key, ca), until stopped."""

    def __init__(self, fleet, name, identity, task_queue, max_seconds=1800):
        workdir = fleet.root / "loops"
        workdir.mkdir(exist_ok=True)
        self.results = workdir / (name + ".jsonl")
        self.stop_path = workdir / (name + ".stop")
        args = [sys.executable, str(HERE / "clients" / "py-workflow-loop.py"), "--addresses", ",".join(fleet.frontend_addresses),
                "--namespace", NAMESPACE, "--server-name", FRONTEND_NAME, "--ca", identity["ca"], "--cert", identity["cert"],
                "--key", identity["key"], "--task-queue", task_queue, "--out", str(self.results), "--stop", str(self.stop_path),
                "--max-seconds", str(max_seconds)]
        super().__init__(args, workdir / (name + ".log"), env=harness._clean_env())

    def calls(self):
        """Every call so far: {"t", "ok", "address", "failovers", "error"} (worker reconnections left out)."""
        if not self.results.exists():
            return []
        records = [json.loads(line) for line in self.results.read_text().splitlines() if line.strip()]
        return [record for record in records if "ok" in record]

    def wait_for_calls(self, count, timeout=120):
        """Until `count` more calls than now have been made."""
        target = len(self.calls()) + count
        deadline = time.monotonic() + timeout
        while len(self.calls()) < target:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the loop made {0} of {1} calls: {2}".format(len(self.calls()), target, self.log()[-3000:]))
            time.sleep(0.2)

    def stop(self):
        self.stop_path.touch()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pass
        super().stop()


# What ssl says when a server refuses a client certificate whose issuer it does not trust.
UNKNOWN_CA = "UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|unknown ca|bad certificate"


def tls12_handshake(address, ca, chain=None, key=None, server_name=FRONTEND_NAME):
    """A TLS 1.2 handshake with a frontend, sending server_name (SNI) and presenting chain and key if given; returns
    the DER of the certificate the frontend served, ssl.SSLError when refused. Under 1.2 the server's verdict on the
    client certificate is part of the handshake itself; under 1.3 it comes after the client's Finished, and a closed
    socket can race the alert."""
    context = ssl.create_default_context(cafile=ca)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    if chain:
        context.load_cert_chain(chain, key)
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return tls.getpeercert(binary_form=True)


def python_worker(fleet, task_queue, identity="cli", timeout=90):
    """The Python SDK: worker + workflow + activity through the identity's generated temporal.toml profile."""
    proc = subprocess.run([sys.executable, str(HERE / "clients" / "py-worker.py"), "--config-file", str(fleet.toml), "--profile", identity,
                           "--task-queue", task_queue, "--timeout", str(timeout)],
                          capture_output=True, text=True, timeout=timeout + 30, env=harness._clean_env(), check=False)
    return json_line(proc)


# The SDK clients that need a build or an install first: the script that makes it, printing its path last.
CLIENT_BUILDS = {"typescript": "ts-client.sh", "go": "go-client.sh", "java": "java-client.sh"}


@functools.lru_cache(maxsize=None)
def client_build(sdk):
    """What scripts/<sdk>-client.sh built or installed into the user's cache (once per test process)."""
    proc = subprocess.run([str(REPO / "scripts" / CLIENT_BUILDS[sdk])], stdout=subprocess.PIPE, text=True, timeout=1800, check=True)
    return proc.stdout.strip().splitlines()[-1]


def sdk_worker(sdk, fleet, task_queue, identity="cli", key_form="pem", pfx_passphrase=PFX_PASSPHRASE, timeout=90, server_name=FRONTEND_NAME):
    """One SDK's worker + workflow + activity with the identity's files as client_certs wrote them: PEM chain and
    PKCS#8 key, or (Java) the .pfx. identity is a client_certs name or a dict of such files (cert, key, pfx, ca).
    server_name is what the client checks and sends (SNI); Python takes it from the profile."""
    if sdk == "python":
        return python_worker(fleet, task_queue, identity, timeout)
    ident = fleet.identity(identity) if isinstance(identity, str) else identity
    args = ["--address", fleet.frontend_address, "--namespace", NAMESPACE, "--server-name", server_name, "--ca", ident["ca"],
            "--task-queue", task_queue, "--timeout", str(timeout)]
    args += ["--pfx", ident["pfx"], "--pfx-pass", pfx_passphrase] if key_form == "pfx" else ["--cert", ident["cert"], "--key", ident["key"]]
    env = harness._clean_env()
    if sdk == "typescript":
        command = ["node", str(HERE / "clients" / "ts-worker.mjs")]
        env["NODE_PATH"] = client_build(sdk) + "/node_modules"
    elif sdk == "go":
        command = [client_build(sdk)]
    else:
        command = ["java", "-jar", client_build(sdk)]
    proc = subprocess.run(command + args, capture_output=True, text=True, timeout=timeout + 30, env=env, check=False)
    return json_line(proc)


def json_line(proc):
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"ok": False, "error": "no result line; exit {0}: {1}".format(proc.returncode, (proc.stderr + proc.stdout)[-2000:])}
    return json.loads(lines[-1])
