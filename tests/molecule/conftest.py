"""pytest-ansible parametrizes its molecule_scenario fixture with every molecule scenario git tracks. Each test file
here runs the one its SCENARIO names, so that pytest-xdist's --dist loadfile can run two scenarios at once."""

from __future__ import annotations

import pytest


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
        items[:] = selected
