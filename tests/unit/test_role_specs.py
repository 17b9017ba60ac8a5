"""Each role's meta/argument_specs.yml agrees with its defaults/main.yml and its README, and
docs/example-inventory.yml shows every variable an operator sets."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO

ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "meta" / "argument_specs.yml").is_file())
INVENTORY = (REPO / "docs" / "example-inventory.yml").read_text()

# Options of the main entry points an operator does not set in an inventory: derived from another role's
# variable by default, passed on by the roles themselves, or one-off switches given with -e.
NOT_IN_INVENTORY = {
    "node_certs_pki_dir",  # pki_dir
    "client_certs_pki_dir",  # pki_dir
    "client_certs_dir",  # <pki_dir>/clients
    "pki_client_identities",  # client_certs_identities
    "server_tls_certs_dir",  # node_certs_dir
    "server_tls_internode_server_name",  # node_certs_internode_server_name
    "server_tls_node_addresses",  # node_certs_ip_addresses
    "server_tls_changed_files",  # set by node_certs in the same play
    "server_tls_unchanged_first_certificate",  # likewise
    "node_certs_force",  # -e node_certs_force=true, or the renew playbook's mtls_temporal_force_renew
    "client_certs_force",
    "server_tls_force_restart",  # -e server_tls_force_restart=true
}

# The keys of a client_certs identity, as the role's argument spec describes them.
IDENTITY_KEYS = ("name", "common_name", "namespace", "dns_names", "profile", "pkcs12", "host", "client_group", "own_client_group")


def load(role, *parts):
    return yaml.safe_load((REPO / "roles" / role).joinpath(*parts).read_text()) or {}


def entry_points(role):
    return load(role, "meta", "argument_specs.yml")["argument_specs"]


def options(role):
    """{option: spec} over every entry point of the role."""
    merged = {}
    for entry in entry_points(role).values():
        merged.update(entry.get("options") or {})
    return merged


def is_templated(value):
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(is_templated(item) for item in value)
    if isinstance(value, dict):
        return any(is_templated(item) for item in value.values())
    return False


def test_every_role_has_a_spec():
    assert ROLES == ["client_certs", "node_certs", "pki", "renewal_timer", "server_tls"]


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_are_the_role_defaults(role):
    defaults = load(role, "defaults", "main.yml")
    specs = {}
    for entry_name, entry in entry_points(role).items():
        for option, spec in (entry.get("options") or {}).items():
            where = "{0} {1}".format(entry_name, option)
            if option not in defaults:
                assert spec.get("required"), where + ": neither required nor in defaults/main.yml"
                continue
            if "default" in spec:
                assert spec["default"] == defaults[option], where + ": the spec's default is not defaults/main.yml's"
            else:
                # The spec leaves out a default that is a template, and says so in a comment.
                assert is_templated(defaults[option]), where + ": defaults/main.yml has a plain default the spec does not show"
            if option in specs:
                for field in ("type", "elements", "default", "choices"):
                    assert specs[option].get(field) == spec.get(field), "{0}: entry points differ in its {1}".format(option, field)
            specs[option] = spec
    assert sorted(set(defaults) - set(specs)) == [], "defaults/main.yml variables no entry point describes"


@pytest.mark.parametrize("role", ROLES)
def test_spec_types_fit_the_defaults(role):
    defaults = load(role, "defaults", "main.yml")
    python_types = dict(str=str, path=str, bool=bool, int=int, list=list, dict=dict)
    for option, spec in options(role).items():
        if option in defaults and not is_templated(defaults[option]):
            assert isinstance(defaults[option], python_types[spec["type"]]), option
            if "choices" in spec:
                assert defaults[option] in spec["choices"], option


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_role_prefixed_and_in_the_readme(role):
    readme = (REPO / "roles" / role / "README.md").read_text()
    for option, spec in options(role).items():
        assert option.startswith(role + "_"), option
        assert re.search(r"`{0}\b".format(re.escape(option)), readme), "{0} is not in roles/{1}/README.md".format(option, role)
        assert spec.get("description"), option


def test_example_inventory_shows_every_variable_an_operator_sets():
    inventory_names = set(re.findall(r"\b([a-z][a-z0-9_]*):", INVENTORY))
    missing = []
    for role in ROLES:
        main = entry_points(role)["main"].get("options") or {}
        for option, spec in main.items():
            if option in NOT_IN_INVENTORY and not spec.get("required"):
                continue
            if option not in inventory_names:
                missing.append(option)
    assert missing == [], "not in docs/example-inventory.yml (commented out is fine): {0}".format(", ".join(missing))
    assert sorted(NOT_IN_INVENTORY - {o for role in ROLES for o in entry_points(role)["main"].get("options") or {}}) == [], \
        "NOT_IN_INVENTORY names options that no longer exist"


def test_example_inventory_shows_every_identity_key():
    described = entry_points("client_certs")["main"]["options"]["client_certs_identities"]["description"]
    described = " ".join(described if isinstance(described, list) else [described])
    for key in IDENTITY_KEYS:
        assert "C({0})".format(key) in described, key
        assert re.search(r"[{{,]\s*{0}:".format(key), INVENTORY), "identity key {0} is not in docs/example-inventory.yml".format(key)


def test_example_inventory_parses_and_its_live_values_are_valid():
    """The uncommented part is an inventory; every role variable in it is one the roles know, with a fitting type."""
    data = yaml.safe_load(INVENTORY)
    known = {option: spec for role in ROLES for option, spec in options(role).items()}
    python_types = dict(str=str, path=str, bool=bool, int=int, list=list, dict=dict)
    prefixes = tuple(role + "_" for role in ROLES)
    set_vars = dict(data["all"]["vars"])
    for group in data["all"]["children"].values():
        for host_vars in group["hosts"].values():
            set_vars.update(host_vars or {})
    for name, value in set_vars.items():
        if not name.startswith(prefixes):
            continue
        assert name in known, name + " is no role variable"
        if not is_templated(value):
            assert isinstance(value, python_types[known[name]["type"]]), name
            if "choices" in known[name]:
                assert value in known[name]["choices"], name
