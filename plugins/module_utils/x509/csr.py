# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_csr's backend: keep a private key where it is and describe it by a CSR.
Private to this collection: not a public API."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import eku_name, extended_key_usage_names, key_usage_names
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import KeyFile, key_type_of, public_key_sha256, same_public_key, signature_hash
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import build_subject, sans_of

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version


def _csr_file_matches(path, key):
    existing = read_optional(path, "csr_path")
    if existing is None:
        return False
    try:
        return same_public_key(x509.load_pem_x509_csr(existing).public_key(), key)
    except ValueError:
        return False


class CSRBackend(Backend):
    def __init__(self, params, check_mode=False):
        self.params = params
        self.subject = build_subject(params)
        self.outputs = [("private_key_path", params["private_key_path"]), ("csr_path", params.get("csr_path"))]

    def plan(self):
        p = self.params
        plan = Plan()
        key_file = KeyFile("private_key_path", p["private_key_path"], p["force"])
        reason, detail = self._decide(key_file)
        if reason is not None:
            key_file.replace(p["key_type"])
        detail = key_file.stage(plan, p["private_key_format"]) or detail
        key = key_file.key
        csr_pem = x509.CertificateSigningRequestBuilder().subject_name(self.subject).sign(key, signature_hash(key)).public_bytes(serialization.Encoding.PEM)
        if p.get("csr_path") and (reason is not None or not _csr_file_matches(p["csr_path"], key)):
            plan.write("csr_path", p["csr_path"], csr_pem)
        plan.attributes = [(p["private_key_path"], p["private_key_mode"]), (p.get("csr_path"), None)]
        plan.result = dict(csr=csr_pem.decode("ascii"), reason=reason, reason_detail=detail, private_key_path=p["private_key_path"],
                           key_type=key_type_of(key), public_key_sha256=public_key_sha256(key))
        return plan

    def _decide(self, key_file):
        """(reason, detail) for a new key, or (None, None) when the key stands."""
        p = self.params
        if key_file.unreadable:
            return "forced", "unreadable private key replaced (force)"
        if key_file.key is None:
            return "created", "no private key at {0}".format(p["private_key_path"])
        if p["force"]:
            return "forced", "force is set"
        if key_type_of(key_file.key) != p["key_type"]:
            return "drift", "key type is {0}, {1} asked".format(key_type_of(key_file.key) or "unsupported", p["key_type"])
        return None, None


def request_differences(csr, subject, dns, ips, extended_key_usage, key_usage):
    """How what the CSR asks for (its subject and the extensions of its extensionRequest) differs from what the
    certificate will carry (SANs: its DNS names and IPs); an extension the CSR does not request is no difference.
    For requesters that keep a record of what they asked for (Azure Key Vault keeps the policy the CSR was made
    from). The certificate readers of certs.py and names.py read a CSR's requested extensions as well."""
    differences = []
    if _name_attributes(csr.subject) != _name_attributes(subject):
        differences.append("the CSR asks for the subject {0!r}, the certificate gets {1!r}".format(csr.subject.rfc4514_string(), subject.rfc4514_string()))
    if _requests_sans(csr):
        dns_asked, ips_asked = sans_of(csr)
        asked = sorted(dns_asked + [str(a) for a in ips_asked])
        wanted = sorted([name.lower() for name in dns] + [str(a) for a in ips])
        if asked != wanted:
            differences.append("the CSR asks for the SANs {0}, the certificate gets {1}".format(asked, wanted))
    asked_eku, wanted_eku = extended_key_usage_names(csr), sorted(eku_name(u) for u in extended_key_usage)
    if asked_eku and asked_eku != wanted_eku:
        differences.append("the CSR asks for the extendedKeyUsage {0}, the profile gives {1}".format(asked_eku, wanted_eku))
    asked_ku, wanted_ku = key_usage_names(csr), sorted(name for name, value in key_usage.items() if value)
    if asked_ku and asked_ku != wanted_ku:
        differences.append("the CSR asks for the keyUsage {0}, the profile gives {1}".format(asked_ku, wanted_ku))
    return differences


def _name_attributes(name):
    return sorted((attribute.oid.dotted_string, str(attribute.value).lower()) for attribute in name)


def _requests_sans(csr):
    try:
        csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    return True
