"""Merging global.tls into a server config the user already has, through real ansible-playbook runs: nothing of
the user's is lost. A key the server reads that this collection never writes, and a whole block whose option is
unset, are kept as they are; a key the server does not read is kept and named in a warning; a key the collection
no longer renders is removed and named. A rerun changes nothing."""

from __future__ import annotations

import yaml

from conftest import run_cases, snapshot

USER_CONFIG = """\
# The operator's own config.
persistence:
  defaultStore: default
global:
  membership:
    maxJoinDuration: 30s
  tls:
    cipherSuites: [TLS_AES_128_GCM_SHA256]
    internode:
      server:
        certFile: /old/internode.pem
        keyFile: /old/internode.key
        minVersion: "1.3"
      client:
        serverName: old.internode.test
      hostOverrides:
        node1.internode.test:
          certFile: /srv/node1.pem
          keyFile: /srv/node1.key
    remoteClusters:
      standby.example.test:
        client:
          rootCaFiles: [/srv/standby-ca.pem]
"""


def test_the_users_keys_survive_the_merge(tmp_path, ca_factory, leaf_factory):
    servers = ca_factory("servers", parent=ca_factory("root"))
    node = leaf_factory("internode", "internode", servers, dns_names=["node1.internode.test"])
    config = tmp_path / "config.yaml"
    config.write_text(USER_CONFIG)
    args = dict(config_path=str(config), dynamic_config_path=str(tmp_path / "dynamicconfig.yaml"), internode=dict(
        server=dict(cert_file=node["path"], key_file=node["private_key_path"], client_ca_files=[servers["path"]], require_client_auth=True),
        client=dict(root_ca_files=[servers["path"]])))
    results, output = run_cases(tmp_path, [("merge", "temporal_tls_config", args)], diff=True)
    merged = results["merge"]
    assert merged["changed"] and not merged.get("failed"), merged
    tls = yaml.safe_load(config.read_text())["global"]["tls"]
    # Rendered: the collection's internode blocks, without the serverName these options no longer set.
    assert tls["internode"]["server"]["certFile"] == node["path"] and "serverName" not in tls["internode"]["client"]
    # Kept: keys the server does not read, a key it reads that the collection never writes, an unset block.
    assert tls["cipherSuites"] == ["TLS_AES_128_GCM_SHA256"] and tls["internode"]["server"]["minVersion"] == "1.3"
    assert tls["internode"]["hostOverrides"] == {"node1.internode.test": {"certFile": "/srv/node1.pem", "keyFile": "/srv/node1.key"}}
    assert tls["remoteClusters"] == {"standby.example.test": {"client": {"rootCaFiles": ["/srv/standby-ca.pem"]}}}
    document = yaml.safe_load(config.read_text())
    assert document["persistence"] == {"defaultStore": "default"} and document["global"]["membership"] == {"maxJoinDuration": "30s"}
    assert config.read_text().startswith("# The operator's own config.")
    warnings = merged["warnings"]
    for name in ("global.tls.cipherSuites", "global.tls.internode.server.minVersion"):
        assert "config_path: {0} is not a key the Temporal server reads, so it has no effect; kept as it was".format(name) in warnings, warnings
    assert "config_path: global.tls.internode.client.serverName is removed: these options no longer set it" in warnings
    assert not any("hostOverrides" in w or "remoteClusters" in w for w in warnings), warnings
    # The diff shows the kept keys on both sides, and what changed.
    assert "cipherSuites" in output and "old.internode.test" in output
    before = snapshot(str(config))
    rerun, _output = run_cases(tmp_path, [("merge", "temporal_tls_config", args)])
    assert not rerun["merge"]["changed"], rerun["merge"]
    assert snapshot(str(config)) == before
    # The unread keys are named on every run: a cipher list that does nothing is worth hearing about.
    assert any("global.tls.cipherSuites" in w for w in rerun["merge"]["warnings"])
