from __future__ import annotations

import os

import pytest

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch


@pytest.fixture
def servers_ca(ca_factory):
    return ca_factory("Servers", parent=ca_factory("Root", path_length=1), path_length=0)


def batch_args(tmp_path, ca, *names, **entry_options):
    entries = [dict(profile="client", common_name=name, path=str(tmp_path / (name + ".pem")), private_key_path=str(tmp_path / (name + ".key")),
                    chain_path=str(tmp_path / (name + "-chain.pem")), **entry_options) for name in names]
    return dict(certificates=entries, ca_path=ca["chain_path"], ca_private_key_path=ca["private_key_path"])


def test_an_absent_entry_removes_its_files_and_leaves_the_others(run_module, tmp_path, servers_ca):
    """The regression: state absent in a batch reported changed and deleted nothing."""
    run_module(temporal_leaf_batch.main, batch_args(tmp_path, servers_ca, "billing", "shipping"))
    removal = batch_args(tmp_path, servers_ca, "billing", "shipping")
    removal["certificates"][0]["state"] = "absent"

    checked = run_module(temporal_leaf_batch.main, removal, check_mode=True)
    assert checked.changed and os.path.exists(tmp_path / "billing.pem")
    assert sorted(checked["certificates"][0]["removed"]) == sorted(str(tmp_path / name) for name in ("billing.pem", "billing.key", "billing-chain.pem"))

    run = run_module(temporal_leaf_batch.main, removal)
    assert run.changed and [entry["changed"] for entry in run["certificates"]] == [True, False]
    assert not any(os.path.exists(path) for path in run["certificates"][0]["removed"])
    assert all(os.path.exists(tmp_path / name) for name in ("shipping.pem", "shipping.key", "shipping-chain.pem"))

    again = run_module(temporal_leaf_batch.main, removal)
    assert not again.changed and again["certificates"][0]["removed"] == []
