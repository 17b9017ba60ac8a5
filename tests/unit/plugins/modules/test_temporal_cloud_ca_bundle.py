"""temporal_cloud_ca_bundle: every Temporal Cloud rule refuses what breaks it (before anything is written), and the
happy paths through main() build, write, rerun without change, predict in check mode and diff without PEM."""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.temporal.plugins.modules import temporal_cloud_ca_bundle as mod
from conftest import snapshot

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def name(cn, org="Cloud tests"):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def craft(cn, issuer=None, ca=True, org="Cloud tests", key=None, not_before=None, not_after=None, basic=True, key_usage=True, padding=0):
    """(certificate, key): a CA or client certificate with exactly the properties a test needs."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = name(cn, org)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 300 * DAY)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False)
    if basic:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
            key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
    if padding:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x00" * padding), critical=False)
    hash_algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, hash_algorithm), key


def write(tmp_path, filename, *certs):
    path = tmp_path / filename
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return str(path)


def sha1(cert):
    return cert.fingerprint(hashes.SHA1()).hex()


def openssl_ca(tmp_path, filename, digest, key_spec):
    """A self-signed CA signed with a digest cryptography refuses to sign with (SHA-1, MD5)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    path = tmp_path / filename
    subprocess.run(["openssl", "req", "-x509", "-" + digest, "-newkey", key_spec, "-nodes", "-keyout", str(tmp_path / (filename + ".key")),
                    "-out", str(path), "-subj", "/CN=" + digest + " CA", "-days", "30", "-addext", "basicConstraints=critical,CA:true"],
                   check=True, capture_output=True)
    return str(path)


@pytest.fixture
def generations(tmp_path):
    """An old and a new CA generation (root + intermediate each), and a client of each with its chain."""
    out = {}
    for generation, age in (("old", 200), ("new", 2)):
        root = craft("Root CA " + generation, not_before=NOW - age * DAY, not_after=NOW + 1000 * DAY)
        inter = craft("Clients CA " + generation, issuer=root, not_before=NOW - age * DAY + datetime.timedelta(hours=1), not_after=NOW + 900 * DAY)
        leaf = craft("payments", issuer=inter, ca=False, org="Payments " + generation)
        out[generation] = dict(
            root=root[0], inter=inter[0], leaf=leaf[0],
            chain_path=write(tmp_path, generation + "-clients-ca-chain.pem", inter[0], root[0]),
            client_path=write(tmp_path, generation + "-client-chain.pem", leaf[0], inter[0]),
        )
    return out


def run_bundle(run_module, args, **kwargs):
    return run_module(mod.main, args, **kwargs)


# --- happy paths -----------------------------------------------------------------------------------------------------


def test_old_and_new_make_one_bundle_newest_first_and_rerun_changes_nothing(run_module, tmp_path, generations):
    old, new = generations["old"], generations["new"]
    out = str(tmp_path / "bundle.pem")
    args = dict(ca_paths=[old["chain_path"], new["chain_path"]], path=out, client_cert_paths=[old["client_path"], new["client_path"]])
    first = run_bundle(run_module, args)
    assert not first.failed, first.msg
    assert first.changed
    expected = [new["inter"], new["root"], old["inter"], old["root"]]
    assert first["fingerprints"] == [sha1(c) for c in expected]
    assert [c["subject"] for c in first["certificates"]] == [c.subject.rfc4514_string() for c in expected]
    assert [c["is_root"] for c in first["certificates"]] == [False, True, False, True]
    data = open(out, "rb").read()
    assert base64.b64decode(first["bundle_base64"]) == data and first["bundle_size"] == len(data)
    assert [x509.load_pem_x509_certificate(b"-----BEGIN" + block).subject for block in data.split(b"-----BEGIN")[1:]] == [c.subject for c in expected]
    assert [c["ca_fingerprint_sha1"] for c in first["clients"]] == [sha1(old["inter"]), sha1(new["inter"])]
    assert first["duplicates"] == [] and first["filters"] is None
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644 & ~_umask()
    before = snapshot(out)
    second = run_bundle(run_module, dict(args, ca_paths=list(reversed(args["ca_paths"]))))
    assert not second.failed and not second.changed
    assert snapshot(out) == before


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_duplicates_are_kept_once_and_reported(run_module, tmp_path, generations):
    new = generations["new"]
    root_only = write(tmp_path, "root.pem", new["root"])
    run = run_bundle(run_module, dict(ca_paths=[root_only, new["chain_path"]]))
    assert not run.failed, run.msg
    assert run["fingerprints"] == [sha1(new["inter"]), sha1(new["root"])]
    assert run["duplicates"] == [dict(path=new["chain_path"], subject=new["root"].subject.rfc4514_string(), fingerprint_sha1=sha1(new["root"]),
                                      same_as=root_only)]
    assert run["path"] is None and not run.changed  # nothing to write: a check only


