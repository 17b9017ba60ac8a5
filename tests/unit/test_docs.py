"""The option-to-setting page documents exactly the names the code uses."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils.temporal.render import TRAPS
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    CLIENT_KEYS,
    CLIENT_PROFILE_KEYS,
    EXPIRATION_KEYS,
    ROOT_KEYS,
    SERVER_ENV_VARIABLES,
    SERVER_KEYS,
    TDBG_ENV,
    UI_ADDRESS,
    UI_DATA_KEYS,
    UI_HOST_VERIFICATION,
    UI_TLS_KEYS,
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


def test_every_admin_tools_and_ui_name_is_listed():
    for option, variable in TDBG_ENV:
        assert "| `client.{0}` | `{1}` |".format(option, variable) in PAGE, variable
    for option, key, variable in UI_TLS_KEYS:
        data = " (`tls.{0}` with `embed`)".format(UI_DATA_KEYS[key]) if key in UI_DATA_KEYS else ""
        assert "| `client.{0}` | `tls.{1}`{2} | `{3}` |".format(option, key, data, variable) in PAGE, variable
    assert "| `client.address` | `{0}` | `{1}` |".format(*UI_ADDRESS) in PAGE
    assert "| `tls.{0}` | `{1}` |".format(*UI_HOST_VERIFICATION) in PAGE


def test_every_trap_is_explained():
    for trap in TRAPS:
        assert "| `{0}` |".format(trap) in PAGE


def test_every_module_option_is_on_the_page():
    """Options written into Temporal's files are in the tables above; the rest (node_addresses, check_files,
    changed_files, backup, client.profile, ...) in the module-only section."""
    import yaml

    from ansible_collections.mtls.temporal.plugins.modules import temporal_tls_config

    options = yaml.safe_load(temporal_tls_config.DOCUMENTATION)["options"]
    module_only = PAGE.split("## Module-only options", 1)[1].split("\n## ", 1)[0]
    for name in options:
        assert "`{0}`".format(name) in PAGE, name
    for name in options["client"]["suboptions"]:
        assert "`client.{0}`".format(name) in PAGE, name
    kubernetes_page = (REPO / "docs" / "kubernetes.md").read_text()
    for name in options["kubernetes"]["suboptions"]:
        assert "`kubernetes.{0}`".format(name) in kubernetes_page, name
    for name in ("node_addresses", "check_files", "relaxed_checks", "changed_files", "backup", "client.profile", "client.toml_path", "client.env_path"):
        assert "- `{0}`".format(name) in module_only, name
    assert "`ca_bundle_order`" in module_only
