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


def test_entries_share_a_transaction_only_within_one_directory():
    """Consecutive entries writing to one directory share a transaction (at most BATCH_TRANSACTION_ENTRIES), entries
    with nothing to write join any; one that removes files or writes to two directories stands alone."""
    from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Plan
    from ansible_collections.mtls.temporal.plugins.module_utils.door import runner

    def entry(name, *paths, removals=()):
        plan = Plan()
        for path in paths:
            plan.write("path", path, b"")
        plan.removals = list(removals)
        return (name, None, plan)

    entries = [entry("a1", "/a/1.pem", "/a/1.key"), entry("same"), entry("a2", "/a/2.pem"), entry("b1", "/b/1.pem"),
               entry("gone", removals=["/b/2.pem"]), entry("b3", "/b/3.pem"), entry("split", "/b/4.pem", "/c/4.key"),
               entry("c5", "/c/5.pem")]
    groups = [[name for name, _backend, _plan in group] for group in runner._transactions(entries)]
    assert groups == [["a1", "same", "a2"], ["b1"], ["gone"], ["b3"], ["split"], ["c5"]]

    many = [entry(str(i), "/a/{0}.pem".format(i)) for i in range(runner.BATCH_TRANSACTION_ENTRIES + 1)]
    assert [len(group) for group in runner._transactions(many)] == [runner.BATCH_TRANSACTION_ENTRIES, 1]
