"""Internode names, through real ansible-playbook runs: without internode.client.server_name peers dial a node by
the address membership advertises (global.membership.broadcastAddress, else each service's bind IP), so
temporal_tls_config refuses an internode certificate without that IP SAN, naming the address and where it comes
from; with a server_name set, the name is what counts."""

from __future__ import annotations

import yaml

from conftest import run_cases


def test_the_internode_certificate_must_carry_what_peers_dial(tmp_path, ca_factory, leaf_factory):
    servers = ca_factory("servers", parent=ca_factory("root"))
    node = leaf_factory("internode", "internode", servers, dns_names=["internode.temporal.test"], ip_addresses=["127.0.0.11"])

    def config(name, document):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict(document, dynamicConfigClient={"filepath": str(tmp_path / (name + ".dynamic.yaml"))})))
        return str(path)

    def args(config_path, server_name=None):
        client = dict(root_ca_files=[servers["path"]], **({"server_name": server_name} if server_name else {}))
        return dict(config_path=config_path, internode=dict(
            server=dict(cert_file=node["path"], key_file=node["private_key_path"], client_ca_files=[servers["path"]], require_client_auth=True),
            client=client))

    broadcast = config("broadcast.yaml", {"global": {"membership": {"broadcastAddress": "10.1.2.3"}}})
    bound = config("bound.yaml", {"services": {"history": {"rpc": {"grpcPort": 7234, "bindOnIP": "127.0.0.12"}},
                                               "frontend": {"rpc": {"grpcPort": 7233, "bindOnIP": "0.0.0.0"}}}})
    matching = config("matching.yaml", {"global": {"membership": {"broadcastAddress": "127.0.0.11"}}})
    named = config("named.yaml", {"global": {"membership": {"broadcastAddress": "10.1.2.3"}}})
    results, _output = run_cases(tmp_path, [
        ("broadcast", "temporal_tls_config", args(broadcast)),
        ("bound", "temporal_tls_config", args(bound)),
        ("matching", "temporal_tls_config", args(matching)),
        ("named", "temporal_tls_config", args(named, server_name="internode.temporal.test")),
    ])
    assert results["broadcast"]["failed"], results["broadcast"]
    assert ("internode.server: {0} has no SAN for '10.1.2.3' (peers dial global.membership.broadcastAddress of config_path, and no "
            "internode.client.server_name is set)".format(node["path"])) in results["broadcast"]["msg"]
    assert results["bound"]["failed"] and "has no SAN for '127.0.0.12' (peers dial services.history.rpc.bindOnIP" in results["bound"]["msg"]
    assert "0.0.0.0" not in results["bound"]["msg"]
    for name in ("matching", "named"):
        assert results[name]["changed"] and not results[name].get("failed"), results[name]
    assert "global:\n  membership:\n    broadcastAddress: 10.1.2.3" in (tmp_path / "broadcast.yaml").read_text()  # untouched on failure
    assert "tls" not in yaml.safe_load((tmp_path / "broadcast.yaml").read_text())["global"]
