"""Molecule scenario 'node_keys' (extensions/molecule/node_keys): several local-connection hosts, no containers, no root."""

from __future__ import annotations

import pytest

from molecule_runner import run_scenario

pytestmark = pytest.mark.slow


def test_node_keys_scenario():
    run_scenario("node_keys")
