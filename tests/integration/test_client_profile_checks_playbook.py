"""Client profiles are checked before they are written, through one real ansible-playbook run: a profile whose
server_name the frontend certificate lacks, whose CA does not verify that certificate, or whose own certificate is
expired, without clientAuth or not its key's, fails naming the option; host verification off, an IP address with no
server name and a Temporal Cloud address with a private CA are traps, accepted only when relaxed."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import run_cases


def expired_client(tmp_path, ca):
    """A client certificate from ca that ended yesterday, and its key."""
    ca_cert = x509.load_pem_x509_certificate(Path(ca["path"]).read_bytes())
    ca_key = serialization.load_pem_private_key(Path(ca["private_key_path"]).read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False).sign(ca_key, hashes.SHA256()))
    (tmp_path / "expired.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "expired.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(tmp_path / "expired.pem"), str(tmp_path / "expired.key")


def test_client_profiles_are_checked_before_they_are_written(tmp_path, ca_factory, leaf_factory):
    root = ca_factory("root")
    servers, clients, foreign = ca_factory("servers", parent=root), ca_factory("clients", parent=root), ca_factory("foreign")
    frontend = leaf_factory("frontend", "frontend", servers, dns_names=["frontend.temporal.test"], ip_addresses=["127.0.0.1"])
    client = leaf_factory("payments", "client", clients, common_name="payments")
    expired_cert, expired_key = expired_client(tmp_path, clients)
    out = tmp_path / "out"
    out.mkdir()
    good = dict(profile="payments", address="frontend.temporal.test:7233", server_name="frontend.temporal.test", cert_file=client["chain_path"],
                key_file=client["private_key_path"], ca_file=root["path"], server_cert_file=frontend["chain_path"], toml_path=str(out / "temporal.toml"))

    def profile(**changes):
        return dict(client={key: value for key, value in dict(good, **changes).items() if value is not None})

    cases = [
        ("wrong_name", "temporal_tls_config", profile(server_name="temporal.example.test")),
        ("wrong_ca", "temporal_tls_config", profile(ca_file=foreign["path"])),
        ("expired", "temporal_tls_config", profile(cert_file=expired_cert, key_file=expired_key)),
        ("server_cert_as_client", "temporal_tls_config", profile(cert_file=frontend["chain_path"], key_file=frontend["private_key_path"])),
        ("key_mismatch", "temporal_tls_config", profile(key_file=frontend["private_key_path"])),
        ("no_verification", "temporal_tls_config", profile(disable_host_verification=True)),
        ("ip_no_name", "temporal_tls_config", profile(address="127.0.0.1:7233", server_name=None)),
        ("cloud_private_ca", "temporal_tls_config", profile(address="payments.a1b2c.tmprl.cloud:7233", server_name=None, server_cert_file=None)),
    ]
    results, _output = run_cases(tmp_path, cases)
    expected = {
        "wrong_name": "client.server_name: {0} has no SAN for 'temporal.example.test' (the client checks the frontend certificate for it)".format(
            frontend["chain_path"]),
        "wrong_ca": "client.ca_file: {0} does not chain to a CA in client.ca_file".format(frontend["chain_path"]),
        "expired": "client.cert_file: {0}: CN=expired expired on".format(expired_cert),
        "server_cert_as_client": "client: {0} has extendedKeyUsage ['serverAuth']; it needs clientAuth".format(frontend["chain_path"]),
        "key_mismatch": "client: {0} does not match the certificate in {1}".format(frontend["private_key_path"], client["chain_path"]),
        "no_verification": "client: disable_host_verification turns off all server certificate verification, chain and name (add host_verification_disabled",
        "ip_no_name": "client.address: 127.0.0.1:7233 is an IP address; a client that dials an IP address without server_name",
        "cloud_private_ca": "client.ca_file: payments.a1b2c.tmprl.cloud:7233 is a Temporal Cloud address; Temporal Cloud's endpoints serve "
                            "certificates from a public CA",
    }
    for name, message in expected.items():
        assert results[name]["failed"] and message in results[name]["msg"], (name, results[name].get("msg"))
    assert list(out.iterdir()) == []

    relaxed, _output = run_cases(tmp_path, [
        ("good", "temporal_tls_config", profile()),
        ("ip_relaxed", "temporal_tls_config", dict(profile(address="127.0.0.1:7233", server_name=None, profile="by-ip"),
                                                   relaxed_checks=["client_ip_without_server_name"])),
    ])
    assert relaxed["good"]["changed"] and not relaxed["good"].get("failed"), relaxed["good"]
    assert relaxed["ip_relaxed"]["changed"] and any("(relaxed: client_ip_without_server_name)" in w for w in relaxed["ip_relaxed"]["warnings"])
