"""Molecule scenario 'san_change' (extensions/molecule/san_change): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import assert_scenario_passes

pytestmark = pytest.mark.slow

SCENARIO = "san_change"


def test_san_change_scenario(molecule_scenario, capfd, monkeypatch):
    assert_scenario_passes(molecule_scenario, capfd, monkeypatch)
