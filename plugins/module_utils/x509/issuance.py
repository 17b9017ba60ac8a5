# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow temporal_ca and temporal_leaf share: read what is on disk, decide whether to (re)issue and
why, build the new material in memory, and stage the files to write. Nothing here touches the disk
except to read. Private to this collection: not a public API."""

from __future__ import annotations

import hashlib
import os

try:
    from cryptography.hazmat.primitives.serialization import Encoding
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    certificate_facts,
    in_renewal_window,
    is_ca,
    is_issued_by,
    is_self_signed,
    key_usage_names,
    load_pem_certificates,
    pem_of,
    utcnow,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import RenewBefore, parse_duration, timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import KeyFile, key_type_of, load_private_key, same_public_key
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import same_dn

# Facts shown in --diff: enough to see what changes, never key material.
DIFF_FACTS = (
    "subject", "issuer", "serial_number", "not_before", "not_after", "dns_names", "ip_addresses",
    "extended_key_usage", "key_type", "fingerprint_sha256",
)
# What temporal_leaf_batch returns of each certificate.
BATCH_RESULT_FACTS = ("subject", "issuer", "serial_number", "not_before", "not_after", "dns_names", "ip_addresses",
                      "key_type", "public_key_sha256", "fingerprint_sha256", "fingerprint_sha1")


# Past this size a certificate is a burden in every handshake, and a chain of a few such certificates nears what TLS
# stacks take by default (OpenSSL: a certificate list of 100 KiB).
LARGE_CERTIFICATE_BYTES = 16 * 1024


class IssuerNotCreatedYet(Exception):
    """Check mode: the issuer comes from an earlier task that check mode did not run."""


def load_issuer_chain(path_option, key_option, passphrase_option, params, now, check_mode=False):
    """The issuing CA (first certificate of the file, the rest its chain) and its private key, checked."""
    path = params[path_option]
    if check_mode and read_optional(path, path_option) is None:
        raise IssuerNotCreatedYet(path)
    chain = _parsed(load_pem_certificates, read_required(path, path_option), path_option, path)
    ca = chain[0]
    check_issuer_certificate(ca, path_option, path, now)
    key_path = params[key_option]
    key = _parsed(load_private_key, read_required(key_path, key_option), params.get(passphrase_option), key_option, key_path, passphrase_option)
    if not same_public_key(key, ca.public_key()):
        raise PKIError(key_option, "the key in {0} does not match the CA certificate in {1}".format(key_path, path))
    return chain, key


# temporal_leaf_batch issues many leaves from one CA in one process: each distinct CA file and key file content is
# parsed once per process (an encrypted CA key costs a key derivation to open).
_PARSED = {}


def _parsed(parse, data, *args):
    """parse(data, *args), from the cache when the same data and arguments (paths, passphrase) were parsed before."""
    cache_key = (parse, hashlib.sha256(data).digest(), args)
    if cache_key not in _PARSED:
        _PARSED[cache_key] = parse(data, *args)
    return _PARSED[cache_key]


def check_issuer_certificate(ca, option, where, now):
    """The issuing CA certificate (from a file, or from a remote CA such as Vault) can sign leaves today."""
    if is_ca(ca) and _can_sign_certificates(ca) and now <= ca.not_valid_after_utc:
        return  # without formatting the subject: a batch checks its CA once per certificate
    subject = ca.subject.rfc4514_string()
    if not is_ca(ca):
        raise PKIError(option, "{0} ({1}) is not a CA certificate (basicConstraints CA:true is missing)".format(where, subject))
    if not _can_sign_certificates(ca):
        raise PKIError(option, "{0} ({1}) has a keyUsage without keyCertSign".format(where, subject))
    raise PKIError(option, "the CA {0} in {1} expired on {2}".format(subject, where, timestamp(ca.not_valid_after_utc)))


def _can_sign_certificates(cert):
    usages = key_usage_names(cert)
    return not usages or "key_cert_sign" in usages


def check_distinct_dn(subject, chain, option):
    """Temporal Cloud rejects chains in which two levels share a DN (compared case-insensitively)."""
    for cert in chain:
        if same_dn(subject, cert.subject):
            raise PKIError(
                option,
                "the subject {0} equals that of its issuer chain member {1}; every level of a chain needs its own DN".format(
                    subject.rfc4514_string(), cert.subject.rfc4514_string()
                ),
            )


def chain_without_root(chain):
    return [c for c in chain if not is_self_signed(c)]


def stage_chain(plan, option, path, chain, reissued):
    """Write a chain file when the certificate changed or the file does not hold exactly chain."""
    existing = read_optional(path, option)
    if not reissued and existing is not None:
        try:
            if load_pem_certificates(existing, option, path) == chain:
                return
        except PKIError:
            pass  # unreadable: replaced below
    plan.write(option, path, pem_of(chain))


class IssueBackend(Backend):
    """Subclasses set self.subject and implement load_issuer, extensions, drift and extra_files."""

    key_option = "private_key_path"
    default_validity = None
    # The files a backend manages: option name -> holds a private key.
    path_options = {"path": False, "private_key_path": True}
    # The files it only reads.
    input_options = ()
    # Whether plan() puts the certificate facts into the result and diff: temporal_leaf_batch with compact_result and
    # without --diff returns none, and then spares the two certificate parses per entry they cost.
    facts = True

    def __init__(self, params, check_mode=False, now=None):
        self.params = params
        self.check_mode = check_mode
        self.now = now or utcnow()
        self.validity = parse_duration(params["validity"] or self.default_validity, "validity")
        self.renew_before = RenewBefore(params["renew_before"], "renew_before")
        self.renew_before.check_against_validity(self.validity, "validity")
        self.issuer_chain = []
        self.issuer_key = None
        self.csr = None
        # Said to the user once the run is planned.
        self.warnings = []
        self.inputs = [(option, params.get(option)) for option in self.input_options]
        self.outputs = [(option, params.get(option)) for option in self.path_options]

    # --- subclass hooks -------------------------------------------------------------------------
    def load_issuer(self):
        """Set self.issuer_chain / self.issuer_key (empty chain: self-signed)."""

    def extensions(self, public_key):
        raise NotImplementedError

    def drift(self, cert):
        raise NotImplementedError

    def extra_files(self, plan, cert, key, reissued):
        """Stage dependent files (chain, PKCS#12)."""

    def ends_with_issuer(self, cert):
        """Whether cert, inside its renewal window, already ends where any reissue would (so none is due)."""
        return False

    passphrase_option = None

    def passphrase(self):
        return self.params.get(self.passphrase_option) if self.passphrase_option else None

    def key_format(self):
        return "pkcs8"

    # --- shared flow ----------------------------------------------------------------------------
    @property
    def issuer(self):
        return self.issuer_chain[0] if self.issuer_chain else None

    def plan(self):
        plan = Plan()
        if self.params["state"] == "absent":
            self._report(plan, None, [], None, self._remove(plan))
            return plan
        try:
            self.load_issuer()
        except IssuerNotCreatedYet as exc:
            plan.pending = True
            details = ["{0} does not exist yet (an earlier task would create it); reported as to be created".format(exc)]
            plan.warnings.extend(details)
            self._report(plan, "created", details, None, None)
            return plan
        self._issue(plan)
        return plan

    def _issue(self, plan):
        p = self.params
        details = []
        key_file = None
        if self.csr is None:
            key_file = KeyFile(self.key_option, p[self.key_option], p["force"], self.passphrase(), self.passphrase_option)
            if key_file.unreadable:
                details.append("unreadable private key replaced (force)")
        cert, cert_file_exists = self._current_certificate()
        before = certificate_facts(cert) if cert is not None and self.facts else None
        reason, detail = self.decide(cert, key_file.key if key_file else None, cert_file_exists)
        if detail:
            details.insert(0, detail)
        if key_file is not None and self._needs_new_key(key_file.key, reason, cert):
            key_file.replace(p["key_type"])
        key = key_file.key if key_file else None
        if reason is not None:
            cert = self.issue(self.csr.public_key() if key is None else key.public_key(), key)
            size = len(cert.public_bytes(Encoding.DER))
            if size > LARGE_CERTIFICATE_BYTES:
                plan.warnings.append("{0}: the certificate is {1} KiB; every TLS handshake carries it, and TLS stacks limit a certificate "
                                     "chain (OpenSSL takes 100 KiB by default): spread its names over several certificates".format(p["path"], size // 1024))
        if key_file is not None:
            # The key lands before the certificate: Temporal reloads on a cert change and then finds the new key.
            rewrite = key_file.stage(plan, self.key_format())
            if rewrite:
                details.append(rewrite)
        if reason is not None:
            plan.write("path", p["path"], pem_of([cert]))
        self.extra_files(plan, cert, key, reason is not None)
        plan.warnings.extend(self.warnings)
        self._report(plan, reason, details, cert, before)

    def _needs_new_key(self, key, reason, cert):
        """No usable key, a key of another type, or a reissue of a certificate without reuse_key (key rotation)."""
        if key is None or key_type_of(key) != self.params["key_type"]:
            return True
        return reason is not None and cert is not None and not self.params["reuse_key"]

    def _current_certificate(self):
        """The certificate at path (None when missing, or unreadable with force), and whether the file exists."""
        path = self.params["path"]
        pem = read_optional(path, "path")
        if pem is None:
            return None, False
        try:
            return load_pem_certificates(pem, "path", path)[0], True
        except PKIError as exc:
            if not self.params["force"]:
                raise PKIError("path", "{0}; set force to replace it".format(exc.message))
            return None, True

    def _report(self, plan, reason, details, certificate, before):
        p = self.params
        facts = certificate_facts(certificate) if certificate is not None and self.facts else None
        plan.result = dict(reason=reason, reason_detail="; ".join(details) or None)
        plan.result.update((option, p.get(option)) for option in self.path_options)
        if p["state"] == "present":
            plan.attributes = [(p.get(option), p["private_key_mode"] if secret else None) for option, secret in self.path_options.items()]
            plan.result.update(facts or {})
        else:
            plan.result["removed"] = plan.removals
        plan.diff = dict(before=_diff_view(before), after=_diff_view(facts))

    def entry_result(self, plan, changed):
        """The result of one certificate of temporal_leaf_batch."""
        result = dict(changed=changed)
        result.update((name, plan.result.get(name)) for name in ("reason", "reason_detail") + tuple(self.path_options) + BATCH_RESULT_FACTS)
        if "removed" in plan.result:
            result["removed"] = plan.result["removed"]
        return result

    def decide(self, cert, key, cert_file_exists):
        """(reason, detail) for a reissue, or (None, None) when the certificate stands."""
        p = self.params
        if cert is None and cert_file_exists:
            return "forced", "the certificate there was unreadable; replaced (force)"
        if cert is None:
            return "created", "no certificate there yet"
        if p["force"]:
            return "forced", "force is set"
        if self.csr is not None:
            if not same_public_key(cert.public_key(), self.csr.public_key()):
                return "key_mismatch", "the certificate does not certify the CSR's public key"
        elif key is None:
            return "key_mismatch", "no usable private key at {0}".format(p[self.key_option])
        elif not same_public_key(cert.public_key(), key):
            return "key_mismatch", "the certificate does not match the private key in {0}".format(p[self.key_option])
        issuer = self.issuer
        if issuer is None:
            if not is_self_signed(cert):
                return "ca_changed", "the certificate is not self-signed"
        elif not is_issued_by(cert, issuer):
            return "ca_changed", "the certificate was not issued by {0}".format(issuer.subject.rfc4514_string())
        if self.csr is None and key_type_of(key) != p["key_type"]:
            return "drift", "key type is {0}, {1} asked".format(key_type_of(key) or "unsupported", p["key_type"])
        differences = self.drift(cert)
        if differences:
            return "drift", "; ".join(differences)
        if in_renewal_window(cert, self.renew_before, self.now):
            if self.ends_with_issuer(cert):
                self.warnings.append("{0}: inside renew_before, but it ends with its issuer {1} on {2}, which a reissue cannot pass: "
                                     "renew the issuer".format(p["path"], issuer.subject.rfc4514_string(), timestamp(cert.not_valid_after_utc)))
                return None, None
            return "expiring", "not_after {0} is inside renew_before {1}".format(
                timestamp(cert.not_valid_after_utc), self.renew_before.text
            )
        return None, None

    def issue(self, public_key, own_key):
        """A new certificate for public_key; own_key is its private key (None when signing a CSR)."""
        raise NotImplementedError

    def _remove(self, plan):
        """Stage the removal of every file there is; returns the facts of the certificate removed, if readable."""
        plan.removals = [path for path in self.paths if path and os.path.lexists(path)]
        path = self.params.get("path")
        if not path or not os.path.lexists(path) or not self.facts:
            return None
        try:
            return certificate_facts(load_pem_certificates(read_required(path, "path"), "path", path)[0])
        except PKIError:
            return None


def _diff_view(facts):
    return {name: facts[name] for name in DIFF_FACTS} if facts is not None else {}
