from __future__ import annotations

import datetime
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import write_files
from ansible_collections.mtls.temporal.plugins.module_utils.x509.ca import CABackend
from ansible_collections.mtls.temporal.plugins.modules import temporal_ca
from conftest import snapshot


def load(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def root_args(tmp_path, **extra):
    args = dict(path=str(tmp_path / "root.pem"), private_key_path=str(tmp_path / "root.key"), common_name="Root CA", organization="Acme")
    args.update(extra)
    return args


def test_root_is_a_proper_ca_and_rerun_touches_nothing(run_module, tmp_path):
    args = root_args(tmp_path)
    first = run_module(temporal_ca.main, args)
    assert first.changed and first["reason"] == "created"
    cert = load(args["path"])
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert cert.version == x509.Version.v3
    assert bc.critical and bc.value.ca and bc.value.path_length is None
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and ku.value.digital_signature
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert cert.serial_number.bit_length() >= 64
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)  # P-384 default key
    assert first["key_type"] == "ecdsa-p384" and first["fingerprint_sha1"] == cert.fingerprint(hashes.SHA1()).hex()
    assert stat.S_IMODE(os.stat(args["private_key_path"]).st_mode) == 0o600
    before = snapshot(args["path"], args["private_key_path"])
    second = run_module(temporal_ca.main, args)
    assert not second.changed and second["reason"] is None
    assert snapshot(args["path"], args["private_key_path"]) == before


def test_check_mode_writes_nothing_and_predicts(run_module, tmp_path):
    args = root_args(tmp_path)
    run = run_module(temporal_ca.main, args, check_mode=True, diff=True)
    assert run.changed and run["reason"] == "created"
    assert run["diff"]["before"] == {} and run["diff"]["after"]["subject"] == "CN=Root CA,O=Acme"
    assert os.listdir(tmp_path) == []


def test_diff_shows_facts_never_pem(run_module, tmp_path, capsys):
    args = root_args(tmp_path, private_key_passphrase="hunter2-passphrase")
    run_module(temporal_ca.main, args)
    run = run_module(temporal_ca.main, dict(args, common_name="Root CA v2"), diff=True)
    assert run["reason"] == "drift"
    assert run["diff"]["before"]["subject"] == "CN=Root CA,O=Acme"
    assert run["diff"]["after"]["subject"] == "CN=Root CA v2,O=Acme"
    text = json.dumps(run.result)
    assert "BEGIN" not in text and "hunter2" not in text


def test_renewal_keeps_the_key_and_rotation_replaces_it(run_module, tmp_path):
    args = root_args(tmp_path)
    created = run_module(temporal_ca.main, args)
    forced = run_module(temporal_ca.main, dict(args, force=True))
    assert forced["reason"] == "forced" and forced["public_key_sha256"] == created["public_key_sha256"]
    assert forced["serial_number"] != created["serial_number"]
    rotated = run_module(temporal_ca.main, dict(args, force=True, reuse_key=False))
    assert rotated["public_key_sha256"] != created["public_key_sha256"]
    retyped = run_module(temporal_ca.main, dict(args, key_type="rsa-2048"))
    assert retyped["reason"] == "drift" and retyped["key_type"] == "rsa-2048" and "key type" in retyped["reason_detail"]


def test_renewal_window_reissues_with_same_key(tmp_path):
    params = dict(
        root_args(tmp_path), key_type="ecdsa-p256", validity="100d", renew_before="33%", state="present", force=False,
        reuse_key=True, path_length=None, name_constraints_permitted=[], name_constraints_excluded=[], parent_ca_path=None,
        parent_ca_private_key_path=None, parent_ca_private_key_passphrase=None, private_key_passphrase=None, chain_path=None, private_key_mode="0600",
    )
    write_files(CABackend(params).plan().files)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert CABackend(params, now=now + datetime.timedelta(days=60)).plan().result["reason"] is None
    later = CABackend(params, now=now + datetime.timedelta(days=70)).plan()
    assert later.result["reason"] == "expiring" and "renew_before 33%" in later.result["reason_detail"]
    assert [f.option for f in later.files] == ["path"]  # the key stays