def test_check_mode_predicts_and_writes_nothing_and_diff_shows_facts_not_pem(run_module, tmp_path, generations):
    old, new = generations["old"], generations["new"]
    out = str(tmp_path / "bundle.pem")
    run_bundle(run_module, dict(ca_paths=[old["chain_path"]], path=out))
    before = snapshot(out)
    args = dict(ca_paths=[old["chain_path"], new["chain_path"]], path=out)
    checked = run_bundle(run_module, args, check_mode=True, diff=True)
    assert checked.changed and not checked.failed
    assert snapshot(out) == before
    diff = checked["diff"][0]
    assert diff["before_header"] == out
    assert [c["fingerprint_sha1"] for c in diff["before"]["certificates"]] == [sha1(old["inter"]), sha1(old["root"])]
    assert [c["fingerprint_sha1"] for c in diff["after"]["certificates"]] == [sha1(c) for c in (new["inter"], new["root"], old["inter"], old["root"])]
    assert "BEGIN" not in json.dumps(checked.result["diff"])
    applied = run_bundle(run_module, args, diff=True)
    assert applied.changed and applied["diff"] == checked["diff"]
    assert run_bundle(run_module, args, check_mode=True).changed is False


def test_filters_are_written_as_tcld_reads_them_and_idempotent(run_module, tmp_path, generations):
    out = str(tmp_path / "filters.json")
    filters = [dict(common_name="payments", organization="Example Corp"), dict(subject_alternative_name="*.workers.example.com"),
               dict(organizational_unit="billing*", common_name="   ")]
    args = dict(ca_paths=[generations["new"]["chain_path"]], filters=filters, filters_path=out)
    first = run_bundle(run_module, args)
    assert not first.failed, first.msg
    expected = [{"commonName": "payments", "organization": "Example Corp"}, {"subjectAlternativeName": "*.workers.example.com"},
                {"organizationalUnit": "billing*"}]
    assert json.loads(open(out).read()) == {"filters": expected}
    assert first.changed and first["filters"] == expected
    before = snapshot(out)
    assert not run_bundle(run_module, args).changed
    assert snapshot(out) == before
    changed = run_bundle(run_module, dict(args, filters=filters[:1]), diff=True)
    assert changed.changed
    assert changed["diff"][0]["before"] == {"filters": expected} and changed["diff"][0]["after"] == {"filters": expected[:1]}
    emptied = run_bundle(run_module, dict(args, filters=[]))
    assert emptied.changed and json.loads(open(out).read()) == {"filters": []}


def test_mode_and_backup(run_module, tmp_path, generations):
    out = str(tmp_path / "bundle.pem")
    run_bundle(run_module, dict(ca_paths=[generations["old"]["chain_path"]], path=out))
    run = run_bundle(run_module, dict(ca_paths=[generations["new"]["chain_path"]], path=out, mode="0640", backup=True))
    assert run.changed and not run.failed
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    assert os.path.exists(run["backup_files"]["path"])
    again = run_bundle(run_module, dict(ca_paths=[generations["new"]["chain_path"]], path=out, mode="0640"))
    assert not again.changed


