from __future__ import annotations

import copy
import datetime
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
import yaml

from ansible_collections.mtls.temporal.plugins.module_utils._ca import CABackend
from ansible_collections.mtls.temporal.plugins.module_utils._files import write_files
from ansible_collections.mtls.temporal.plugins.module_utils._leaf import LeafBackend
from ansible_collections.mtls.temporal.plugins.module_utils._tls_render import TRAPS
from ansible_collections.mtls.temporal.plugins.module_utils._tls_schema import SERVER_ENV_VARIABLES
from ansible_collections.mtls.temporal.plugins.modules import temporal_tls_config
from conftest import REPO, snapshot

TEMPLATE = yaml.safe_load((REPO / "tests" / "fixtures" / "server-image-tls-template.yaml").read_text())


@pytest.fixture
def material(ca_factory, leaf_factory):
    root = ca_factory("Root", path_length=1)
    servers = ca_factory("Servers", parent=root, path_length=0)
    clients = ca_factory("Clients", parent=root, path_length=0)
    san = dict(dns_names=["internode.temporal.test", "node1.temporal.test"], ip_addresses=["127.0.0.1"])
    return dict(
        root=root,
        servers=servers,
        clients=clients,
        internode=leaf_factory("internode", "internode", servers, **san),
        frontend=leaf_factory("frontend", "frontend", servers, dns_names=["frontend.temporal.test", "acme.temporal.test"]),
        worker=leaf_factory("worker", "worker", servers, common_name="system-worker"),
        client=leaf_factory("client", "client", clients, common_name="payments"),
    )


def full_args(m, tmp_path):
    ca = m["root"]["path"]
    return dict(
        config_path=str(tmp_path / "config.yaml"),
        internode=dict(
            server=dict(cert_file=m["internode"]["chain_path"], key_file=m["internode"]["private_key_path"], client_ca_files=[ca], require_client_auth=True),
            client=dict(server_name="internode.temporal.test", root_ca_files=[ca]),
        ),
        frontend=dict(
            server=dict(cert_file=m["frontend"]["chain_path"], key_file=m["frontend"]["private_key_path"], client_ca_files=[ca], require_client_auth=True),
            client=dict(server_name="frontend.temporal.test", root_ca_files=[ca]),
        ),
        expiration_checks=dict(warning_window="30d", error_window="7d", check_interval="1h"),
    )