def test_passphrase_encrypts_the_key_and_is_needed(run_module, tmp_path):
    args = root_args(tmp_path)
    run_module(temporal_ca.main, args)
    encrypted = run_module(temporal_ca.main, dict(args, private_key_passphrase="pass-one-two"))
    assert encrypted.changed and encrypted["reason"] is None and "not encrypted" in encrypted["reason_detail"]
    assert open(args["private_key_path"], "rb").read().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert not run_module(temporal_ca.main, dict(args, private_key_passphrase="pass-one-two")).changed
    wrong = run_module(temporal_ca.main, dict(args, private_key_passphrase="nope"))
    assert wrong.failed and wrong.msg == "private_key_passphrase: wrong passphrase for {0}".format(args["private_key_path"])
    missing = run_module(temporal_ca.main, args)
    assert missing.failed and missing.msg == "private_key_passphrase: {0} is encrypted; give its passphrase".format(args["private_key_path"])


def test_intermediate_chain_and_identifiers(run_module, ca_factory, tmp_path):
    root = ca_factory("Root", path_length=1)
    inter = ca_factory("Servers", parent=root, path_length=0, validity="365d")
    r, i = load(root["path"]), load(inter["path"])
    assert i.issuer == r.subject
    aki = i.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki == r.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    i.verify_directly_issued_by(r)
    assert i.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    with open(inter["chain_path"], "rb") as handle:
        chain = x509.load_pem_x509_certificates(handle.read())
    assert chain == [i]  # the root stays out of chain files
    assert not run_module(temporal_ca.main, inter).changed


def test_parent_change_is_ca_changed(run_module, ca_factory):
    root_a, root_b = ca_factory("Root A"), ca_factory("Root B")
    inter = ca_factory("Inter", parent=root_a)
    moved = run_module(temporal_ca.main, dict(inter, parent_ca_path=root_b["path"], parent_ca_private_key_path=root_b["private_key_path"]))
    assert moved["reason"] == "ca_changed" and moved["issuer"] == "CN=Root B,O=mtls.temporal tests"


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(validity="30x"), "validity: '30x' is not a duration"),
        (dict(validity="0d"), "validity: '0d' must be longer than zero"),
        (dict(renew_before="400d", validity="365d"), "renew_before: 400d is not shorter than validity"),
        (dict(renew_before="100%"), "renew_before: '100%' must be a percentage above 0% and below 100%"),
        (dict(path_length=-1), "path_length: -1 is negative"),
        (dict(name_constraints_permitted=["IP:10.0.0.1/8"]), "name_constraints_permitted: 'IP:10.0.0.1/8' is not a network"),
        (dict(country="USA"), "country: 'USA' is not a two-letter"),
        (dict(common_name=None, organization=None), "common_name: a CA needs a subject"),
        (dict(key_type="rsa-1024"), "value of key_type must be one of"),
    ],
)
def test_bad_input_names_the_option_and_writes_nothing(run_module, tmp_path, change, message):
    args = root_args(tmp_path)
    args.update(change)
    args = {k: v for k, v in args.items() if v is not None}
    run = run_module(temporal_ca.main, args)
    assert run.failed and message in run.msg
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "parent_kw, child_kw, message",
    [
        (dict(path_length=0), {}, "parent_ca_path: CN=P,O=mtls.temporal tests has path length 0 and cannot issue an intermediate CA"),
        (dict(path_length=1), dict(path_length=1), "path_length: 1 is not below the parent's path length 1"),
        (dict(validity="30d"), dict(validity="60d"), "validity: the intermediate CA would end on"),
        ({}, dict(common_name="p", organization="MTLS.TEMPORAL TESTS"), "common_name: the subject CN=p,O=MTLS.TEMPORAL TESTS equals that of its issuer"),
    ],
)
def test_intermediate_refusals(run_module, ca_factory, tmp_path, parent_kw, child_kw, message):
    parent = ca_factory("P", **parent_kw)
    args = dict(path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"), common_name="C",
                parent_ca_path=parent["path"], parent_ca_private_key_path=parent["private_key_path"])
    args.update(child_kw)
    run = run_module(temporal_ca.main, args)
    assert run.failed and message in run.msg, run.msg
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])


