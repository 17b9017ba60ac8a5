"""temporal_leaf's issuer=vault options are checked before any Vault call (no server needed here;
tests/integration/test_vault_issuer.py runs against a real one)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf

pytest.importorskip("hvac")


@pytest.fixture(autouse=True)
def no_vault_environment(monkeypatch):
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "VAULT_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)


def vault_args(tmp_path, **extra):
    # Port 9 (discard) on loopback: nothing listens, and no test here gets that far.
    args = dict(profile="frontend", issuer="vault", vault_url="http://127.0.0.1:9", vault_role="temporal-frontend", vault_token="unit-test-token",
                path=str(tmp_path / "f.pem"), private_key_path=str(tmp_path / "f.key"), dns_names=["frontend.temporal.test"])
    args.update(extra)
    return args


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(vault_url=None), "vault_url: required when issuer is vault: the Vault or OpenBao address, or set VAULT_ADDR"),
        (dict(vault_url="vault.example.com:8200"), "vault_url: 'vault.example.com:8200' is not an http:// or https:// URL"),
        (dict(vault_role=None), "vault_role: required when issuer is vault"),
        (dict(vault_mount="/"), "vault_mount: must name the PKI secrets engine's mount path"),
        (dict(vault_token=None), "vault_token: required when vault_auth_method is token: set it or VAULT_TOKEN"),
        (dict(vault_token=None, vault_auth_method="approle", vault_role_id="r"), "vault_secret_id: required when vault_auth_method is approle"),
        (dict(ca_path="/etc/ca.pem"), "ca_path: belongs to issuer=local; with issuer=vault the Vault PKI mount signs"),
        (dict(ca_private_key_passphrase="x"), "ca_private_key_passphrase: belongs to issuer=local"),
        (dict(organization="Example"), "organization: with issuer=vault only the common name is requested"),
        (dict(organizational_unit="Ops"), "(its ou parameter)"),
        (dict(vault_auth_method="kerberos"), "value of vault_auth_method must be one of: token, approle"),
        (dict(issuer="acme"), "value of issuer must be one of: local, vault"),
    ],
)
def test_bad_vault_options_name_the_option(run_module, tmp_path, change, message):
    args = {k: v for k, v in vault_args(tmp_path, **change).items() if v is not None}
    run = run_module(temporal_leaf.main, args)
    assert run.failed and message in run.msg, run.msg
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])
    assert "unit-test-token" not in run.msg


def test_local_issuer_still_needs_its_ca_files(run_module, tmp_path):
    run = run_module(temporal_leaf.main, dict(profile="client", common_name="c", path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key")))
    assert run.failed and run.msg == "ca_path: required when state is present and issuer is local (the default)"


def test_absent_needs_no_vault(run_module, tmp_path):
    (tmp_path / "f.pem").write_text("old")
    run = run_module(temporal_leaf.main, dict(vault_args(tmp_path, vault_url=None, vault_token=None), state="absent"))
    assert run.changed and run["removed"] == [str(tmp_path / "f.pem")]