def test_an_expired_ca_is_a_warning(run_module, tmp_path):
    root = craft("Expired root", not_before=NOW - 20 * DAY, not_after=NOW - DAY)[0]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "expired.pem", root)]))
    assert not run.failed
    assert run["expired"] == [dict(path=str(tmp_path / "expired.pem"), subject=root.subject.rfc4514_string(),
                                   not_after=root.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"))]


# --- the bundle's rules ----------------------------------------------------------------------------------------------


def assert_refused(run, *fragments):
    assert run.failed, run.result
    for fragment in fragments:
        assert fragment in run.msg, run.msg


def test_refuses_more_than_16_certificates(run_module, tmp_path):
    roots = [craft("Root %d" % n)[0] for n in range(17)]
    out = str(tmp_path / "bundle.pem")
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "roots.pem", *roots)], path=out))
    assert_refused(run, "ca_paths:", "17 distinct CA certificates", "at most 16")
    assert not os.path.exists(out)


def test_16_certificates_are_fine(run_module, tmp_path):
    roots = [craft("Root %d" % n)[0] for n in range(16)]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "roots.pem", *roots)]))
    assert not run.failed, run.msg
    assert len(run["fingerprints"]) == 16


def test_refuses_more_than_32_kb(run_module, tmp_path):
    roots = [craft("Big root %d" % n, padding=3000)[0] for n in range(9)]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "big.pem", *roots)]))
    assert_refused(run, "ca_paths:", "bytes of PEM", "at most 32768 bytes (32 KB)")


def test_refuses_a_certificate_that_is_not_a_ca(run_module, tmp_path, generations):
    new = generations["new"]
    run = run_bundle(run_module, dict(ca_paths=[new["chain_path"], write(tmp_path, "leaf.pem", new["leaf"])]))
    assert_refused(run, "ca_paths:", "leaf.pem", "CN=payments", "not a CA certificate")


def test_refuses_a_ca_without_basic_constraints(run_module, tmp_path):
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "nobc.pem", craft("No BC root", basic=False)[0])]))
    assert_refused(run, "ca_paths:", "not a CA certificate")


def test_refuses_a_sha1_signature(run_module, tmp_path):
    run = run_bundle(run_module, dict(ca_paths=[_openssl_ec_ca(tmp_path, "sha1")]))
    assert_refused(run, "ca_paths:", "signed with SHA1", "SHA-256 or stronger")


def test_refuses_an_md5_signature(run_module, tmp_path):
    run = run_bundle(run_module, dict(ca_paths=[openssl_ca(tmp_path, "md5.pem", "md5", "rsa:2048")]))
    assert_refused(run, "ca_paths:", "signed with MD5", "SHA-256 or stronger")


def _openssl_ec_ca(tmp_path, digest):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    path = tmp_path / (digest + "-ec.pem")
    subprocess.run(["openssl", "req", "-x509", "-" + digest, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(tmp_path / "ec.key"), "-out", str(path), "-subj", "/CN=ec " + digest, "-days", "30",
                    "-addext", "basicConstraints=critical,CA:true"], check=True, capture_output=True)
    return str(path)


def test_refuses_an_eddsa_signature(run_module, tmp_path):
    root = craft("Ed root", key=ed25519.Ed25519PrivateKey.generate())[0]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "ed.pem", root)]))
    assert_refused(run, "ca_paths:", "RSA or ECDSA signatures only")


def test_refuses_an_intermediate_without_its_issuer(run_module, tmp_path, generations):
    new = generations["new"]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "inter.pem", new["inter"])]))
    assert_refused(run, "ca_paths:", "inter.pem", "neither a root nor issued by another certificate of the bundle", "CN=Root CA new")


def test_refuses_a_missing_or_unreadable_file(run_module, tmp_path):
    assert_refused(run_bundle(run_module, dict(ca_paths=[str(tmp_path / "nope.pem")])), "ca_paths:", "does not exist")
    (tmp_path / "junk.pem").write_text("not pem")
    assert_refused(run_bundle(run_module, dict(ca_paths=[str(tmp_path / "junk.pem")])), "ca_paths:", "holds no PEM certificate")


def test_nothing_is_written_when_a_later_check_fails(run_module, tmp_path, generations):
    out, filters_out = str(tmp_path / "bundle.pem"), str(tmp_path / "filters.json")
    run = run_bundle(run_module, dict(ca_paths=[generations["new"]["chain_path"]], path=out, filters=[{"common_name": "*"}], filters_path=filters_out))
    assert_refused(run, "filters[0].common_name")
    assert not os.path.exists(out) and not os.path.exists(filters_out)