def test_renders_go_durations_and_is_idempotent(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    predicted = run_module(temporal_tls_config.main, args, check_mode=True)
    assert predicted.changed and not os.path.exists(args["config_path"])
    first = run_module(temporal_tls_config.main, args)
    assert first.changed and first["written"] == ["config_path"] and first["restart_required"], first.msg
    tls = yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"]
    assert tls["expirationChecks"] == {"warningWindow": "720h", "errorWindow": "168h", "checkInterval": "1h"}
    assert tls["refreshInterval"] == "1m"
    assert tls["internode"]["server"]["requireClientAuth"] is True and tls == first["tls"]
    before = snapshot(args["config_path"])
    again = run_module(temporal_tls_config.main, args)
    assert not again.changed and not again["restart_required"] and snapshot(args["config_path"]) == before


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a, m: a["internode"]["server"].update(cert_data="x"), "internode.server: cert_file and cert_data are both set; the server refuses to start"),
        (lambda a, m: a["internode"]["server"].update(key_data="x"), "internode.server: key_file and key_data are both set"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_data=["x"]), "frontend.server: client_ca_files and client_ca_data are both set"),
        (lambda a, m: a["internode"]["client"].update(root_ca_data=["x"]), "internode.client: root_ca_files and root_ca_data are both set"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=[m["root"]["path"], "  "]), "frontend.server: entry 2 of client_ca_files is empty"),
        (lambda a, m: a["internode"]["client"].update(root_ca_files=None, root_ca_data=[""]), "internode.client: entry 1 of root_ca_data is empty"),
        (lambda a, m: a["frontend"].update(host_overrides={"": {"cert_file": "/x", "key_file": "/y"}}), "frontend.host_overrides: an empty host name key"),
        (lambda a, m: a["frontend"]["server"].update(cert_file=None), "frontend.server: a key without a certificate"),
        (lambda a, m: a["frontend"].update(host_overrides={"a.test": {"cert_file": "/x", "bogus": 1}}), "frontend.host_overrides['a.test']: "),
        (lambda a, m: a.update(refresh_interval="30x"), "refresh_interval: '30x' is not a duration"),
        (lambda a, m: a["expiration_checks"].update(check_interval="-1h"), "expiration_checks.check_interval: '-1h' is not a duration"),
    ],
)
def test_startup_rejections_fail_and_write_nothing(run_module, material, tmp_path, mutate, message):
    args = full_args(material, tmp_path)
    mutate(args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and message in run.msg, run.msg
    assert not os.path.exists(args["config_path"])


TRAP_CASES = {
    "server_cert_without_key": lambda a, m: a["frontend"]["server"].update(key_file=None),
    "plaintext_internode_client": lambda a, m: a["internode"].update(client=dict(server_name="internode.temporal.test")),
    "client_auth_without_ca": lambda a, m: a["internode"]["server"].update(client_ca_files=None),
    "host_verification_disabled": lambda a, m: a["internode"]["client"].update(disable_host_verification=True),
    "refresh_disabled": lambda a, m: a.update(refresh_interval="0s"),
    "system_worker_ignored": lambda a, m: a.update(system_worker=dict(client=dict(server_name="frontend.temporal.test"))),
    "system_worker_plaintext": lambda a, m: a.update(
        system_worker=dict(cert_file=m["worker"]["chain_path"], key_file=m["worker"]["private_key_path"], client=dict(server_name="frontend.temporal.test"))
    ),
    "frontend_client_plaintext": lambda a, m: a["frontend"].pop("client"),
}


def test_every_trap_has_a_case():
    assert set(TRAP_CASES) == set(TRAPS)


@pytest.mark.parametrize("trap", sorted(TRAP_CASES))
def test_traps_fail_unless_relaxed(run_module, material, tmp_path, trap):
    args = full_args(material, tmp_path)
    TRAP_CASES[trap](args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and "(add {0} to relaxed_checks".format(trap) in run.msg, run.msg
    assert run.msg.count("relaxed_checks") == 1  # nothing else is wrong with the case
    relaxed = run_module(temporal_tls_config.main, dict(args, relaxed_checks=[trap]))
    assert not relaxed.failed and relaxed.changed, relaxed.msg
    assert any("(relaxed: {0})".format(trap) in w for w in relaxed["config_warnings"])


def _old_ca_and_leaf(tmp_path, days_ago, validity, leaf_validity, profile="frontend"):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    ca = dict(path=str(tmp_path / "old-ca.pem"), private_key_path=str(tmp_path / "old-ca.key"), common_name="Old CA", key_type="ecdsa-p256",
              validity=validity, renew_before="1d", state="present", force=False, reuse_key=True, path_length=None,
              name_constraints_permitted=[], name_constraints_excluded=[], parent_ca_path=None, parent_ca_private_key_path=None,
              parent_ca_private_key_passphrase=None, private_key_passphrase=None, chain_path=None)
    write_files(CABackend(ca, now=now).plan().files)
    leaf = dict(profile=profile, path=str(tmp_path / "old-leaf.pem"), private_key_path=str(tmp_path / "old-leaf.key"), ca_path=ca["path"],
                ca_private_key_path=ca["private_key_path"], ca_private_key_passphrase=None, dns_names=["frontend.temporal.test"], ip_addresses=[],
                key_type="ecdsa-p256", validity=leaf_validity, renew_before="1h", state="present", force=False, reuse_key=False,
                private_key_format="pkcs8", chain_path=None, csr_path=None, csr_content=None, pkcs12_path=None, pkcs12_passphrase="",
                common_name=None)
    write_files(LeafBackend(leaf, now=now).plan().files)
    return ca, leaf


def pair(m, name, chain=True):
    """cert_file and key_file of one of the material's leaves."""
    return dict(cert_file=m[name]["chain_path" if chain else "path"], key_file=m[name]["private_key_path"])


def _expired_frontend(tmp_path):
    _ca, leaf = _old_ca_and_leaf(tmp_path, 10, "30d", "2d")
    return dict(cert_file=leaf["path"], key_file=leaf["private_key_path"])


def _bundle_old_first(m, tmp_path):
    old, _leaf = _old_ca_and_leaf(tmp_path, days_ago=2, validity="3650d", leaf_validity="1d")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(old["path"]).read_bytes() + Path(m["root"]["path"]).read_bytes())
    return str(bundle)


FILE_CASES = [
    ("key mismatch", lambda a, m, t: a["internode"]["server"].update(key_file=m["frontend"]["private_key_path"]),
     "internode.server: {frontend_key} does not match the certificate in {internode_chain}"),
    ("wrong CA", lambda a, m, t: a["internode"]["client"].update(root_ca_files=[m["clients"]["path"]]),
     "internode.server: {internode_chain} does not chain to a CA in internode.client.root_ca_files"),
    ("internode EKU", lambda a, m, t: a["internode"]["server"].update(cert_file=m["frontend"]["chain_path"], key_file=m["frontend"]["private_key_path"]),
     "it needs clientAuth and serverAuth"),
    ("frontend EKU", lambda a, m, t: a["frontend"]["server"].update(pair(m, "client")),
     "frontend.server: {client_chain} has extendedKeyUsage ['clientAuth']; it needs serverAuth"),
    ("server name", lambda a, m, t: a["internode"]["client"].update(server_name="other.temporal.test"),
     "{internode_chain} has no SAN for 'other.temporal.test' (internode.client.server_name)"),
    ("node addresses", lambda a, m, t: (a["internode"]["client"].pop("server_name"), a.update(node_addresses=["127.0.0.1", "10.1.2.3"])),
     "has no SAN for '10.1.2.3' (peers dial node addresses"),
    ("expired", lambda a, m, t: a["frontend"]["server"].update(_expired_frontend(t)),
     "CN=frontend.temporal.test expired on"),
    ("bundle order", lambda a, m, t: a["frontend"]["server"].update(client_ca_files=[_bundle_old_first(m, t)]),
     "lists CN=Old CA first, but CN=Root,O=mtls.temporal tests is newer; put the newest CA first"),
    ("override SNI", lambda a, m, t: a["frontend"].update(host_overrides={"billing.temporal.test": pair(m, "frontend")}),
     "has no SAN for 'billing.temporal.test' (clients reach this override by that SNI name)"),
    ("worker EKU", lambda a, m, t: a.update(system_worker=dict(pair(m, "frontend", chain=False), client=dict(root_ca_files=[m["root"]["path"]]))),
     "system_worker: {frontend} has extendedKeyUsage ['serverAuth']; it needs clientAuth"),
    ("garbage CA file", lambda a, m, t: (Path(t / "junk.pem").write_text("not pem"), a["internode"]["client"].update(root_ca_files=[str(t / "junk.pem")])),
     "junk.pem holds no PEM certificate"),
]


@pytest.mark.parametrize("case, mutate, message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_checks_name_the_file_and_problem(run_module, material, tmp_path, case, mutate, message):
    args = full_args(material, tmp_path)
    mutate(args, material, tmp_path)
    run = run_module(temporal_tls_config.main, args)
    expected = message.format(
        frontend_key=material["frontend"]["private_key_path"], internode_chain=material["internode"]["chain_path"],
        client_chain=material["client"]["chain_path"], frontend=material["frontend"]["path"],
    )
    assert run.failed and expected in run.msg, run.msg
    assert not os.path.exists(args["config_path"])
    assert not run_module(temporal_tls_config.main, dict(args, check_files=False)).failed or case == "garbage CA file"


def test_missing_files_are_reported_not_checked(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    args["frontend"]["server"]["client_ca_files"] = ["/etc/temporal/tls/not-here.pem"]
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed and run["unchecked_files"] == ["/etc/temporal/tls/not-here.pem"]


def test_embed_writes_base64_and_keeps_keys_out_of_results(run_module, material, tmp_path):
    args = dict(full_args(material, tmp_path), embed=True)
    run = run_module(temporal_tls_config.main, args, diff=True)
    tls = yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"]
    import base64

    key_pem = Path(material["internode"]["private_key_path"]).read_bytes()
    assert base64.b64decode(tls["internode"]["server"]["keyData"]) == key_pem
    assert "certFile" not in tls["internode"]["server"]
    assert stat.S_IMODE(os.stat(args["config_path"]).st_mode) == 0o600
    text = json.dumps(run.result)
    assert tls["internode"]["server"]["keyData"] not in text and "PRIVATE KEY" not in text
    assert run["tls"]["internode"]["server"]["keyData"] == "<hidden>"


def test_refuses_templated_config(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_text("# enable-template\nlog:\n  level: {{ default \"info\" (env \"LOG_LEVEL\") }}\n")
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and "is a Go template (enable-template)" in run.msg


def test_restart_required_follows_what_hot_reload_cannot_do(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    run_module(temporal_tls_config.main, args)
    leaf_only = run_module(temporal_tls_config.main, dict(args, changed_files=[material["internode"]["chain_path"]]))
    assert not leaf_only.changed and not leaf_only["restart_required"]
    roots = run_module(temporal_tls_config.main, dict(args, changed_files=[material["root"]["path"]]))
    assert roots["restart_required"] and "client-side root CAs changed" in roots["restart_reasons"][0]
    args0 = dict(args, refresh_interval="0s", relaxed_checks=["refresh_disabled"])
    run_module(temporal_tls_config.main, args0)
    no_reload = run_module(temporal_tls_config.main, dict(args0, changed_files=[material["frontend"]["chain_path"]]))
    assert no_reload["restart_required"] and "refresh_interval is 0" in no_reload["restart_reasons"][0]


def _set(tree, path, value):
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def replay_image_template(env):
    """What the official image's template renders under global.tls for these variables."""
    tls = {}
    for var, rule in TEMPLATE.items():
        if "sets" in rule:
            value = env.get(var, rule["default"])
            for path in rule["sets"]:
                _set(tls, path, {"true": True, "false": False}.get(value, value))
        elif "list" in rule and var in env:
            for path in rule["list"]:
                _set(tls, path, [env[var]])
        elif "pair" in rule and var in env:
            _set(tls, rule["pair"], [env[var], env.get(rule["second"], "")])
    return tls


def meaningful(tree):
    """Drop what the server treats as unset (empty strings, false, 0s, empty lists and maps); a CA list
    is a pool, so a repeated entry means nothing either."""
    if isinstance(tree, dict):
        out = {k: meaningful(v) for k, v in tree.items()}
        return {k: v for k, v in out.items() if v not in ("", False, "0s", [], {}, None)}
    if isinstance(tree, list):
        return list(dict.fromkeys(tree))
    return tree


def read_env(path):
    lines = [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("embed", [False, True])
def test_env_file_means_the_same_as_the_config(run_module, material, tmp_path, embed):
    args = dict(full_args(material, tmp_path), env_path=str(tmp_path / "tls.env"), embed=embed)
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed, run.msg
    env = read_env(args["env_path"])
    assert set(env) <= set(TEMPLATE) and set(TEMPLATE) == set(SERVER_ENV_VARIABLES)
    replayed = replay_image_template(env)
    assert all("" not in v for v in _lists(replayed)), "the template would render an empty CA entry"
    assert meaningful(replayed) == meaningful(yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"])
    assert stat.S_IMODE(os.stat(args["env_path"]).st_mode) == (0o600 if embed else 0o644 & ~_umask())
    assert not run_module(temporal_tls_config.main, args).changed


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _lists(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _lists(value)
    elif isinstance(tree, list):
        yield tree


@pytest.mark.parametrize(
    "mutate, what",
    [
        (lambda a, m: a["frontend"].update(host_overrides={"a.temporal.test": pair(m, "frontend")}), "frontend.host_overrides"),
        (lambda a, m: a.update(system_worker=dict(pair(m, "worker"), client=dict(root_ca_files=[m["root"]["path"]]))), "system_worker"),
        (lambda a, m: a.update(remote_clusters={"peer.example.com": dict(client=dict(root_ca_files=[m["root"]["path"]]))}), "remote_clusters"),
        (lambda a, m: a["internode"]["client"].update(force_tls=True), "internode.client.force_tls"),
        (lambda a, m: a["frontend"]["server"].update(require_client_auth=False, client_ca_files=None), "require_client_auth differing"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=[m["root"]["path"]] * 3), "frontend.server has 3 client CAs"),
        (lambda a, m: a["internode"]["client"].update(root_ca_files=[m["servers"]["path"]]), "different CAs for"),
    ],
)
def test_env_file_refuses_what_the_template_cannot_express(run_module, material, tmp_path, mutate, what):
    args = dict(full_args(material, tmp_path), env_path=str(tmp_path / "tls.env"), check_files=False)
    mutate(args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and run.msg.startswith("env_path: the server image's config template cannot express") and what in run.msg, run.msg
    assert not os.path.exists(args["env_path"]) and not os.path.exists(args["config_path"])


def client_args(m, tmp_path, **extra):
    client = dict(profile="payments", address="frontend.temporal.test:7233", namespace="payments", server_name="frontend.temporal.test",
                  cert_file=m["client"]["chain_path"], key_file=m["client"]["private_key_path"], ca_file=m["root"]["path"],
                  toml_path=str(tmp_path / "temporal.toml"))
    client.update(extra)
    return dict(client=client)


def test_toml_profile_merges_and_keeps_other_profiles(run_module, material, tmp_path):
    toml = tmp_path / "temporal.toml"
    toml.write_text('[profile.default]\naddress = "localhost:7233"\n\n[profile.payments]\naddress = "old:1"\n\n[profile.payments.grpc_meta]\nteam = "pay"\n')
    args = client_args(material, tmp_path, env_path=str(tmp_path / "client.env"))
    run = run_module(temporal_tls_config.main, args, diff=True)
    assert run.changed and set(run["written"]) == {"client.toml_path", "client.env_path"} and not run["restart_required"]
    data = tomllib.loads(toml.read_text())
    assert data["profile"]["default"] == {"address": "localhost:7233"}
    assert data["profile"]["payments"]["grpc_meta"] == {"team": "pay"}
    assert data["profile"]["payments"]["tls"] == {
        "client_cert_path": material["client"]["chain_path"], "client_key_path": material["client"]["private_key_path"],
        "server_ca_cert_path": material["root"]["path"], "server_name": "frontend.temporal.test",
    }
    env = read_env(tmp_path / "client.env")
    assert env["TEMPORAL_ADDRESS"] == "frontend.temporal.test:7233" and env["TEMPORAL_TLS_SERVER_NAME"] == "frontend.temporal.test"
    assert not run_module(temporal_tls_config.main, args).changed


def test_toml_embed_holds_pem_and_is_private(run_module, material, tmp_path):
    args = client_args(material, tmp_path, embed=True)
    run = run_module(temporal_tls_config.main, args, diff=True)
    data = tomllib.loads((tmp_path / "temporal.toml").read_text())
    assert data["profile"]["payments"]["tls"]["client_key_data"] == Path(material["client"]["private_key_path"]).read_text()
    assert stat.S_IMODE(os.stat(tmp_path / "temporal.toml").st_mode) == 0o600
    assert "PRIVATE KEY" not in json.dumps(run.result)
    bad = run_module(temporal_tls_config.main, client_args(material, tmp_path, embed=True, env_path=str(tmp_path / "e.env")))
    assert bad.failed and bad.msg.startswith("client.env_path: PEM text does not survive env files")


@pytest.mark.parametrize("name", ["my profile", "a.b", "ünï", ""])
def test_profile_names_toml_cannot_hold_bare_are_refused(run_module, material, tmp_path, name):
    run = run_module(temporal_tls_config.main, client_args(material, tmp_path, profile=name))
    assert run.failed and run.msg.startswith("client.profile: ")
    assert not (tmp_path / "temporal.toml").exists()


def test_config_merge_keeps_the_rest_of_a_realistic_file(run_module, material, tmp_path):
    original = (REPO / "tests" / "fixtures" / "temporal-config.yaml").read_text()
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_text(original)
    run = run_module(temporal_tls_config.main, args)
    assert run.changed
    merged_text = Path(args["config_path"]).read_text()
    merged, before = yaml.safe_load(merged_text), yaml.safe_load(original)
    assert list(merged) == list(before) and list(merged["global"]) == list(before["global"])
    expected = copy.deepcopy(before)
    expected["global"]["tls"] = run["tls"]
    assert merged == expected
    kept = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert all(line in merged_text.splitlines() for line in kept), "comments were lost"
