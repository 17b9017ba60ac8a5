"""Fixtures shared by every test: the collection on sys.path, a module runner, a small PKI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"
BIN = Path(sys.executable).parent
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))

from ansible.module_utils.testing import patch_module_args  # noqa: E402

# Plain output from ansible-playbook, molecule and the linters, which the tests read.
QUIET = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0", "NO_COLOR": "1"}
RECAP_CHANGED = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", re.M)


def tool_env(**env_vars):
    """The environment of a tool of the venv run as a command: the venv first on PATH, QUIET, and env_vars."""
    return dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], **QUIET, **env_vars)


def changed_per_host(output):
    """{host: changed=} of the last PLAY RECAP in an ansible-playbook output."""
    return {host: int(changed) for host, changed in RECAP_CHANGED.findall(output.rsplit("PLAY RECAP", 1)[1])}


class ModuleRun:
    def __init__(self, result, failed):
        self.result = result
        self.failed = failed

    def __getitem__(self, key):
        return self.result[key]

    def get(self, key, default=None):
        return self.result.get(key, default)

    @property
    def changed(self):
        return self.result.get("changed")

    @property
    def msg(self):
        return self.result.get("msg", "")


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with args, as Ansible would; returns a ModuleRun."""

    def run(main, args, check_mode=False, diff=False):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                main()
        out = capsys.readouterr().out
        result = json.loads(out)
        return ModuleRun(result, exc.value.code != 0 or result.get("failed", False))

    return run


@pytest.fixture
def ca_factory(run_module, tmp_path):
    """make(name, parent=None, **options) -> dict of the CA's paths, made through temporal_ca's main()."""
    from ansible_collections.mtls.temporal.plugins.modules import temporal_ca

    def make(name, parent=None, **options):
        args = dict(
            path=str(tmp_path / (name + ".pem")),
            private_key_path=str(tmp_path / (name + ".key")),
            common_name=name,
            organization="mtls.temporal tests",
        )
        if parent is not None:
            args.update(
                parent_ca_path=parent["path"],
                parent_ca_private_key_path=parent["private_key_path"],
                chain_path=str(tmp_path / (name + "-chain.pem")),
            )
        args.update(options)
        run = run_module(temporal_ca.main, args)
        assert not run.failed, run.msg
        return args

    return make


def snapshot(*paths):
    """(inode, mtime_ns, bytes) per existing file: proves a rerun touched nothing."""
    out = {}
    for path in paths:
        if path and os.path.exists(path):
            st = os.stat(path)
            with open(path, "rb") as handle:
                out[path] = (st.st_ino, st.st_mtime_ns, handle.read())
    return out


def run_cases(tmp_path, cases, check=False, diff=False):
    """Run each (name, module, args) as one task of one ansible-playbook run on localhost, errors ignored, so a
    run proves many cases; returns ({name: registered result}, the playbook's output)."""
    tasks = [{"name": name, "mtls.temporal." + module: args, "register": "case_" + name, "ignore_errors": True} for name, module, args in cases]
    results = "{{ {" + ", ".join("{0!r}: case_{0}".format(name) for name, _module, _args in cases) + "} | to_json }}"
    tasks.append({"name": "Keep the results", "ansible.builtin.copy": {"content": results, "dest": str(tmp_path / "results.json"), "mode": "0600"},
                  "check_mode": False, "diff": False})
    playbook = tmp_path / "cases.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Cases", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}],
                                       sort_keys=False))
    env = tool_env()
    options = (["--check"] if check else []) + (["--diff"] if diff else [])
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)] + options,
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return json.loads((tmp_path / "results.json").read_text()), proc.stdout


@pytest.fixture
def leaf_factory(run_module, tmp_path):
    """make(name, profile, ca, **options) -> dict of the leaf's paths, made through temporal_leaf's main()."""
    from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf

    def make(name, profile, ca, **options):
        args = dict(
            profile=profile,
            path=str(tmp_path / (name + ".pem")),
            private_key_path=str(tmp_path / (name + ".key")),
            chain_path=str(tmp_path / (name + "-chain.pem")),
            ca_path=ca.get("chain_path") or ca["path"],
            ca_private_key_path=ca["private_key_path"],
        )
        args.update(options)
        run = run_module(temporal_leaf.main, args)
        assert not run.failed, run.msg
        return args

    return make


