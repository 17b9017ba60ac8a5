"""No secret leaks: real ansible-playbook runs at -vvv with --diff, and every place their output and files end up.

Four runs, started at once (each in its own directory) so the file stays short on two cores:
  controller        the molecule site (extensions/molecule/shared: inventory and converge) on localhost, node1 and
                    worker1: a root CA whose key is encrypted with a passphrase, intermediates, node keys made on the
                    controller and shipped, client identities (a .pfx with a passphrase, one delivered to worker1),
                    the rendered Temporal TLS config;
  controller-debug  the same with ANSIBLE_DEBUG=1;
  node              node_certs_key_placement=node (keys made on the node, only CSRs leave it), with the TLS
                    config embedding the key (keyData) instead of naming its file;
  vault             temporal_leaf with issuer=vault against a real OpenBao dev server (the vault test's helpers):
                    token auth with a .pfx and its passphrase, AppRole auth.
ANSIBLE_KEEP_REMOTE_FILES is never set. ANSIBLE_HOME, ANSIBLE_LOCAL_TEMP and the controller's remote_tmp point into
the run's directory, each node's remote_tmp into its own root. After the runs, stdout, stderr, the ansible log, every
result a callback saw (a small recorder callback writes them as JSON lines) and every file under the controller's temp
dirs are searched for PEM private keys, the body of every key the run made (read from disk afterwards), base64 of
the key files, the passphrases and the Vault tokens; the temp dirs must also be empty once the run is over.

The one exception, allowed in exactly one line shape: with ANSIBLE_DEBUG=1, ansible-core itself prints every module's
raw arguments ("done with _execute_module (name, {args})", ansible/plugins/action/__init__.py), no_log ones included;
its documentation of ANSIBLE_DEBUG says debug output can include secrets despite no_log. What the play passes as
module arguments shows there: the passphrases, and the node keys node_certs ships as temporal_tls_files content.
A CA key or a client key there is still a leak."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from conftest import REPO

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SHARED = REPO / "extensions" / "molecule" / "shared"
HOSTS = ("localhost", "node1", "worker1")
NODE_HOSTS = ("node1", "worker1")  # hosts with their own root dir that are not the controller
SERVER_HOSTS = ("node1",)  # temporal_servers in the limit: their keys are the node keys
CA_KEYS = ("root-ca.key", "servers-ca.key", "clients-ca.key")
RUN_TIMEOUT = 420

ROOT_PASSPHRASE = "root-ca-pass-" + secrets.token_hex(12)
PFX_PASSPHRASE = "pfx-pass-" + secrets.token_hex(12)

PEM_HEADERS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----",
               b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
# Any PEM private key header or footer, and the base64 of each header as it starts a base64-encoded key file.
MARKERS = {"PEM private key marker": b"PRIVATE KEY-----"}
MARKERS.update({"base64 of " + h.decode(): base64.b64encode(h[:len(h) // 3 * 3]) for h in PEM_HEADERS})

# ansible-core's own debug record of a module's raw arguments (the documented ANSIBLE_DEBUG exception).
DEBUG_MODULE_ARGS = re.compile(rb"(?m)^ *\d+ \d+\.\d+(?: \[[^\]]*\])?: done with _execute_module \(")

RECORDER = '''\
import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Appends every result a callback is given, as one JSON line, to $MTLS_SECRETS_RESULTS."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, event, result):
        line = dict(event=event, host=result.host.get_name(), task=result.task.get_name(), result=result.result)
        with open(os.environ["MTLS_SECRETS_RESULTS"], "a") as out:
            out.write(json.dumps(line, default=repr) + "\\n")

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._record("item_ok", result)

    def v2_runner_item_on_failed(self, result):
        self._record("item_failed", result)

    def v2_runner_item_on_skipped(self, result):
        self._record("item_skipped", result)

    def v2_on_file_diff(self, result):
        self._record("diff", result)
'''

VAULT_PLAYBOOK = """\
- name: Leaves signed by a real OpenBao PKI mount
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Internode certificate and a .pfx, token auth
      mtls.temporal.temporal_leaf:
        profile: internode
        issuer: vault
        vault_url: "{{ vault_url }}"
        vault_mount: pki_int
        vault_role: temporal-internode
        vault_token: "{{ vault_token }}"
        validity: 10d
        dns_names: [internode.temporal.test]
        ip_addresses: [127.0.0.1]
        path: "{{ out }}/internode.pem"
        private_key_path: "{{ out }}/internode.key"
        chain_path: "{{ out }}/internode-chain.pem"
        pkcs12_path: "{{ out }}/internode.pfx"
        pkcs12_passphrase: "{{ pfx_passphrase }}"
    - name: Client certificate, AppRole auth
      mtls.temporal.temporal_leaf:
        profile: client
        common_name: payments
        issuer: vault
        vault_url: "{{ vault_url }}"
        vault_mount: pki_int
        vault_role: temporal-client
        vault_auth_method: approle
        vault_role_id: "{{ role_id }}"
        vault_secret_id: "{{ secret_id }}"
        validity: 10d
        path: "{{ out }}/client.pem"
        private_key_path: "{{ out }}/client.key"
        chain_path: "{{ out }}/client-chain.pem"
