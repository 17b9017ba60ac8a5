"""Molecule scenario 'changes' (extensions/molecule/changes): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import assert_scenario_passes

pytestmark = [pytest.mark.slow, pytest.mark.long]

SCENARIO = "changes"


def test_changes_scenario(molecule_scenario, capfd, monkeypatch):
    assert_scenario_passes(molecule_scenario, capfd, monkeypatch)
