"""Molecule scenario 'renewal' (extensions/molecule/renewal): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import run_scenario

pytestmark = pytest.mark.slow


def test_renewal_scenario():
    run_scenario("renewal")
