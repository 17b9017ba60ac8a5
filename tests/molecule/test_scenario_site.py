"""Molecule scenario 'site' (extensions/molecule/site): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import run_scenario

pytestmark = pytest.mark.slow


def test_site_scenario():
    run_scenario("site")
