from __future__ import annotations

from pathlib import Path

from ansible_collections.mtls.temporal.plugins.modules import temporal_cert_info


def test_issuer_bundle_counts_every_ca_in_it_and_only_those(run_module, ca_factory, leaf_factory, tmp_path):
    root = ca_factory("root")
    accounting = ca_factory("accounting", parent=root, path_length=0)
    development = ca_factory("development", parent=root, path_length=0)
    servers = ca_factory("servers", parent=root, path_length=0)
    leaves = [leaf_factory("payments", "client", accounting, common_name="payments")["path"],
              leaf_factory("billing", "client", development, common_name="billing")["path"],
              leaf_factory("internode", "internode", servers, dns_names=["internode.example"])["path"]]
    clients = tmp_path / "clients-bundle.pem"
    clients.write_bytes(Path(development["path"]).read_bytes() + Path(accounting["path"]).read_bytes())

    by_path = run_module(temporal_cert_info.main, dict(path=leaves, issuer_path=str(clients)))
    by_content = run_module(temporal_cert_info.main, dict(path=leaves, issuer_content=clients.read_text()))
    for run in (by_path, by_content):
        assert not run.failed, run.msg
        assert [entry["issued_by_issuer"] for entry in run["files"]] == [True, True, False]

    # One CA alone answers for its own leaves only.
    single = run_module(temporal_cert_info.main, dict(path=leaves, issuer_path=accounting["path"]))
    assert [entry["issued_by_issuer"] for entry in single["files"]] == [True, False, False]


def test_one_path_and_the_old_option_name_read_the_same_file(run_module, ca_factory):
    root = ca_factory("root")
    one = run_module(temporal_cert_info.main, dict(path=root["path"]))
    old = run_module(temporal_cert_info.main, dict(paths=[root["path"]]))
    assert not one.failed and not old.failed, (one.msg, old.msg)
    assert [entry["path"] for entry in one["files"]] == [root["path"]]
    assert one["files"][0]["certificates"] == old["files"][0]["certificates"]
    assert one["files"][0]["certificates"][0]["subject"].startswith("CN=")
