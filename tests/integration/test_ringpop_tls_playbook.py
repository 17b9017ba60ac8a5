"""Membership over TLS, through real ansible-playbook runs: whenever internode TLS is on, temporal_tls_config turns on
system.enableRingpopTLS in the server's dynamic config (the file dynamic_config_path names, or the one the server
config's dynamicConfigClient.filepath names), merged into what the file has; it asks for a restart when it turns it
on, and fails by the trap ringpop_plaintext when no dynamic config file is known, and by ringpop_rolling_restart when
nodes configured before would be restarted batch by batch. The real cluster's nodes read
the file the role wrote (tests/e2e: a peer without ringpop TLS is refused)."""

from __future__ import annotations

import json

import yaml

from conftest import run_cases, snapshot
from rotation_fleet import inventory, play

DYNAMIC = """\
# Operator's dynamic config.
frontend.enableServerVersionCheck:
  - value: false
system.enableRingpopTLS:
  - value: false
matching.numTaskqueueReadPartitions:
  - value: 4
    constraints: {namespace: payments}
"""


def internode(tmp_path, ca_factory, leaf_factory):
    servers = ca_factory("servers", parent=ca_factory("root"))
    node = leaf_factory("internode", "internode", servers, dns_names=["internode.temporal.test"])
    return dict(server=dict(cert_file=node["path"], key_file=node["private_key_path"], client_ca_files=[servers["path"]], require_client_auth=True),
                client=dict(server_name="internode.temporal.test", root_ca_files=[servers["path"]]))


def test_ringpop_tls_is_merged_into_the_dynamic_config_the_server_reads(tmp_path, ca_factory, leaf_factory):
    blocks = internode(tmp_path, ca_factory, leaf_factory)
    dynamic = tmp_path / "dynamicconfig.yaml"
    dynamic.write_text(DYNAMIC)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"dynamicConfigClient": {"filepath": str(dynamic), "pollInterval": "10s"}}))
    args = dict(config_path=str(config), internode=blocks)
    results, output = run_cases(tmp_path, [("on", "temporal_tls_config", args)], diff=True)
    first = results["on"]
    assert first["changed"] and not first.get("failed"), first
    document = yaml.safe_load(dynamic.read_text())
    assert document["system.enableRingpopTLS"] == [{"value": True}]
    assert document["frontend.enableServerVersionCheck"] == [{"value": False}]
    assert document["matching.numTaskqueueReadPartitions"] == [{"value": 4, "constraints": {"namespace": "payments"}}]
    assert dynamic.read_text().startswith("# Operator's dynamic config.")
    assert any("system.enableRingpopTLS turned on in {0}".format(dynamic) in reason and "restart every node" in reason
               for reason in first["restart_reasons"]), first["restart_reasons"]
    assert any("set system.enableRingpopTLS to [{'value': False}]; set to true" in w for w in first["warnings"]), first["warnings"]
    assert "system.enableRingpopTLS" in output  # the diff shows the setting
    before = snapshot(str(dynamic), str(config))
    rerun, _output = run_cases(tmp_path, [("on", "temporal_tls_config", args)])
    assert not rerun["on"]["changed"] and not rerun["on"]["restart_required"], rerun["on"]
    assert snapshot(str(dynamic), str(config)) == before