# --- client certificates ---------------------------------------------------------------------------------------------


@pytest.fixture
def issuer(tmp_path):
    """A root and an intermediate with their keys, and the chain file of the intermediate."""
    root = craft("Issuer root")
    inter = craft("Issuer clients CA", issuer=root)
    return dict(root=root, inter=inter, chain_path=write(tmp_path, "issuer-chain.pem", inter[0], root[0]))


def check_client(run_module, issuer, path, ca_paths=None):
    return run_bundle(run_module, dict(ca_paths=ca_paths or [issuer["chain_path"]], client_cert_paths=[path]))


def test_a_good_client_passes(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False, org="Payments")[0]
    run = check_client(run_module, issuer, write(tmp_path, "c.pem", leaf, issuer["inter"][0]))
    assert not run.failed, run.msg
    assert run["clients"][0]["subject"] == "O=Payments,CN=payments"
    assert run["clients"][0]["ca_fingerprint_sha1"] == sha1(issuer["inter"][0])  # the intermediate is in the bundle


def test_a_client_issued_by_a_ca_of_the_bundle_needs_no_chain(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False)[0]
    run = check_client(run_module, issuer, write(tmp_path, "c.pem", leaf))
    assert not run.failed, run.msg


def test_refuses_a_client_that_does_not_present_its_chain(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False)[0]
    root_only = write(tmp_path, "root.pem", issuer["root"][0])
    run = check_client(run_module, issuer, write(tmp_path, "c.pem", leaf), ca_paths=[root_only])
    assert_refused(run, "client_cert_paths:", "the presented chain stops at", "must present its chain up to a CA in the bundle")
    with_chain = check_client(run_module, issuer, write(tmp_path, "c2.pem", leaf, issuer["inter"][0]), ca_paths=[root_only])
    assert not with_chain.failed, with_chain.msg


def test_refuses_a_client_from_another_ca(run_module, tmp_path, issuer):
    stranger = craft("Stranger root")
    leaf = craft("payments", issuer=stranger, ca=False)[0]
    run = check_client(run_module, issuer, write(tmp_path, "c.pem", leaf, stranger[0]))
    assert_refused(run, "client_cert_paths:", "stops at O=Cloud tests,CN=Stranger root")


def test_refuses_a_ca_as_client(run_module, tmp_path, issuer):
    sub = craft("Sub CA", issuer=issuer["inter"], ca=True)[0]
    assert_refused(check_client(run_module, issuer, write(tmp_path, "c.pem", sub)), "client_cert_paths:", "is a CA certificate (CA:true)")


def test_refuses_a_client_without_basic_constraints(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False, basic=False)[0]
    assert_refused(check_client(run_module, issuer, write(tmp_path, "c.pem", leaf)), "client_cert_paths:", "no basicConstraints", "CA:false")


def test_refuses_a_client_without_digital_signature(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False, key_usage=False)[0]
    assert_refused(check_client(run_module, issuer, write(tmp_path, "c.pem", leaf)), "client_cert_paths:", "no keyUsage digitalSignature")


def test_refuses_a_chain_with_a_repeated_distinguished_name(run_module, tmp_path, issuer):
    # The leaf's DN is the intermediate's, in other case: Cloud compares DNs case-insensitively.
    leaf = craft("ISSUER CLIENTS CA", issuer=issuer["inter"], ca=False, org="CLOUD TESTS")[0]
    run = check_client(run_module, issuer, write(tmp_path, "c.pem", leaf, issuer["inter"][0]))
    assert_refused(run, "client_cert_paths:", "two certificates of its chain have the distinguished name", "case-insensitively")


def test_refuses_an_expired_client(run_module, tmp_path, issuer):
    leaf = craft("payments", issuer=issuer["inter"], ca=False, not_before=NOW - 10 * DAY, not_after=NOW - DAY)[0]
    assert_refused(check_client(run_module, issuer, write(tmp_path, "c.pem", leaf)), "client_cert_paths:", "expired on")


