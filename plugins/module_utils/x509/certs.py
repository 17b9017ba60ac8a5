# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates: PEM parsing, signing, the facts reported about them, issuer checks.
Private to this collection: not a public API."""

from __future__ import annotations

import datetime

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import PEM_BLOCK, read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import describe_key, public_key_sha256, signature_hash
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import sans_of

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

# Clocks on nodes drift; a certificate that starts a little in the past works everywhere at once.
BACKDATE = datetime.timedelta(minutes=5)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def load_pem_certificates(data, option, path):
    """Every CERTIFICATE block of a PEM file, in order. Any other block or junk is an error."""
    blocks = list(PEM_BLOCK.finditer(data))
    if not blocks:
        raise PKIError(option, "{0} holds no PEM certificate".format(path))
    certs = []
    for number, match in enumerate(blocks, start=1):
        label = match.group(1).decode("ascii")
        if label != "CERTIFICATE":
            raise PKIError(option, "{0}: PEM block {1} is a {2}, not a CERTIFICATE".format(path, number, label))
        try:
            certs.append(x509.load_pem_x509_certificate(match.group(0)))
        except ValueError:
            raise PKIError(option, "{0}: PEM block {1} is not a readable certificate".format(path, number))
    return certs


def pem_of(certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def fingerprint(cert, algorithm):
    return cert.fingerprint(algorithm).hex()


def _extension(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def basic_constraints(cert):
    return _extension(cert, x509.BasicConstraints)


def is_ca(cert):
    bc = basic_constraints(cert)
    return bool(bc and bc.ca)


def key_usage_names(cert):
    ku = _extension(cert, x509.KeyUsage)
    if ku is None:
        return []
    fields = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
              "key_agreement", "key_cert_sign", "crl_sign")
    return sorted(field for field in fields if getattr(ku, field))


def extended_key_usage_names(cert):
    eku = _extension(cert, x509.ExtendedKeyUsage)
    if eku is None:
        return []
    return sorted(eku_name(u) for u in eku)


def eku_name(oid):
    return {ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth", ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth"}.get(oid, oid.dotted_string)


def subject_key_identifier(cert):
    ski = _extension(cert, x509.SubjectKeyIdentifier)
    return ski.digest.hex() if ski else None


def authority_key_identifier(cert):
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    return aki.key_identifier.hex() if aki and aki.key_identifier else None


def certificate_facts(cert):
    """What results and diffs report about a certificate: parsed facts, never PEM."""
    dns, ips = sans_of(cert)
    bc = basic_constraints(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial_number": format(cert.serial_number, "x"),
        "not_before": timestamp(cert.not_valid_before_utc),
        "not_after": timestamp(cert.not_valid_after_utc),
        "dns_names": dns,
        "ip_addresses": [str(a) for a in ips],
        "is_ca": bool(bc and bc.ca),
        "path_length": bc.path_length if bc and bc.ca else None,
        "key_usage": key_usage_names(cert),
        "extended_key_usage": extended_key_usage_names(cert),
        "key_type": describe_key(cert.public_key()),
        "public_key_sha256": public_key_sha256(cert.public_key()),
        "subject_key_identifier": subject_key_identifier(cert),
        "authority_key_identifier": authority_key_identifier(cert),
        "fingerprint_sha256": fingerprint(cert, hashes.SHA256()),
        "fingerprint_sha1": fingerprint(cert, hashes.SHA1()),
    }


def is_self_signed(cert):
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_issued_by(cert, issuer):
    """True when issuer's name and key signed cert, and cert's AKI (if any) names issuer's SKI."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    aki, ski = authority_key_identifier(cert), subject_key_identifier(issuer)
    return not (aki and ski and aki != ski)


def in_renewal_window(cert, renew_before, now):
    """Inside renew_before of not_after (or already expired)."""
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    return now >= cert.not_valid_after_utc - renew_before.window(lifetime)


def validity_window(now, validity, issuer=None):
    """(not_before, not_after) for a new certificate; not_before never precedes the issuer's."""
    not_before = now - BACKDATE
    if issuer is not None and not_before < issuer.not_valid_before_utc:
        not_before = issuer.not_valid_before_utc
    return not_before, now + validity


def check_not_outliving(not_after, issuer, option, what):
    if not_after > issuer.not_valid_after_utc:
        raise PKIError(
            option,
            "the {0} would end on {1} but its issuer {2} ends on {3}; shorten {4} or renew the issuer first".format(
                what,
                timestamp(not_after),
                issuer.subject.rfc4514_string(),
                timestamp(issuer.not_valid_after_utc),
                option,
            ),
        )


def sign_certificate(subject, public_key, issuer_key, issuer_cert, not_before, not_after, extensions):
    """Build and sign a v3 certificate with a random 159-bit serial.

    issuer_cert None means self-signed: the issuer name is the subject and there is no AKI.
    extensions: (extension, critical) pairs; SKI and AKI are added here."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer_cert is None else issuer_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer_cert is not None:
        issuer_ski = _extension(issuer_cert, x509.SubjectKeyIdentifier)
        if issuer_ski is not None:
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
        else:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key())
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(issuer_key, signature_hash(issuer_key))


def ca_bundle_pem(members, option):
    """One CA bundle of the certificates of members ((where, PEM bytes) pairs), ordered by notBefore, the newest first:
    Temporal's hot reload notices only a change of a CA file's first certificate. Certificates that start at the same
    time keep the order they were given in (sorted() is stable, also in reverse)."""
    certs = []
    for where, pem in members:
        certs.extend(load_pem_certificates(pem, option, where))
    return pem_of(sorted(certs, key=lambda cert: cert.not_valid_before_utc, reverse=True))


class CertInfoBackend(Backend):
    """temporal_cert_info's backend: the facts of each file's certificates, and whether the given CAs issued it."""

    def __init__(self, params, check_mode=False):
        self.params = params

    def plan(self):
        p = self.params
        now = utcnow()
        issuers = None
        if p["issuer_path"]:
            issuers = load_pem_certificates(read_required(p["issuer_path"], "issuer_path"), "issuer_path", p["issuer_path"])
        elif p["issuer_content"]:
            issuers = load_pem_certificates(p["issuer_content"].encode("utf-8"), "issuer_content", "issuer_content")
        files = []
        for path in p["path"]:
            data = read_optional(path, "path")
            entry = dict(path=path, exists=data is not None, certificates=[], issued_by_issuer=None)
            if data is not None:
                certs = load_pem_certificates(data, "path", path)
                for cert in certs:
                    facts = certificate_facts(cert)
                    facts["days_left"] = (cert.not_valid_after_utc - now).days
                    entry["certificates"].append(facts)
                if issuers is not None:
                    entry["issued_by_issuer"] = any(is_issued_by(certs[0], issuer) for issuer in issuers)
            files.append(entry)
        plan = Plan()
        plan.result = dict(files=files)
        return plan