"""


class Scenario:
    """One ansible-playbook run and where everything of it lives."""

    def __init__(self, base, name, placement=None, debug=False):
        self.name = name
        self.placement = placement
        self.debug = debug
        self.root = base / name
        self.inputs = self.root / "inputs"  # what the run is given (secrets included); never scanned
        self.ephemeral = self.root / "ephemeral"
        self.fleet = self.ephemeral / "fleet"
        self.pki = self.fleet / "controller" / "pki"
        self.vault_out = self.ephemeral / "vault"
        self.tmp = self.root / "controller-tmp"
        self.local_tmp = self.tmp / "local"
        self.remote_tmp = self.tmp / "remote"
        self.ansible_home = self.tmp / "home"
        self.log = self.root / "ansible.log"
        self.stdout = self.root / "stdout.txt"
        self.stderr = self.root / "stderr.txt"
        self.results = self.root / "results.jsonl"
        self.passphrases = {}
        self.tokens = {}
        self.proc = None
        self.returncode = None
        self.skip = self.failure = None
        for directory in (self.inputs / "callbacks", self.ephemeral, self.local_tmp, self.remote_tmp, self.ansible_home):
            directory.mkdir(parents=True)
        (self.inputs / "callbacks" / "result_recorder.py").write_text(RECORDER)

    def node_root(self, host):
        return self.fleet / host

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_", "VAULT_", "BAO_"))}
        env.update(
            PATH=str(BIN) + os.pathsep + os.environ["PATH"],
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_HOME=str(self.ansible_home),
            ANSIBLE_LOCAL_TEMP=str(self.local_tmp),
            ANSIBLE_REMOTE_TEMP=str(self.remote_tmp),
            ANSIBLE_LOG_PATH=str(self.log),
            ANSIBLE_STDOUT_CALLBACK="default",
            ANSIBLE_CALLBACK_RESULT_FORMAT="json",
            ANSIBLE_CALLBACK_PLUGINS=str(self.inputs / "callbacks"),
            ANSIBLE_CALLBACKS_ENABLED="result_recorder",
            MTLS_SECRETS_RESULTS=str(self.results),
            MOLECULE_EPHEMERAL_DIRECTORY=str(self.ephemeral),
        )
        if self.debug:
            env["ANSIBLE_DEBUG"] = "1"
        return env

    def fleet_command(self):
        """The molecule site scenario's inventory and converge playbook, limited to one node and the worker."""
        self.passphrases = {"the root CA key passphrase": ROOT_PASSPHRASE, "the .pfx passphrase": PFX_PASSPHRASE}
        extra = dict(pki_root_private_key_passphrase=ROOT_PASSPHRASE, client_certs_pkcs12_passphrase=PFX_PASSPHRASE)
        if self.placement == "node":
            extra.update(node_certs_key_placement="node", server_tls_embed=True)
        (self.inputs / "secrets.json").write_text(json.dumps(extra))
        # The controller's modules run in its remote_tmp, each node's in a tmp dir of its own root.
        temps = {host: str(self.remote_tmp if host == "localhost" else self.node_root(host) / "tmp") for host in HOSTS}
        (self.inputs / "tmpdirs.json").write_text(json.dumps({"all": {"hosts": {h: {"ansible_remote_tmp": t} for h, t in temps.items()}}}))
        return ["-i", str(SHARED / "inventory.yml"), "-i", str(self.inputs / "tmpdirs.json"), "--limit", ",".join(HOSTS),
                "-e", "@" + str(self.inputs / "secrets.json"), str(SHARED / "converge.yml")]

    def vault_command(self, url, signer_token, role_id, secret_id):
        self.passphrases = {"the .pfx passphrase": PFX_PASSPHRASE}
        self.vault_out.mkdir()
        extra = dict(vault_url=url, vault_token=signer_token, role_id=role_id, secret_id=secret_id, pfx_passphrase=PFX_PASSPHRASE,
                     out=str(self.vault_out))
        (self.inputs / "secrets.json").write_text(json.dumps(extra))
        (self.inputs / "vault.yml").write_text(VAULT_PLAYBOOK)
        return ["-i", "localhost,", "-c", "local", "-e", "@" + str(self.inputs / "secrets.json"), str(self.inputs / "vault.yml")]

    def start(self, args):
        cmd = [str(BIN / "ansible-playbook"), "-vvv", "--diff"] + args
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env(), stdout=out, stderr=err, start_new_session=True)

    def poll(self):
        if self.returncode is None and self.proc is not None and self.proc.poll() is not None:
            self.returncode = self.proc.returncode
        return self.returncode

    def stop(self):
        """Ends the run's process group (ansible-playbook and its forks) by the PID it was started with."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def check_ran(self):
        tail = self.stdout.read_text(errors="replace")[-4000:] + self.stderr.read_text(errors="replace")[-2000:]
        assert self.returncode == 0, "{0}: ansible-playbook exited {1}\n{2}".format(self.name, self.returncode, tail)
        assert "failed=0" in tail and "unreachable=0" in tail, tail

    def outputs(self):
        """The run's output as it is shown, logged and handed to callbacks."""
        return {"stdout": self.stdout.read_bytes(), "stderr": self.stderr.read_bytes(), "ansible log": self.log.read_bytes(),
                "callback results": self.results.read_bytes()}

    def controller_temp_files(self):
        return files_under(self.tmp)

    def written(self):
        """Every file the run wrote (the fleet's roots, or the Vault run's output dir)."""
        return files_under(self.vault_out if self.placement is None else self.fleet)


