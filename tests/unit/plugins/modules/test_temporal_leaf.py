from __future__ import annotations

import datetime
import ipaddress
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import write_files
from ansible_collections.mtls.temporal.plugins.module_utils.x509.ca import CABackend
from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf
from conftest import snapshot


def load_all(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificates(handle.read())


@pytest.fixture
def pki(ca_factory):
    root = ca_factory("Root", path_length=1, validity="3650d")
    inter = ca_factory("Servers", parent=root, path_length=0, validity="1825d")
    return root, inter


def leaf_args(tmp_path, pki, name="node1", profile="internode", **extra):
    _root, inter = pki
    args = dict(
        profile=profile,
        path=str(tmp_path / (name + ".pem")),
        private_key_path=str(tmp_path / (name + ".key")),
        chain_path=str(tmp_path / (name + "-chain.pem")),
        ca_path=inter["chain_path"],
        ca_private_key_path=inter["private_key_path"],
    )
    if profile in ("internode", "frontend"):
        args.update(dns_names=[name + ".temporal.test", "internode.temporal.test"], ip_addresses=["127.0.0.1"])
    else:
        args.update(common_name=name)
    args.update(extra)
    return args


def verify_server(root_path, chain_path, name):
    store = verification.Store(load_all(root_path))
    leaf, *intermediates = load_all(chain_path)
    subject = verification.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() else verification.DNSName(name)
    verifier = verification.PolicyBuilder().store(store).build_server_verifier(subject)
    return verifier.verify(leaf, intermediates)[0]


# Temporal (Go) accepts client certificates without a SAN, as RFC 5280 does when the subject is set;
# the Web PKI default of cryptography's client verifier demands one, so the SAN becomes optional here.
CLIENT_EE_POLICY = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None
)


def verify_client(root_path, chain_path):
    store = verification.Store(load_all(root_path))
    leaf, *intermediates = load_all(chain_path)
    builder = verification.PolicyBuilder().store(store).extension_policies(
        ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=CLIENT_EE_POLICY
    )
    return builder.build_client_verifier().verify(leaf, intermediates)


@pytest.mark.parametrize(
    "profile, ekus, server, client",
    [
        ("internode", {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}, True, True),
        ("frontend", {ExtendedKeyUsageOID.SERVER_AUTH}, True, False),
        ("client", {ExtendedKeyUsageOID.CLIENT_AUTH}, False, True),
        ("worker", {ExtendedKeyUsageOID.CLIENT_AUTH}, False, True),
    ],
)
def test_profiles_verify_for_their_purpose_only(run_module, tmp_path, pki, profile, ekus, server, client):
    root, _inter = pki
    args = leaf_args(tmp_path, pki, profile=profile)
    run = run_module(temporal_leaf.main, args)
    assert run.changed and run["reason"] == "created", run.msg
    leaf, intermediate = load_all(args["chain_path"])
    assert set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == ekus
    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert bc.critical and not bc.value.ca and ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == (
        intermediate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA384)  # signed by the P-384 intermediate
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= datetime.timedelta(days=365, minutes=5)
    for name in (["node1.temporal.test", "internode.temporal.test", "127.0.0.1"] if server else []):
        assert verify_server(root["path"], args["chain_path"], name).subject == leaf.subject
    if not server:
        with pytest.raises(verification.VerificationError):
            verify_server(root["path"], args["chain_path"], "node1.temporal.test")
    if client:
        assert verify_client(root["path"], args["chain_path"]).chain[0] == leaf
    else:
        with pytest.raises(verification.VerificationError):
            verify_client(root["path"], args["chain_path"])


def test_server_profiles_default_the_common_name(run_module, tmp_path, pki):
    run = run_module(temporal_leaf.main, leaf_args(tmp_path, pki, profile="frontend"))
    assert run["subject"] == "CN=node1.temporal.test"


