"""mtls.temporal.ca_bundle: the newest certificate first, equal start times in the given order, junk refused."""

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.temporal.plugins.filter.ca_bundle import ca_bundle

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def ca(name, days_after_start):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    not_before = START + datetime.timedelta(days=days_after_start)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_before + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def names(bundle):
    return [cert.subject.rfc4514_string() for cert in x509.load_pem_x509_certificates(bundle.encode())]


def test_newest_first_and_ties_keep_their_order():
    clients, servers, renewed, twin = ca("clients", 0), ca("servers", 0), ca("servers-renewed", 30), ca("twin", 0)
    assert names(ca_bundle([clients, servers])) == ["CN=clients", "CN=servers"]
    assert names(ca_bundle([servers, clients])) == ["CN=servers", "CN=clients"]
    # A file holding two certificates contributes both; the renewed one moves ahead of everything older.
    assert names(ca_bundle([clients, servers + twin, renewed])) == ["CN=servers-renewed", "CN=clients", "CN=servers", "CN=twin"]


def test_the_bundle_is_the_certificates_own_pem():
    clients, servers = ca("clients", 1), ca("servers", 0)
    # What a bundle written as the joined files looked like: the same bytes, so no rewrite on upgrade.
    assert ca_bundle([clients.rstrip("\n"), servers.rstrip("\n")]) == clients + servers


@pytest.mark.parametrize("value, phrase", [
    ("-----BEGIN CERTIFICATE-----", "expects a list of PEM texts, got str"),
    (["not a certificate"], "item 1 holds no PEM certificate"),
    ([ca("a", 0), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"], "item 2: PEM block 1 is a PRIVATE KEY, not a CERTIFICATE"),
])
def test_refuses_what_is_not_a_list_of_certificates(value, phrase):
    with pytest.raises(AnsibleFilterError, match=phrase):
        ca_bundle(value)