def test_refuses_a_client_that_outlives_its_ca(run_module, tmp_path):
    root = craft("Short root", not_after=NOW + 30 * DAY)
    leaf = craft("payments", issuer=root, ca=False, not_after=NOW + 60 * DAY)[0]
    run = run_bundle(run_module, dict(ca_paths=[write(tmp_path, "root.pem", root[0])], client_cert_paths=[write(tmp_path, "c.pem", leaf)]))
    assert_refused(run, "client_cert_paths:", "after its issuer O=Cloud tests,CN=Short root", "must expire before its CA")


def test_refuses_a_client_signed_with_sha1(run_module, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    ca = _openssl_ec_ca(tmp_path, "sha256")
    key = str(tmp_path / "leaf.key")
    csr = str(tmp_path / "leaf.csr")
    leaf = str(tmp_path / "leaf.pem")
    ext = tmp_path / "leaf.ext"
    ext.write_text("basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=sha1 leaf"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-sha1", "-in", csr, "-CA", ca, "-CAkey", str(tmp_path / "ec.key"), "-CAcreateserial",
                    "-days", "5", "-extfile", str(ext), "-out", leaf], check=True, capture_output=True)
    run = run_bundle(run_module, dict(ca_paths=[ca], client_cert_paths=[leaf]))
    assert_refused(run, "client_cert_paths:", "CN=sha1 leaf is signed with SHA1")


def test_refuses_a_missing_client_file(run_module, tmp_path, issuer):
    assert_refused(check_client(run_module, issuer, str(tmp_path / "absent.pem")), "client_cert_paths:", "does not exist")


# --- filters ---------------------------------------------------------------------------------------------------------


def filter_run(run_module, tmp_path, issuer, filters):
    out = str(tmp_path / "filters.json")
    run = run_bundle(run_module, dict(ca_paths=[issuer["chain_path"]], filters=filters, filters_path=out))
    if run.failed:
        assert not os.path.exists(out)
    return run


def test_refuses_more_than_25_filters(run_module, tmp_path, issuer):
    filters = [{"common_name": "ns%d" % n} for n in range(26)]
    assert_refused(filter_run(run_module, tmp_path, issuer, filters), "filters:", "26 filters", "at most 25")
    assert not filter_run(run_module, tmp_path, issuer, filters[:25]).failed


@pytest.mark.parametrize("entry", [{}, {"common_name": ""}, {"organization": "  ", "subject_alternative_name": None}])
def test_refuses_a_filter_without_a_field(run_module, tmp_path, issuer, entry):
    run = filter_run(run_module, tmp_path, issuer, [{"common_name": "ok"}, entry])
    assert_refused(run, "filters[1]:", "sets no field")


def test_refuses_duplicate_filters(run_module, tmp_path, issuer):
    filters = [{"common_name": "payments", "organization": "Acme"}, {"common_name": "x"}, {"organization": "ACME", "common_name": "Payments"}]
    assert_refused(filter_run(run_module, tmp_path, issuer, filters), "filters[2]:", "same filter as filters[0]")


@pytest.mark.parametrize("field,value,reason", [
    ("common_name", "*", "alone"),
    ("organization", "*acme*", "has 2 '*'"),
    ("organizational_unit", "**", "has 2 '*'"),
    ("subject_alternative_name", "a*.example.com", "in the middle"),
])
def test_refuses_bad_wildcards(run_module, tmp_path, issuer, field, value, reason):
    run = filter_run(run_module, tmp_path, issuer, [{field: value}])
    assert_refused(run, "filters[0].{0}:".format(field), reason)


@pytest.mark.parametrize("value", ["*.example.com", "payments-*", "exact"])
def test_accepts_one_wildcard_at_one_end(run_module, tmp_path, issuer, value):
    run = filter_run(run_module, tmp_path, issuer, [{"subject_alternative_name": value}])
    assert not run.failed, run.msg


def test_refuses_unknown_filter_fields_and_filters_without_a_path(run_module, tmp_path, issuer):
    assert_refused(filter_run(run_module, tmp_path, issuer, [{"country": "US"}]), "country")
    run = run_bundle(run_module, dict(ca_paths=[issuer["chain_path"]], filters=[{"common_name": "x"}]))
    assert_refused(run, "filters", "filters_path")