# --- The real-client harness (tests/harness/temporal_harness.py) as fixtures: one fleet issued by the demo
# playbook, one dev server and the TLS fronts configured from that fleet's rendered configs, each started
# once per module and stopped by PID.

sys.path.insert(0, str(REPO / "tests" / "harness"))
import temporal_cluster  # noqa: E402
import temporal_harness as harness  # noqa: E402


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The demo's fleet, issued and rendered by real ansible-playbook: PKI, three nodes, a client profile."""
    demo_dir = tmp_path_factory.mktemp("fleet")
    env = tool_env()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "demo/inventory.yml", "demo/site.yml", "-e", "demo_dir=" + str(demo_dir)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return demo_dir


def rendered_tls(fleet, node="node1"):
    return yaml.safe_load((fleet / "nodes" / node / "config.yaml").read_text())["global"]["tls"]


@pytest.fixture(scope="module")
def harness_dir():
    work = harness.workdir()
    yield work
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def dev_server(harness_dir):
    with harness.DevServer(harness_dir) as server:
        yield server


@pytest.fixture(scope="module")
def frontend(fleet, harness_dir, dev_server):
    """Node 1's rendered frontend server block, served by Caddy in front of the dev server."""
    with harness.TLSFront(harness_dir, rendered_tls(fleet)["frontend"]["server"], dev_server.address, "frontend.temporal.demo") as front:
        yield front


@pytest.fixture(scope="module")
def internode_peer(fleet, harness_dir, dev_server):
    """Stands in for a peer node: node 2's rendered internode server block (its internode cert, requiring the internode CA)."""
    with harness.TLSFront(harness_dir, rendered_tls(fleet, "node2")["internode"]["server"], dev_server.address, "internode.temporal.demo") as front:
        yield front


# --- The real cluster (tests/harness/temporal_cluster.py): each test module that uses it defines its own module-scoped
# `fleet` (a temporal_cluster.Fleet), which this runs.


@pytest.fixture(scope="module")
def cluster(fleet):
    """The module's fleet as real temporal-server processes, started once and stopped by PID after its tests."""
    with temporal_cluster.Cluster(temporal_cluster.server_binaries(), fleet) as running:
        yield running


# --- The reliability suite counts what it tried (faults, bad inputs, secret scans) and prints the totals.
# Tests call tally(kind, n); the counts travel as user properties with each report, also from pytest-xdist
# workers, so the closing line holds the whole run's totals.

_TALLY_PREFIX = "reliability_"
_TALLY_TOTALS = {}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for name, value in report.user_properties:
            if name.startswith(_TALLY_PREFIX):
                kind = name[len(_TALLY_PREFIX):]
                _TALLY_TOTALS[kind] = _TALLY_TOTALS.get(kind, 0) + int(value)


def pytest_terminal_summary(terminalreporter):
    if _TALLY_TOTALS:
        counts = ", ".join("{0} {1}".format(_TALLY_TOTALS[kind], kind.replace("_", " ")) for kind in sorted(_TALLY_TOTALS))
        terminalreporter.write_line("reliability suite: " + counts)


@pytest.fixture
def tally(record_property):
    """tally(kind, n=1) counts n tries of kind ("faults", "bad_inputs", "secret_scans") for the closing line."""

    def add(kind, n=1):
        record_property(_TALLY_PREFIX + kind, n)

    return add


# --- What runs, in which order. pytest-ansible's molecule support parametrizes its molecule_scenario fixture with
# every molecule scenario git tracks; each tests/molecule/ file runs only the one its SCENARIO names, so that
# --dist loadfile runs two at once.


def pytest_collection_modifyitems(config, items):
    selected, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        scenario = callspec.params.get("molecule_scenario") if callspec else None
        if scenario is not None and scenario.name != item.module.SCENARIO:
            deselected.append(item)
        else:
            selected.append(item)
    unmatched = {item.module for item in deselected} - {item.module for item in selected}
    if unmatched:
        raise pytest.UsageError("No molecule scenario tracked by git is named " + ", ".join(sorted(m.SCENARIO for m in unmatched)))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    # The long files first (the sort is stable): scripts/test.sh hands files to the two workers in this order, so the
    # last ones given out are short and both workers finish at about the same time.
    items[:] = sorted(selected, key=lambda item: item.get_closest_marker("long") is None)
