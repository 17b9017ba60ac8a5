# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_leaf's backend: one end-entity certificate for one Temporal role, signed by a local CA.
Private to this collection: not a public API."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.ca import key_usage_extension
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    basic_constraints,
    check_not_outliving,
    eku_name,
    extended_key_usage_names,
    key_usage_names,
    sign_certificate,
    validity_window,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.csr import request_differences
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.issuance import (
    IssueBackend,
    chain_without_root,
    check_distinct_dn,
    load_issuer_chain,
    stage_chain,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import KEY_TYPES, check_rsa_size, key_type_of, same_public_key
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import (
    build_subject,
    check_name_constraints,
    common_name_of,
    parse_sans,
    san_extension,
    sans_of,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.profiles import (
    LEAF_PROFILES,
    leaf_extended_key_usage,
    leaf_key_usage,
)

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, pkcs12
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version


def _default_common_name(dns, ips):
    """Server certificates get a CN for logs and claim mappers: the first name that fits in 64 characters."""
    for candidate in list(dns) + [str(a) for a in ips]:
        if len(candidate) <= 64:
            return candidate
    return None


def load_csr(params):
    if params.get("csr_path"):
        option, data, where = "csr_path", read_required(params["csr_path"], "csr_path"), params["csr_path"]
    else:
        option, data, where = "csr_content", params["csr_content"].encode("utf-8"), "csr_content"
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError:
        raise PKIError(option, "{0} is not a readable PEM certificate signing request".format(where))
    if not csr.is_signature_valid:
        raise PKIError(option, "the signature of the CSR in {0} is invalid".format(where))
    try:
        bc = csr.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is not None and bc.ca:
        raise PKIError(option, "the CSR in {0} asks for CA:true; temporal_leaf issues end-entity certificates only".format(where))
    check_rsa_size(csr.public_key(), option)
    if key_type_of(csr.public_key()) is None:
        raise PKIError(option, "the CSR in {0} has a key type outside {1}".format(where, ", ".join(KEY_TYPES)))
    return csr


class LeafBackend(IssueBackend):
    path_options = {"path": False, "private_key_path": True, "chain_path": False, "pkcs12_path": True}
    input_options = ("ca_path", "ca_private_key_path", "csr_path", "vault_ca_cert")

    def __init__(self, params, check_mode=False, now=None):
        super().__init__(params, check_mode, now)
        self.profile = LEAF_PROFILES[params["profile"]]
        if params["state"] == "absent":
            return
        self.dns, self.ips = parse_sans(params.get("dns_names"), params.get("ip_addresses"))
        if self.profile.needs_san and not (self.dns or self.ips):
            raise PKIError(
                "dns_names",
                "the {0} profile needs at least one name clients dial: set dns_names or ip_addresses".format(self.profile.name),
            )
        subject_params = dict(params)
        if not subject_params.get("common_name"):
            if self.profile.needs_common_name:
                raise PKIError(
                    "common_name",
                    "the {0} profile needs a common_name: it names the identity (typically the namespace)".format(self.profile.name),
                )
            subject_params["common_name"] = _default_common_name(self.dns, self.ips)
        self.subject = build_subject(subject_params)
        if not len(self.subject):
            raise PKIError("common_name", "no DNS name or IP fits a 64-character common name; set common_name")
        if params.get("pkcs12_path") and (params.get("csr_path") or params.get("csr_content")):
            raise PKIError("pkcs12_path", "a PKCS#12 file needs the private key, which a CSR flow does not have")
        if params.get("csr_path") or params.get("csr_content"):
            self.csr = load_csr(params)
            if params.get("csr_must_match"):
                self._check_csr_request()

    def _check_csr_request(self):
        family = KEY_TYPES[key_type_of(self.csr.public_key())][0]
        differences = request_differences(self.csr, self.subject, self.dns, self.ips, leaf_extended_key_usage(self.profile),
                                          leaf_key_usage(self.profile, family))
        if differences:
            option = "csr_path" if self.params.get("csr_path") else "csr_content"
            raise PKIError(option, "{0} (csr_must_match): {1}".format(self.params.get("csr_path") or "the CSR", "; ".join(differences)))

    def key_format(self):
        return self.params["private_key_format"]

    def load_issuer(self):
        p = self.params
        for option in ("ca_path", "ca_private_key_path"):
            if not p.get(option):
                raise PKIError(option, "required when state is present and issuer is local (the default)")
        self.issuer_chain, self.issuer_key = load_issuer_chain(
            "ca_path", "ca_private_key_path", "ca_private_key_passphrase", p, self.now, self.check_mode
        )
        check_distinct_dn(self.subject, self.issuer_chain, "common_name")
        for ca in self.issuer_chain:
            check_name_constraints(ca, self.dns, self.ips)

    def extensions(self, public_key):
        family = KEY_TYPES[key_type_of(public_key)][0]
        extensions = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (key_usage_extension(leaf_key_usage(self.profile, family)), True),
            (x509.ExtendedKeyUsage(leaf_extended_key_usage(self.profile)), False),
        ]
        if self.dns or self.ips:
            extensions.append((san_extension(self.dns, self.ips), False))
        return extensions

    def leaf_window(self):
        """(not_before, not_after) of a new leaf: validity from now, which must end within the issuer's life, or with
        not_after_behavior truncate ends with the issuer instead (as Vault's leaf_not_after_behavior does)."""
        not_before, not_after = validity_window(self.now, self.validity, self.issuer)
        issuer_end = self.issuer.not_valid_after_utc
        if not_after > issuer_end and self.params["not_after_behavior"] == "truncate":
            self.warnings.append("{0}: validity {1} would outlive the issuer {2}; the certificate ends with it, on {3} "
                                 "(not_after_behavior truncate)".format(self.params["path"], self.params["validity"],
                                                                        self.issuer.subject.rfc4514_string(), timestamp(issuer_end)))
            return not_before, issuer_end
        check_not_outliving(not_after, self.issuer, "validity", "{0} certificate".format(self.profile.name))
        return not_before, not_after

    def ends_with_issuer(self, cert):
        """A truncated certificate at the issuer's end: reissuing cannot give it a longer life."""
        return self.params["not_after_behavior"] == "truncate" and cert.not_valid_after_utc >= self.issuer.not_valid_after_utc

    def issue(self, public_key, own_key):
        if self.issuer is not None and same_public_key(self.issuer.public_key(), public_key):
            option = "private_key_path" if own_key is not None else ("csr_path" if self.params.get("csr_path") else "csr_content")
            raise PKIError(option, "holds the key of the issuing CA {0}; a leaf needs its own key".format(self.issuer.subject.rfc4514_string()))
        not_before, not_after = self.leaf_window()
        return sign_certificate(self.subject, public_key, self.issuer_key, self.issuer, not_before, not_after, self.extensions(public_key))

    def subject_drift(self, cert):
        if cert.subject != self.subject:
            return ["subject is {0}, {1} asked".format(cert.subject.rfc4514_string(), self.subject.rfc4514_string())]
        return []

    def name_drift(self, cert):
        """How the certificate's subject and SANs differ from those asked for."""
        differences = self.subject_drift(cert)
        dns, ips = sans_of(cert)
        if sorted(dns) != sorted(self.dns) or sorted(ips, key=str) != sorted(self.ips, key=str):
            differences.append(
                "SANs are {0}, {1} asked".format(sorted(dns) + sorted(str(a) for a in ips), sorted(self.dns) + sorted(str(a) for a in self.ips))
            )
        return differences

    def drift(self, cert):
        differences = self.name_drift(cert)
        wanted_eku = sorted(eku_name(u) for u in leaf_extended_key_usage(self.profile))
        if extended_key_usage_names(cert) != wanted_eku:
            differences.append("extendedKeyUsage is {0}, {1} needed".format(extended_key_usage_names(cert), wanted_eku))
        family = KEY_TYPES.get(key_type_of(cert.public_key()) or "", ("other",))[0]
        wanted_ku = sorted(k for k, v in leaf_key_usage(self.profile, family).items() if v)
        if key_usage_names(cert) != wanted_ku:
            differences.append("keyUsage is {0}, {1} needed".format(key_usage_names(cert), wanted_ku))
        bc = basic_constraints(cert)
        if bc is None or bc.ca:
            differences.append("basicConstraints CA:false is missing")
        return differences

    def extra_files(self, plan, cert, key, reissued):
        p = self.params
        chain = [cert] + chain_without_root(self.issuer_chain)
        if p.get("chain_path"):
            stage_chain(plan, "chain_path", p["chain_path"], chain, reissued)
        if p.get("pkcs12_path"):
            passphrase = p.get("pkcs12_passphrase") or ""
            existing = read_optional(p["pkcs12_path"], "pkcs12_path")
            if reissued or existing is None or not _pkcs12_holds(existing, passphrase, key, chain):
                plan.write("pkcs12_path", p["pkcs12_path"], _pkcs12(key, chain, passphrase, self.subject), True)


def _pkcs12(key, chain, passphrase, subject):
    encryption = BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase else NoEncryption()
    friendly = common_name_of(subject).encode("utf-8") or None
    return pkcs12.serialize_key_and_certificates(friendly, key, chain[0], chain[1:] or None, encryption)


def _pkcs12_holds(data, passphrase, key, chain):
    """The PKCS#12 file opens with exactly the wanted passphrase (or none) and holds key + chain."""
    try:
        loaded_key, loaded_cert, extra = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8") or None)
    except (ValueError, TypeError):
        return False
    if passphrase:
        try:
            pkcs12.load_key_and_certificates(data, None)
            return False  # opens without a passphrase although one is wanted
        except (ValueError, TypeError):
            pass
    return (
        loaded_key is not None
        and same_public_key(loaded_key, key)
        and loaded_cert == chain[0]
        and list(extra or []) == chain[1:]
    )