def files_under(*roots):
    """Every regular file under roots, by path: bytes."""
    out = {}
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    out[str(path)] = path.read_bytes()
    return out


def first_body_line(pem):
    return pem.splitlines()[1]


def key_needles(paths, base, passphrase=None):
    """Needles of each private key (PEM) and PKCS#12 file: its first base64 body line, the base64 of the file past the
    header; for an encrypted key also the first body line of its decrypted PKCS#8 and traditional forms."""
    needles = {}
    for path in sorted(paths):
        data = Path(path).read_bytes()
        name = os.path.relpath(path, base)
        if path.endswith(".pfx"):
            needles["the bytes of " + name] = data[len(data) // 2:len(data) // 2 + 48]
            needles["base64 of " + name] = base64.b64encode(data)[:96]
            continue
        assert b"PRIVATE KEY-----" in data, path
        needles["first body line of " + name] = first_body_line(data)
        needles["base64 of " + name] = base64.b64encode(data)[40:104]
        if data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"):
            key = serialization.load_pem_private_key(data, passphrase.encode())
            for form, fmt in (("pkcs8", serialization.PrivateFormat.PKCS8), ("traditional", serialization.PrivateFormat.TraditionalOpenSSL)):
                clear = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
                needles["first body line of {0} decrypted ({1})".format(name, form)] = first_body_line(clear)
    return needles


def secret_files(files):
    """The written files that hold a private key: *.key, *.pfx, and any with a PEM private key or embedded key data."""
    markers = (b"PRIVATE KEY-----", b"keyData", b"KEY_DATA", b"client_key_data")
    return sorted(p for p, data in files.items() if p.endswith((".key", ".pfx")) or any(m in data for m in markers))


def scan(sources, needles, allowed=None):
    """Searches every source for every needle: (number of distinct (source, needle) scans, leaks, (label, hit) allowed)."""
    distinct = {}
    for label, needle in needles.items():
        assert needle and len(needle) >= 10, label
        distinct.setdefault(needle, label)
    leaks, excused = [], []
    for source, data in sources.items():
        for needle, label in distinct.items():
            start = data.find(needle)
            while start != -1:
                line = data[data.rfind(b"\n", 0, start) + 1:]
                line = line[:line.find(b"\n")] if b"\n" in line else line
                where = "{0} in {1}: {2!r}".format(label, source, line[:240])
                if allowed and allowed(source, label, line):
                    excused.append((label, where))
                else:
                    leaks.append(where)
                start = data.find(needle, start + 1)
    return len(sources) * len(distinct), leaks, excused


def start_vault(stack, scenario, home):
    """A real OpenBao dev server (tests/integration/test_vault_issuer.py's bao_server, stopped by its PID when the stack
    closes): a root mount, an intermediate mount with the internode and client roles, a signer token and an AppRole."""
    sys.path.insert(0, str(REPO / "tests" / "integration"))
    try:
        import test_vault_issuer as vt
    finally:
        sys.path.remove(str(REPO / "tests" / "integration"))
    url, root, root_token, _ca = stack.enter_context(vt.bao_server(home))
    for mount, ttl in (("pki", "87600h"), ("pki_int", "43800h")):
        vt.api(root, "post", "sys/mounts/" + mount, type="pki", config=dict(max_lease_ttl=ttl))
    vt.api(root, "post", "pki/root/generate/internal", common_name="Secrets Test Root", ttl="87600h", key_type="ec", key_bits=256)
    vt.make_intermediate(root, "pki_int", "Secrets Test Servers CA")
    for name in ("temporal-internode", "temporal-client"):
        vt.api(root, "post", "pki_int/roles/" + name, **vt.ROLES[name])
    vt.api(root, "put", "sys/policies/acl/temporal-signer", policy=vt.SIGNER_POLICY)
    signer_token = vt.api(root, "post", "auth/token/create", policies=["temporal-signer"], ttl="1h")["auth"]["client_token"]
    vt.api(root, "post", "sys/auth/approle", type="approle")
    vt.api(root, "post", "auth/approle/role/temporal", token_policies=["temporal-signer"], token_ttl="1h")
    role_id = vt.api(root, "get", "auth/approle/role/temporal/role-id")["data"]["role_id"]
    secret_id = vt.api(root, "post", "auth/approle/role/temporal/secret-id")["data"]["secret_id"]
    scenario.tokens = {"the Vault root token": root_token, "the Vault signer token": signer_token, "the AppRole secret_id": secret_id}
    return scenario.vault_command(url, signer_token, role_id, secret_id)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All four runs at once; the OpenBao server and every ansible-playbook still running are stopped when they end."""
    base = tmp_path_factory.mktemp("secrets")
    scenarios = {
        "controller": Scenario(base, "controller", placement="controller"),
        "controller-debug": Scenario(base, "controller-debug", placement="controller", debug=True),
        "node": Scenario(base, "node", placement="node"),
    }
    vault = Scenario(base, "vault")
    with contextlib.ExitStack() as stack:
        for scenario in scenarios.values():
            stack.callback(scenario.stop)
        stack.callback(vault.stop)
        for scenario in scenarios.values():
            scenario.start(scenario.fleet_command())
        try:
            pytest.importorskip("hvac")
            vault_args = start_vault(stack, vault, tmp_path_factory.mktemp("bao-home"))
        except pytest.skip.Exception as exc:
            vault.skip = str(exc)
        except Exception as exc:  # noqa: BLE001 - the fleet runs go on; the Vault tests report it
            vault.failure = "the OpenBao server could not be set up: {0!r}".format(exc)
        else:
            vault.start(vault_args)
        scenarios["vault"] = vault
        deadline = time.monotonic() + RUN_TIMEOUT
        while any(s.proc is not None and s.poll() is None for s in scenarios.values()):
            assert time.monotonic() < deadline, "runs still going after {0}s: {1}".format(
                RUN_TIMEOUT, [s.name for s in scenarios.values() if s.proc is not None and s.returncode is None])
            time.sleep(0.2)
    return scenarios


def scenario_of(runs, name):
    scenario = runs[name]
    if scenario.failure:
        pytest.fail(scenario.failure)
    if scenario.skip:
        pytest.skip(scenario.skip)
    scenario.check_ran()
    return scenario


def debug_allowance(scenario, needles):
    """With ANSIBLE_DEBUG=1 only, and only inside ansible-core's own record of a module's raw arguments on stdout: what the
    play hands to modules as arguments. That is the passphrases and, since node_certs ships a node's files and
    client_certs an identity's as the content argument of temporal_tls_files (one transaction per set), the node and
    client keys (and so a PEM marker). Never a CA key."""
    if not scenario.debug:
        return None, set()
    names = set(scenario.passphrases) | {"PEM private key marker"}
    shipped = ("pki/nodes/", "etc/temporal/tls/", "pki/clients/")
    names |= {label for label in needles if label.startswith("first body line of ") and any(place in label for place in shipped)}
    return (lambda source, label, line: source == "stdout" and label in names and DEBUG_MODULE_ARGS.match(line) is not None), names


@pytest.mark.parametrize("name", ["controller", "controller-debug", "node", "vault"])
def test_no_secret_in_output_results_log_or_temp_files(runs, name, tally):
    scenario = scenario_of(runs, name)
    written = scenario.written()
    keys = secret_files(written)
    base = scenario.vault_out if name == "vault" else scenario.fleet
    sources = scenario.outputs()
    temps = scenario.controller_temp_files()
    sources.update({"controller temp file " + os.path.relpath(p, scenario.root): data for p, data in temps.items()})
    needles = dict(MARKERS)
    needles.update(key_needles([p for p in keys if p.endswith((".key", ".pfx"))], base, ROOT_PASSPHRASE))
    needles.update(scenario.passphrases)
    needles.update(scenario.tokens)
    needles = {label: needle.encode() if isinstance(needle, str) else needle for label, needle in needles.items()}
    allowed, allowed_labels = debug_allowance(scenario, needles)
    count, leaks, excused = scan(sources, needles, allowed)
    assert not leaks, "{0} leak(s):\n".format(len(leaks)) + "\n".join(leaks[:40])
    # Nothing is left in a temp dir either (a module's AnsiballZ file there holds its arguments, passphrases included).
    node_temps = files_under(*(scenario.node_root(host) / "tmp" for host in NODE_HOSTS)) if name != "vault" else {}
    assert not temps and not node_temps, sorted(temps) + sorted(node_temps)

    # The run was what it claims to be: -vvv with --diff, the temp dirs in use, results recorded, debug on or off.
    out = sources["stdout"].decode(errors="replace")
    log = sources["ansible log"].decode(errors="replace")
    assert "--- before" in out and "+++ after" in out, "no diff shown"
    assert str(scenario.remote_tmp / "ansible-tmp-") in log, "the controller's remote_tmp was not used"
    assert len(sources["callback results"].splitlines()) >= 3
    assert (DEBUG_MODULE_ARGS.search(sources["stdout"]) is not None) == scenario.debug
    if scenario.debug:
        # The allowance is used by the documented ansible-core record alone, which does carry the passphrases.
        excused_labels = {label for label, _where in excused}
        assert set(scenario.passphrases) <= excused_labels <= allowed_labels, sorted(excused_labels)
    else:
        assert not excused
    if name == "vault":
        assert len(keys) == 3  # internode.key, internode.pfx, client.key
        assert pkcs12.load_key_and_certificates((base / "internode.pfx").read_bytes(), PFX_PASSPHRASE.encode())[0] is not None
    else:
        for host in NODE_HOSTS:
            assert str(scenario.node_root(host) / "tmp" / "ansible-tmp-") in log, host + "'s remote_tmp was not used"
        assert (scenario.pki / "root-ca.key").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        pfx = scenario.pki / "clients" / "payments" / "client.pfx"
        assert pkcs12.load_key_and_certificates(pfx.read_bytes(), PFX_PASSPHRASE.encode())[0] is not None
        assert (scenario.node_root("worker1") / "etc/temporal/clients/billing/client.key").is_file()
        config = (scenario.node_root("node1") / "etc/temporal/config.yaml").read_bytes()
        assert (b"keyData:" in config) == (scenario.placement == "node") and b"internode" in config
        expected = ["controller/pki/" + key for key in CA_KEYS] + ["node1/etc/temporal/tls/internode.key", "node1/etc/temporal/tls/frontend.key"]
        expected += ["controller/pki/clients/payments/client.key", "controller/pki/clients/payments/client.pfx",
                     "controller/pki/clients/billing/client.key", "worker1/etc/temporal/clients/billing/client.key"]
        if scenario.placement == "controller":
            expected += ["controller/pki/nodes/node1/internode.key", "controller/pki/nodes/node1/frontend.key"]
        else:
            expected += ["node1/etc/temporal/config.yaml"]  # keyData
        assert sorted(os.path.relpath(p, base) for p in keys) == sorted(expected)
    tally("secret_scans", count)


@pytest.mark.parametrize("name", ["controller", "controller-debug"])
def test_ca_keys_never_reach_a_node(runs, name, tally):
    """controller placement: no node root holds a CA key, its body, its base64 or even its file name."""
    scenario = scenario_of(runs, name)
    ca_keys = [str(scenario.pki / key) for key in CA_KEYS]
    needles = key_needles(ca_keys, scenario.fleet, ROOT_PASSPHRASE)
    needles.update({"the file name " + key: key.encode() for key in CA_KEYS})
    node_files = files_under(*(scenario.node_root(host) for host in NODE_HOSTS))
    assert any(p.endswith("internode.key") for p in node_files), "the controller shipped no node key"
    named = [p for p in node_files if os.path.basename(p) in CA_KEYS]
    assert not named, named
    count, leaks, _excused = scan(node_files, needles)
    assert not leaks, "\n".join(leaks[:40])
    tally("secret_scans", count)


def test_node_keys_never_reach_the_controller(runs, tally):
    """node placement: the controller's PKI dir, temp dirs, log, output and results hold nothing of a node key."""
    scenario = scenario_of(runs, "node")
    node_keys = [str(scenario.node_root(host) / "etc/temporal/tls" / key) for host in SERVER_HOSTS for key in ("internode.key", "frontend.key")]
    needles = key_needles(node_keys, scenario.fleet)
    staged = [p for p in files_under(scenario.pki / "nodes") if p.endswith(".key")]
    assert not staged, staged
    sources = files_under(scenario.pki, scenario.tmp)
    sources.update(scenario.outputs())
    count, leaks, _excused = scan(sources, needles)
    assert not leaks, "\n".join(leaks[:40])
    tally("secret_scans", count)


@pytest.mark.parametrize("name", ["controller", "controller-debug", "node", "vault"])
def test_every_key_and_pfx_file_is_0600(runs, name):
    scenario = scenario_of(runs, name)
    keys = secret_files(scenario.written())
    assert keys
    modes = {os.path.relpath(p, scenario.ephemeral): oct(stat.S_IMODE(os.stat(p).st_mode)) for p in keys}
    assert all(mode == "0o600" for mode in modes.values()), modes
