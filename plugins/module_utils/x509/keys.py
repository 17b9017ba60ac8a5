# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private keys: the supported types, generation, loading and PEM encodings.
Private to this collection: not a public API."""

from __future__ import annotations

import hashlib

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

# key_type -> (family, size or curve name). The one list of key types the collection offers.
KEY_TYPES = {
    "ecdsa-p256": ("ec", "secp256r1"),
    "ecdsa-p384": ("ec", "secp384r1"),
    "rsa-2048": ("rsa", 2048),
    "rsa-3072": ("rsa", 3072),
    "rsa-4096": ("rsa", 4096),
    "ed25519": ("ed25519", None),
}

PRIVATE_KEY_FORMATS = ("pkcs8", "traditional")

_PEM_FORMAT_MARKERS = {
    b"-----BEGIN PRIVATE KEY-----": "pkcs8",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----": "pkcs8",
    b"-----BEGIN RSA PRIVATE KEY-----": "traditional",
    b"-----BEGIN EC PRIVATE KEY-----": "traditional",
}


def generate_private_key(key_type):
    family, param = KEY_TYPES[key_type]
    if family == "ec":
        curve = ec.SECP256R1() if param == "secp256r1" else ec.SECP384R1()
        return ec.generate_private_key(curve)
    if family == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=param)
    return ed25519.Ed25519PrivateKey.generate()


def key_type_of(key):
    """The key_type name of a private or public key, or None for one the collection does not offer."""
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}.get(key.curve.name)
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        name = "rsa-{0}".format(key.key_size)
        return name if name in KEY_TYPES else None
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "ed25519"
    return None


def describe_key(key):
    """Human name for any key, also ones outside KEY_TYPES (for messages and facts)."""
    known = key_type_of(key)
    if known:
        return known
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "rsa-{0}".format(key.key_size)
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "ecdsa-{0}".format(key.curve.name)
    return type(key).__name__


def signature_hash(key):
    """The digest to sign with: SHA-384 for P-384 (as Go picks), none for Ed25519, else SHA-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1":
        return hashes.SHA384()
    return hashes.SHA256()


def check_rsa_size(public_key, option):
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < 2048:
        raise PKIError(option, "RSA key of {0} bits is too weak; 2048 bits is the minimum".format(public_key.key_size))


def _public(key):
    return key.public_key() if hasattr(key, "private_bytes") else key


def public_key_der(key):
    return _public(key).public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_sha256(key):
    """SHA-256 of the SubjectPublicKeyInfo: names a key in results and diffs without revealing it."""
    return hashlib.sha256(public_key_der(key)).hexdigest()


def same_public_key(a, b):
    """Whether a and b (private or public keys) hold one public key. cryptography compares the keys themselves (keys of
    two types are unequal), many times faster than serializing both."""
    return _public(a) == _public(b)


def pem_format(pem):
    """'pkcs8' or 'traditional' by the PEM header, None if neither."""
    for marker, name in _PEM_FORMAT_MARKERS.items():
        if marker in pem:
            return name
    return None


def is_encrypted_pem(pem):
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem or b"Proc-Type: 4,ENCRYPTED" in pem


def load_private_key(pem, passphrase, option, path, passphrase_option=None):
    """Parse a PEM private key. Errors name the option and the file, never the key or passphrase."""
    encrypted = is_encrypted_pem(pem)
    if encrypted and not passphrase:
        if passphrase_option:
            raise PKIError(passphrase_option, "{0} is encrypted; give its passphrase".format(path))
        raise PKIError(option, "{0} is encrypted, and Temporal cannot read encrypted keys; set force to replace it".format(path))
    try:
        return serialization.load_pem_private_key(pem, password=passphrase.encode("utf-8") if encrypted else None)
    except ValueError:
        if encrypted:
            raise PKIError(passphrase_option or option, "wrong passphrase for {0}".format(path))
        raise PKIError(option, "{0} is not a readable PEM private key".format(path))
    except UnsupportedAlgorithm:
        raise PKIError(option, "{0} holds a private key of an unsupported kind".format(path))


def serialize_private_key(key, key_format="pkcs8", passphrase=None):
    """PEM bytes of a key. Encrypted keys and Ed25519 keys are always PKCS#8: the traditional
    encrypted form uses a weak MD5-based KDF, and Ed25519 has no traditional form."""
    if passphrase:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
        )
    fmt = serialization.PrivateFormat.PKCS8
    if pem_format_for(key, key_format) == "traditional":
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def pem_format_for(key, key_format):
    if key_format == "traditional" and not isinstance(key, ed25519.Ed25519PrivateKey):
        return "traditional"
    return "pkcs8"


def key_file_needs_rewrite(pem, key, key_format, passphrase):
    """Why a key file that already holds the right key must be rewritten (its encoding), or None."""
    encrypted = is_encrypted_pem(pem)
    if passphrase and not encrypted:
        return "the private key is not encrypted but a passphrase is set"
    if passphrase:
        return None
    current, wanted = pem_format(pem), pem_format_for(key, key_format)
    if current != wanted:
        return "the private key is in {0} form, {1} asked".format(current, wanted)
    return None


class KeyFile:
    """A private key file as a run finds it and leaves it. Shared by issuance and CSRs: read it (an unreadable one
    is replaced only with force), replace the key when asked, and stage the file when the key is new or its
    encoding (format, encryption) is not the one asked for."""

    def __init__(self, option, path, force, passphrase=None, passphrase_option=None):
        self.option = option
        self.path = path
        self.passphrase = passphrase
        self.pem = read_optional(path, option)
        self.key = None
        self.unreadable = False
        self.new = False
        if self.pem is not None:
            try:
                self.key = load_private_key(self.pem, passphrase, option, path, passphrase_option)
            except PKIError:
                if not force:
                    raise
                self.unreadable = True

    def replace(self, key_type):
        self.key = generate_private_key(key_type)
        self.new = True

    def stage(self, plan, key_format):
        """Stage the key file when it must be written; returns why an unchanged key is rewritten, or None."""
        rewrite = None if self.new else key_file_needs_rewrite(self.pem, self.key, key_format, self.passphrase)
        if self.new or rewrite:
            plan.write(self.option, self.path, serialize_private_key(self.key, key_format, self.passphrase), True)
        return rewrite