def test_outliving_parent_names_both_dates(run_module, ca_factory, tmp_path):
    parent = ca_factory("P", validity="30d")
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    run = run_module(temporal_ca.main, dict(path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"), common_name="C",
                                            validity="60d", parent_ca_path=parent["path"], parent_ca_private_key_path=parent["private_key_path"]))
    seconds = range(int((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()) + 2)
    asked = [(started + datetime.timedelta(days=60, seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds]
    p = load(parent["path"])
    assert run.failed and sum("would end on {0} but".format(end) in run.msg for end in asked) == 1, run.msg
    assert "its issuer CN=P,O=mtls.temporal tests ends on {0};".format(p.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")) in run.msg, run.msg


def test_parent_key_must_match_and_parent_must_be_a_ca(run_module, ca_factory, tmp_path):
    a, b = ca_factory("A"), ca_factory("B")
    mismatch = run_module(temporal_ca.main, dict(path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"), common_name="C",
                                                 parent_ca_path=a["path"], parent_ca_private_key_path=b["private_key_path"]))
    assert mismatch.failed and mismatch.msg.startswith("parent_ca_private_key_path: the key in ") and "does not match" in mismatch.msg


def test_name_constraints_are_critical_and_tracked(run_module, tmp_path):
    args = root_args(tmp_path, name_constraints_permitted=["DNS:.temporal.test", "IP:127.0.0.0/8"], name_constraints_excluded=["DNS:bad.temporal.test"])
    run_module(temporal_ca.main, args)
    ext = load(args["path"]).extensions.get_extension_for_class(x509.NameConstraints)
    assert ext.critical and len(ext.value.permitted_subtrees) == 2 and len(ext.value.excluded_subtrees) == 1
    assert not run_module(temporal_ca.main, args).changed
    assert run_module(temporal_ca.main, dict(args, name_constraints_excluded=[]))["reason"] == "drift"


def test_corrupt_certificate_needs_force(run_module, tmp_path):
    args = root_args(tmp_path)
    run_module(temporal_ca.main, args)
    with open(args["path"], "wb") as handle:
        handle.write(b"-----BEGIN CERTIFICATE-----\ntruncated\n")
    refused = run_module(temporal_ca.main, args)
    assert refused.failed and refused.msg.startswith("path: ") and "set force" in refused.msg
    fixed = run_module(temporal_ca.main, dict(args, force=True, backup=True))
    assert fixed["reason"] == "forced" and open(fixed["backup_files"]["path"], "rb").read().endswith(b"truncated\n")


def test_absent_removes_every_managed_file(run_module, ca_factory, tmp_path):
    root = ca_factory("Root")
    inter = ca_factory("Inter", parent=root)
    run = run_module(temporal_ca.main, dict(inter, state="absent"))
    assert run.changed and sorted(run["removed"]) == sorted([inter["path"], inter["private_key_path"], inter["chain_path"]])
    assert not run_module(temporal_ca.main, dict(inter, state="absent")).changed


def test_file_modes_are_enforced(run_module, tmp_path):
    args = root_args(tmp_path, mode="0640")
    run_module(temporal_ca.main, args)
    assert stat.S_IMODE(os.stat(args["path"]).st_mode) == 0o640
    os.chmod(args["private_key_path"], 0o644)
    run = run_module(temporal_ca.main, args)
    assert run.changed and run["reason"] is None
    assert stat.S_IMODE(os.stat(args["private_key_path"]).st_mode) == 0o600


def test_check_mode_intermediate_before_its_parent_exists(run_module, tmp_path):
    args = dict(path=str(tmp_path / "i.pem"), private_key_path=str(tmp_path / "i.key"), common_name="I",
                parent_ca_path=str(tmp_path / "root.pem"), parent_ca_private_key_path=str(tmp_path / "root.key"))
    run = run_module(temporal_ca.main, args, check_mode=True)
    assert run.changed and run["reason"] == "created" and "does not exist yet" in run["reason_detail"]
    real = run_module(temporal_ca.main, args)
    assert real.failed and real.msg == "parent_ca_path: {0} does not exist".format(args["parent_ca_path"])