def test_rerun_is_untouched_check_mode_and_diff(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, pkcs12_path=str(tmp_path / "node1.pfx"))
    predicted = run_module(temporal_leaf.main, args, check_mode=True, diff=True)
    assert predicted.changed and not os.path.exists(args["path"]) and predicted["diff"]["after"]["dns_names"]
    run_module(temporal_leaf.main, args)
    files = (args["path"], args["private_key_path"], args["chain_path"], args["pkcs12_path"])
    before = snapshot(*files)
    again = run_module(temporal_leaf.main, args, diff=True)
    assert not again.changed and again["diff"]["before"] == again["diff"]["after"]
    assert not run_module(temporal_leaf.main, args, check_mode=True).changed
    assert snapshot(*files) == before
    for secret in (args["private_key_path"], args["pkcs12_path"]):
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600


def test_san_change_is_drift_with_a_new_key_unless_reused(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki)
    first = run_module(temporal_leaf.main, args)
    changed = run_module(temporal_leaf.main, dict(args, dns_names=["node1.temporal.test"]), diff=True)
    assert changed["reason"] == "drift" and "SANs are" in changed["reason_detail"]
    assert changed["public_key_sha256"] != first["public_key_sha256"]
    assert changed["diff"]["before"]["dns_names"] != changed["diff"]["after"]["dns_names"]
    kept = run_module(temporal_leaf.main, dict(args, reuse_key=True))
    assert kept["reason"] == "drift" and kept["public_key_sha256"] == changed["public_key_sha256"]


def test_ca_renewal_keeps_leaves_and_ca_rotation_reissues(run_module, tmp_path, pki, ca_factory):
    root, inter = pki
    args = leaf_args(tmp_path, pki)
    run_module(temporal_leaf.main, args)
    before = run_module(temporal_leaf.main, args)
    ca_factory("Servers", parent=root, path_length=0, validity="1825d", force=True)  # renewal: same key
    renewed = run_module(temporal_leaf.main, args)
    # The leaf stands; only its chain file takes the renewed intermediate.
    assert renewed.changed and renewed["reason"] is None and renewed["serial_number"] == before["serial_number"]
    assert load_all(args["chain_path"])[1] == load_all(inter["path"])[0]
    assert not run_module(temporal_leaf.main, args).changed
    ca_factory("Servers", parent=root, path_length=0, validity="1825d", force=True, reuse_key=False)  # rotation
    rotated = run_module(temporal_leaf.main, args)
    assert rotated["reason"] == "ca_changed"
    verify_server(root["path"], args["chain_path"], "127.0.0.1")


def test_key_replaced_on_disk_is_key_mismatch(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki)
    run_module(temporal_leaf.main, args)
    other = ec.generate_private_key(ec.SECP256R1())
    with open(args["private_key_path"], "wb") as handle:
        handle.write(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    run = run_module(temporal_leaf.main, dict(args, reuse_key=True))
    assert run["reason"] == "key_mismatch"
    with open(args["path"], "rb") as handle:
        assert x509.load_pem_x509_certificate(handle.read()).public_key() == other.public_key()


def test_expiring_leaf_is_renewed(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, validity="10d")
    run_module(temporal_leaf.main, args)
    assert not run_module(temporal_leaf.main, dict(args, renew_before="5d")).changed
    assert not run_module(temporal_leaf.main, dict(args, renew_before="99%")).changed  # 1% of 10 days is still ahead
    run = run_module(temporal_leaf.main, dict(args, renew_before="99.99%"))
    assert run["reason"] == "expiring" and "inside renew_before 99.99%" in run["reason_detail"]


def make_csr(key, ca=False, cn="csr-node"):
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_csr_flow_signs_without_touching_a_key(run_module, tmp_path, pki):
    key = ec.generate_private_key(ec.SECP384R1())
    csr_path = tmp_path / "n.csr"
    csr_path.write_bytes(make_csr(key))
    args = leaf_args(tmp_path, pki, profile="worker", csr_path=str(csr_path))
    del args["private_key_path"]
    run = run_module(temporal_leaf.main, args)
    assert run["reason"] == "created" and run["key_type"] == "ecdsa-p384" and run["subject"] == "CN=node1"
    assert not os.path.exists(tmp_path / "node1.key")
    assert not run_module(temporal_leaf.main, args).changed
    csr_path.write_bytes(make_csr(ec.generate_private_key(ec.SECP256R1())))
    assert run_module(temporal_leaf.main, args)["reason"] == "key_mismatch"
    content = dict(args, csr_content=csr_path.read_text())
    del content["csr_path"]
    assert not run_module(temporal_leaf.main, content).changed


def test_csr_refusals(run_module, tmp_path, pki):
    key = ec.generate_private_key(ec.SECP256R1())
    ca_csr = make_csr(key, ca=True)
    tampered = bytearray(x509.load_pem_x509_csr(make_csr(key)).public_bytes(serialization.Encoding.DER))
    tampered[-3] ^= 0x01  # break the signature
    import base64

    bad_sig = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(tampered)) + b"-----END CERTIFICATE REQUEST-----\n"
    base = leaf_args(tmp_path, pki, profile="client")
    del base["private_key_path"]
    for content, message in ((ca_csr, "asks for CA:true"), (bad_sig, "signature of the CSR")):
        run = run_module(temporal_leaf.main, dict(base, csr_content=content.decode()))
        assert run.failed and run.msg.startswith("csr_content: ") and message in run.msg, run.msg
    pfx = run_module(temporal_leaf.main, dict(base, csr_content=make_csr(key).decode(), pkcs12_path=str(tmp_path / "x.pfx")))
    assert pfx.failed and pfx.msg.startswith("pkcs12_path: ")
    assert not os.path.exists(base["path"])


