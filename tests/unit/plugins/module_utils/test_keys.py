from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import (
    KEY_TYPES,
    check_rsa_size,
    generate_private_key,
    key_file_needs_rewrite,
    key_type_of,
    load_private_key,
    pem_format,
    same_public_key,
    serialize_private_key,
)

FAST_KEY_TYPES = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"]


@pytest.mark.parametrize("key_type", list(KEY_TYPES))
def test_generated_keys_have_the_asked_type(key_type):
    assert key_type_of(generate_private_key(key_type)) == key_type


@pytest.mark.parametrize(
    "key_type, key_format, header",
    [
        ("ecdsa-p256", "pkcs8", b"-----BEGIN PRIVATE KEY-----"),
        ("ecdsa-p256", "traditional", b"-----BEGIN EC PRIVATE KEY-----"),
        ("rsa-2048", "traditional", b"-----BEGIN RSA PRIVATE KEY-----"),
        ("rsa-2048", "pkcs8", b"-----BEGIN PRIVATE KEY-----"),
        ("ed25519", "traditional", b"-----BEGIN PRIVATE KEY-----"),
    ],
)
def test_serialize_formats(key_type, key_format, header):
    key = generate_private_key(key_type)
    pem = serialize_private_key(key, key_format)
    assert pem.startswith(header)
    assert key_file_needs_rewrite(pem, key, key_format, None) is None
    assert same_public_key(load_private_key(pem, None, "private_key_path", "k.pem"), key)


@pytest.mark.parametrize("key_type", FAST_KEY_TYPES)
def test_encrypted_round_trip_and_errors(key_type):
    key = generate_private_key(key_type)
    pem = serialize_private_key(key, "traditional", "s3cret-pass")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert same_public_key(load_private_key(pem, "s3cret-pass", "opt", "ca.key"), key)
    with pytest.raises(PKIError, match=r"^pass: wrong passphrase for ca\.key$"):
        load_private_key(pem, "not-it", "opt", "ca.key", "pass")
    with pytest.raises(PKIError, match=r"^pass: ca\.key is encrypted; give its passphrase$"):
        load_private_key(pem, None, "opt", "ca.key", "pass")
    with pytest.raises(PKIError, match=r"^opt: ca\.key is encrypted, and Temporal cannot read encrypted keys"):
        load_private_key(pem, None, "opt", "ca.key")


def test_messages_never_hold_the_passphrase():
    pem = serialize_private_key(generate_private_key("ecdsa-p256"), passphrase="correct horse")
    with pytest.raises(PKIError) as exc:
        load_private_key(pem, "battery staple", "opt", "ca.key")
    assert "battery" not in str(exc.value) and "horse" not in str(exc.value)


@pytest.mark.parametrize("data", [b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", b""])
def test_garbage_key(data):
    with pytest.raises(PKIError, match=r"^private_key_path: k\.pem is not a readable PEM private key$"):
        load_private_key(data, None, "private_key_path", "k.pem")


def test_rewrite_reasons():
    key = generate_private_key("ecdsa-p256")
    plain_pkcs8 = serialize_private_key(key, "pkcs8")
    assert "traditional asked" in key_file_needs_rewrite(plain_pkcs8, key, "traditional", None)
    assert "not encrypted" in key_file_needs_rewrite(plain_pkcs8, key, "pkcs8", "pw")
    assert key_file_needs_rewrite(serialize_private_key(key, "pkcs8", "pw"), key, "pkcs8", "pw") is None
    assert pem_format(plain_pkcs8) == "pkcs8"


def test_weak_rsa_is_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(PKIError, match="^csr_path: RSA key of 1024 bits is too weak"):
        check_rsa_size(weak.public_key(), "csr_path")
