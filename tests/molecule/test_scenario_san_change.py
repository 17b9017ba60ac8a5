"""Molecule scenario 'san_change' (extensions/molecule/san_change): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import run_scenario

pytestmark = pytest.mark.slow


def test_san_change_scenario():
    run_scenario("san_change")