def test_pkcs12_plain_and_encrypted(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, profile="client", pkcs12_path=str(tmp_path / "c.pfx"))
    run_module(temporal_leaf.main, args)
    data = (tmp_path / "c.pfx").read_bytes()
    key, cert, extra = pkcs12.load_key_and_certificates(data, None)
    assert cert == load_all(args["path"])[0] and extra == load_all(args["chain_path"])[1:]
    encrypted = run_module(temporal_leaf.main, dict(args, pkcs12_passphrase="pfx-secret"))
    assert encrypted.changed and encrypted["reason"] is None  # only the .pfx is rewritten
    data = (tmp_path / "c.pfx").read_bytes()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, None)
    assert pkcs12.load_key_and_certificates(data, b"pfx-secret")[1] == cert
    assert not run_module(temporal_leaf.main, dict(args, pkcs12_passphrase="pfx-secret")).changed
    assert "pfx-secret" not in json.dumps(encrypted.result)


def test_private_key_format_switch_rewrites_only_the_key(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, profile="client")
    first = run_module(temporal_leaf.main, args)
    assert open(args["private_key_path"], "rb").read().startswith(b"-----BEGIN PRIVATE KEY-----")
    switched = run_module(temporal_leaf.main, dict(args, private_key_format="traditional"))
    assert switched.changed and switched["reason"] is None and switched["serial_number"] == first["serial_number"]
    assert open(args["private_key_path"], "rb").read().startswith(b"-----BEGIN EC PRIVATE KEY-----")


def test_check_mode_before_the_ca_exists(run_module, tmp_path):
    args = dict(profile="client", common_name="c", path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"),
                ca_path=str(tmp_path / "ca.pem"), ca_private_key_path=str(tmp_path / "ca.key"))
    run = run_module(temporal_leaf.main, args, check_mode=True)
    assert run.changed and run["reason"] == "created" and run["reason_detail"].startswith(args["ca_path"] + " does not exist yet")
    real = run_module(temporal_leaf.main, args)
    assert real.failed and real.msg == "ca_path: {0} does not exist".format(args["ca_path"])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(dns_names=[], ip_addresses=[]), "dns_names: the internode profile needs at least one name"),
        (dict(dns_names=["*.*.temporal.test"]), "dns_names: '*.*.temporal.test' has a wildcard"),
        (dict(ip_addresses=["300.1.1.1"]), "ip_addresses: '300.1.1.1' is not an IPv4 or IPv6 address"),
        (dict(common_name="x" * 65), "common_name: '" + "x" * 65 + "' is 65 characters long"),
        (dict(validity="-5d"), "validity: '-5d' is not a duration"),
        (dict(validity="4000d"), "validity: the internode certificate would end on"),
        (dict(renew_before="365d"), "renew_before: 365d is not shorter than validity"),
        (dict(profile="server"), "value of profile must be one of"),
        (dict(key_type="rsa-1024"), "value of key_type must be one of"),
        (dict(ca_private_key_passphrase="nope"), None),
        (dict(common_name="Servers", organization="mtls.temporal tests"), "common_name: the subject CN=Servers,O=mtls.temporal tests equals"),
    ],
)
def test_bad_input_names_the_option_and_writes_nothing(run_module, tmp_path, pki, change, message):
    args = leaf_args(tmp_path, pki)
    args.update(change)
    run = run_module(temporal_leaf.main, args)
    if message is None:  # a passphrase for an unencrypted CA key is harmless
        assert not run.failed
        return
    assert run.failed and message in run.msg, run.msg
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])