def test_without_a_known_dynamic_config_the_trap_fails_the_run(tmp_path, ca_factory, leaf_factory):
    blocks = internode(tmp_path, ca_factory, leaf_factory)
    relative = tmp_path / "relative.yaml"
    relative.write_text(yaml.safe_dump({"dynamicConfigClient": {"filepath": "config/dynamicconfig.yaml"}}))
    cases = [
        ("no_file", "temporal_tls_config", dict(config_path=str(tmp_path / "fresh.yaml"), internode=blocks)),
        ("relative", "temporal_tls_config", dict(config_path=str(relative), internode=blocks)),
        ("env", "temporal_tls_config", dict(env_path=str(tmp_path / "tls.env"), internode=blocks)),
        ("relaxed", "temporal_tls_config", dict(config_path=str(tmp_path / "relaxed.yaml"), internode=blocks, relaxed_checks=["ringpop_plaintext"])),
        ("no_internode", "temporal_tls_config", dict(config_path=str(tmp_path / "frontend-only.yaml"), frontend=dict(server=blocks["server"]),
                                                     relaxed_checks=["frontend_client_plaintext"])),
    ]
    results, _output = run_cases(tmp_path, cases)
    for name in ("no_file", "relative", "env"):
        assert results[name]["failed"], results[name]
        assert "internode: no dynamic config file is known: set dynamic_config_path" in results[name]["msg"]
        assert "(add ringpop_plaintext to relaxed_checks to accept it)" in results[name]["msg"]
    assert not (tmp_path / "fresh.yaml").exists() and not (tmp_path / "tls.env").exists()
    assert results["relaxed"]["changed"] and any("(relaxed: ringpop_plaintext)" in w for w in results["relaxed"]["warnings"])
    assert results["no_internode"]["changed"] and not results["no_internode"].get("failed"), results["no_internode"]


def test_a_rolling_restart_cannot_turn_ringpop_tls_on_for_running_nodes(tmp_path, ca_factory, leaf_factory):
    """A node configured before may run in a plaintext ring: with rolling_restart, turning ringpop TLS on for it fails
    before anything is written. A node configured now runs nothing yet, and the trap can be relaxed."""
    blocks = internode(tmp_path, ca_factory, leaf_factory)
    configured = {}
    for name in ("configured", "relaxed"):
        configured[name] = tmp_path / (name + ".yaml")
        configured[name].write_text(yaml.safe_dump({"global": {"membership": {"maxJoinDuration": "30s"}}}))
    before = snapshot(*(str(path) for path in configured.values()))

    def args(name, **extra):
        return dict(config_path=str(tmp_path / (name + ".yaml")), dynamic_config_path=str(tmp_path / (name + "-dynamic.yaml")),
                    internode=blocks, rolling_restart=True, **extra)

    results, _output = run_cases(tmp_path, [
        ("configured", "temporal_tls_config", args("configured")),
        ("fresh", "temporal_tls_config", args("fresh")),
        ("relaxed", "temporal_tls_config", args("relaxed", relaxed_checks=["ringpop_rolling_restart"])),
    ])
    assert results["configured"]["failed"], results["configured"]
    assert results["configured"]["msg"].startswith("rolling_restart: {0} turns system.enableRingpopTLS on".format(configured["configured"]))
    assert "(add ringpop_rolling_restart to relaxed_checks to accept it)" in results["configured"]["msg"]
    assert not (tmp_path / "configured-dynamic.yaml").exists()
    assert snapshot(str(configured["configured"])) == {k: v for k, v in before.items() if k == str(configured["configured"])}
    assert results["fresh"]["changed"] and not results["fresh"].get("failed"), results["fresh"]
    assert results["relaxed"]["changed"] and any("(relaxed: ringpop_rolling_restart)" in w for w in results["relaxed"]["warnings"])


def test_the_fleet_turns_ringpop_tls_on_for_running_nodes_only_all_at_once(tmp_path):
    """Nodes already configured without TLS: under mtls_temporal_serial=1 (server_tls restarting them) the fleet play
    stops before writing; all at once it turns ringpop TLS on everywhere."""
    spec = inventory(tmp_path)
    spec["all"]["vars"].update(server_tls_manage_service=True, server_tls_restart_command=["true"])
    (tmp_path / "inventory.json").write_text(json.dumps(spec))
    for node in ("node1", "node2"):
        (tmp_path / node).mkdir()
        (tmp_path / node / "config.yaml").write_text(yaml.safe_dump({"global": {"membership": {"maxJoinDuration": "30s"}}}))
    proc = play(tmp_path, "mtls.temporal.site", "-e", "mtls_temporal_serial=1")
    assert proc.returncode != 0
    assert "(add ringpop_rolling_restart to relaxed_checks to accept it)" in proc.stdout, proc.stdout[-3000:]
    assert not (tmp_path / "node1" / "dynamicconfig.yaml").exists()
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    for node in ("node1", "node2"):
        assert yaml.safe_load((tmp_path / node / "dynamicconfig.yaml").read_text())["system.enableRingpopTLS"] == [{"value": True}]
