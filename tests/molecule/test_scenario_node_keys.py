"""Molecule scenario 'node_keys' (extensions/molecule/node_keys): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import assert_scenario_passes

pytestmark = pytest.mark.slow

SCENARIO = "node_keys"


def test_node_keys_scenario(molecule_scenario, capfd, monkeypatch):
    assert_scenario_passes(molecule_scenario, capfd, monkeypatch)