def test_leaf_never_outlives_its_ca_and_the_error_names_both_dates(run_module, tmp_path, pki):
    _root, inter = pki
    ca_end = load_all(inter["path"])[0].not_valid_after_utc
    args = leaf_args(tmp_path, pki, validity="4000d")
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    run = run_module(temporal_leaf.main, args)
    ended = datetime.datetime.now(datetime.timezone.utc)
    assert run.failed, run.result
    # The requested end is now + 4000 days, to the second, at some instant of the run.
    seconds = range(int((ended - started).total_seconds()) + 2)
    asked = {(started + datetime.timedelta(days=4000, seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds}
    named = [end for end in asked if "would end on {0} ".format(end) in run.msg]
    assert len(named) == 1, run.msg
    assert "but its issuer CN=Servers,O=mtls.temporal tests ends on {0};".format(ca_end.strftime("%Y-%m-%dT%H:%M:%SZ")) in run.msg, run.msg
    assert run.msg.startswith("validity: the internode certificate would end on ")
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])
    # One day inside the CA's lifetime is accepted.
    inside = (ca_end - datetime.datetime.now(datetime.timezone.utc)).days - 1
    assert not run_module(temporal_leaf.main, dict(args, validity="{0}d".format(inside))).failed


def test_profile_and_key_type_drift_reissue_and_then_stand(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, profile="internode")
    first = run_module(temporal_leaf.main, args)
    assert first["reason"] == "created" and first["extended_key_usage"] == ["clientAuth", "serverAuth"]
    frontend = dict(args, profile="frontend")
    eku = run_module(temporal_leaf.main, frontend)
    assert eku.changed and eku["reason"] == "drift", eku.result
    assert eku["reason_detail"] == "extendedKeyUsage is ['clientAuth', 'serverAuth'], ['serverAuth'] needed", eku["reason_detail"]
    assert eku["extended_key_usage"] == ["serverAuth"] and eku["serial_number"] != first["serial_number"]
    leaf = load_all(args["path"])[0]
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    files = (args["path"], args["private_key_path"], args["chain_path"])
    before = snapshot(*files)
    again = run_module(temporal_leaf.main, frontend)
    assert not again.changed and again["reason"] is None and snapshot(*files) == before

    ed = dict(frontend, key_type="ed25519", reuse_key=True)  # a key of another type is made even with reuse_key
    keyed = run_module(temporal_leaf.main, ed)
    assert keyed.changed and keyed["reason"] == "drift", keyed.result
    assert keyed["reason_detail"] == "key type is ecdsa-p256, ed25519 asked", keyed["reason_detail"]
    assert keyed["key_type"] == "ed25519" and keyed["public_key_sha256"] != eku["public_key_sha256"]
    with open(args["private_key_path"], "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey) and load_all(args["path"])[0].public_key() == key.public_key()
    before = snapshot(*files)
    third = run_module(temporal_leaf.main, ed)
    assert not third.changed and third["reason"] is None and snapshot(*files) == before
    assert not run_module(temporal_leaf.main, ed, check_mode=True).changed


def test_client_needs_a_common_name(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, profile="client")
    del args["common_name"]
    run = run_module(temporal_leaf.main, args)
    assert run.failed and run.msg.startswith("common_name: the client profile needs a common_name")


def test_issuer_refusals(run_module, tmp_path, ca_factory, pki):
    root, inter = pki
    ca_factory("Other")
    other_key = str(tmp_path / "Other.key")
    leaf = leaf_args(tmp_path, pki, profile="client")
    run_module(temporal_leaf.main, dict(leaf, path=str(tmp_path / "notca.pem"), private_key_path=str(tmp_path / "notca.key")))
    cases = [
        (dict(ca_private_key_path=other_key), "ca_private_key_path: the key in {0} does not match".format(other_key)),
        (dict(ca_path=str(tmp_path / "notca.pem"), ca_private_key_path=str(tmp_path / "notca.key")), "is not a CA certificate"),
    ]
    for change, message in cases:
        run = run_module(temporal_leaf.main, dict(leaf, **change))
        assert run.failed and message in run.msg, run.msg
    encrypted = ca_factory("Locked", private_key_passphrase="ca-pass")
    run = run_module(temporal_leaf.main, dict(leaf, ca_path=encrypted["path"], ca_private_key_path=encrypted["private_key_path"]))
    assert run.failed and run.msg.startswith("ca_private_key_passphrase: ") and "is encrypted" in run.msg
    locked = dict(leaf, ca_path=encrypted["path"], ca_private_key_path=encrypted["private_key_path"])
    run = run_module(temporal_leaf.main, dict(locked, ca_private_key_passphrase="bad"))
    assert run.failed and run.msg.startswith("ca_private_key_passphrase: wrong passphrase")
    run_module(temporal_leaf.main, leaf)
    ok = run_module(temporal_leaf.main, dict(locked, ca_private_key_passphrase="ca-pass"))
    assert ok["reason"] == "ca_changed" and "ca-pass" not in json.dumps(ok.result)


def test_expired_ca_is_refused(run_module, tmp_path):
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    params = dict(
        path=str(tmp_path / "old.pem"), private_key_path=str(tmp_path / "old.key"), common_name="Old", key_type="ecdsa-p256",
        validity="2d", renew_before="1d", state="present", force=False, reuse_key=True, path_length=None,
        name_constraints_permitted=[], name_constraints_excluded=[], parent_ca_path=None, parent_ca_private_key_path=None,
        parent_ca_private_key_passphrase=None, private_key_passphrase=None, chain_path=None, private_key_mode="0600",
    )
    write_files(CABackend(params, now=past).plan().files)
    run = run_module(temporal_leaf.main, dict(profile="client", common_name="c", path=str(tmp_path / "c.pem"), private_key_path=str(tmp_path / "c.key"),
                                              ca_path=params["path"], ca_private_key_path=params["private_key_path"]))
    assert run.failed and run.msg.startswith("ca_path: the CA CN=Old in ") and "expired on" in run.msg


def test_name_constraints_are_enforced_before_issuing(run_module, tmp_path, ca_factory):
    ca = ca_factory("Constrained", name_constraints_permitted=["DNS:.temporal.test", "IP:127.0.0.0/8"], name_constraints_excluded=["DNS:evil.temporal.test"])
    base = dict(profile="frontend", path=str(tmp_path / "f.pem"), private_key_path=str(tmp_path / "f.key"),
                ca_path=ca["path"], ca_private_key_path=ca["private_key_path"])
    assert not run_module(temporal_leaf.main, dict(base, dns_names=["a.temporal.test"], ip_addresses=["127.0.0.2"])).failed
    for change, message in (
        (dict(dns_names=["a.example.com"]), "dns_names: a.example.com is outside the names permitted"),
        (dict(dns_names=["evil.temporal.test"]), "dns_names: evil.temporal.test is excluded"),
        (dict(dns_names=["a.temporal.test"], ip_addresses=["10.0.0.1"]), "ip_addresses: 10.0.0.1 is outside the networks permitted"),
    ):
        run = run_module(temporal_leaf.main, dict(base, **change))
        assert run.failed and message in run.msg, run.msg


def test_absent_removes_files(run_module, tmp_path, pki):
    args = leaf_args(tmp_path, pki, pkcs12_path=str(tmp_path / "n.pfx"))
    run_module(temporal_leaf.main, args)
    run = run_module(temporal_leaf.main, dict(args, state="absent"))
    assert len(run["removed"]) == 4 and not any(os.path.exists(p) for p in run["removed"])
