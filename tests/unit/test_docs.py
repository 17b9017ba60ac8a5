"""The option-to-setting page documents exactly the names the code uses."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils._tls_render import TRAPS
from ansible_collections.mtls.temporal.plugins.module_utils._tls_schema import (
    CLIENT_KEYS,
    CLIENT_PROFILE_KEYS,
    EXPIRATION_KEYS,
    ROOT_KEYS,
    SERVER_ENV_VARIABLES,
    SERVER_KEYS,
    WORKER_KEYS,
)
from conftest import REPO

PAGE = (REPO / "docs" / "tls-config-options.md").read_text()


def test_every_server_key_is_mapped():
    for option, key in SERVER_KEYS + CLIENT_KEYS + ROOT_KEYS:
        assert "| `{0}` | `{1}`".format(option, key) in PAGE or "| `{0}` | `global.tls.{1}`".format(option, key) in PAGE, option
    for option, key in WORKER_KEYS + EXPIRATION_KEYS:
        assert "`{0}` → `{1}`".format(option, key) in PAGE, option


def test_every_env_variable_and_client_key_is_listed():
    for variable in SERVER_ENV_VARIABLES:
        base = variable[: -len("_DATA")] if variable.endswith("_DATA") else variable
        assert "`{0}`".format(base) in PAGE or "`{0}` / `_DATA`".format(base) in PAGE, variable
    for option, _table, key, variable in CLIENT_PROFILE_KEYS:
        assert "`client.{0}`".format(option) in PAGE and "`{0}`".format(variable) in PAGE and key in PAGE


def test_every_trap_is_explained():
    for trap in TRAPS:
        assert "| `{0}` |".format(trap) in PAGE
