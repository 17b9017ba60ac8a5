# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow temporal_ca and temporal_leaf share: read what is on disk, decide whether to (re)issue and
why, build the new material in memory, and stage the files to write. Nothing here touches the disk
except to read. Private to this collection: not a public API."""

from __future__ import annotations

import hashlib
import os

from ansible_collections.mtls.temporal.plugins.module_utils._certs import (
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
from ansible_collections.mtls.temporal.plugins.module_utils._durations import RenewBefore, parse_duration
from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._files import StagedFile, read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils._keys import (
    generate_private_key,
    key_file_needs_rewrite,
    key_type_of,
    load_private_key,
    same_public_key,
    serialize_private_key,
)
from ansible_collections.mtls.temporal.plugins.module_utils._names import same_dn

# Facts shown in --diff: enough to see what changes, never key material.
DIFF_FACTS = (
    "subject", "issuer", "serial_number", "not_before", "not_after", "dns_names", "ip_addresses",
    "extended_key_usage", "key_type", "fingerprint_sha256",
)


class IssuerNotCreatedYet(Exception):
    """Check mode: the issuer comes from an earlier task that check mode did not run."""


class Outcome:
    """What a run would do: files to write or remove, the reason, the facts before and after."""

    def __init__(self):
        self.files = []
        self.removals = []
        self.pending = False  # check mode: a change is certain but cannot be built yet
        self.reason = None
        self.details = []
        self.certificate = None
        self.before = None
        self.warnings = []

    @property
    def changed(self):
        return bool(self.files or self.removals or self.pending)

    def write(self, option, path, data, secret=False):
        self.files.append(StagedFile(option, path, data, secret))


def load_issuer_chain(path_option, key_option, passphrase_option, params, now, check_mode=False):
    """The issuing CA (first certificate of the file, the rest its chain) and its private key, checked."""
    path = params[path_option]
    if check_mode and read_optional(path, path_option) is None:
        raise IssuerNotCreatedYet(path)
    chain = load_pem_certificates(read_required(path, path_option), path_option, path)
    ca = chain[0]
    check_issuer_certificate(ca, path_option, path, now)
    key_path = params[key_option]
    key = _issuer_key(read_required(key_path, key_option), params.get(passphrase_option), key_option, key_path, passphrase_option)
    if not same_public_key(key, ca.public_key()):
        raise PKIError(key_option, "the key in {0} does not match the CA certificate in {1}".format(key_path, path))
    return chain, key


def check_issuer_certificate(ca, option, where, now):
    """The issuing CA certificate (from a file, or from a remote CA such as Vault) can sign leaves today."""
    subject = ca.subject.rfc4514_string()
    if not is_ca(ca):
        raise PKIError(option, "{0} ({1}) is not a CA certificate (basicConstraints CA:true is missing)".format(where, subject))
    if not _can_sign_certificates(ca):
        raise PKIError(option, "{0} ({1}) has a keyUsage without keyCertSign".format(where, subject))
    if now > ca.not_valid_after_utc:
        raise PKIError(
            option, "the CA {0} in {1} expired on {2}".format(subject, where, ca.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
        )


# temporal_leaf_batch issues many leaves from one CA in one process; an encrypted CA key costs a key
# derivation to open, so each distinct key file content is parsed once per process.
_ISSUER_KEYS = {}


def _issuer_key(pem, passphrase, key_option, key_path, passphrase_option):
    cache_key = (hashlib.sha256(pem).digest(), passphrase)
    if cache_key not in _ISSUER_KEYS:
        _ISSUER_KEYS[cache_key] = load_private_key(pem, passphrase, key_option, key_path, passphrase_option)
    return _ISSUER_KEYS[cache_key]


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


def stage_chain(outcome, option, path, chain, reissued):
    """Write a chain file when the certificate changed or the file does not hold exactly chain."""
    existing = read_optional(path, option)
    if not reissued and existing is not None:
        try:
            if load_pem_certificates(existing, option, path) == chain:
                return
        except PKIError:
            pass  # unreadable: replaced below
    outcome.write(option, path, pem_of(chain))


class IssueBackend:
    """Subclasses set self.subject and implement load_issuer, extensions, drift and extra_files."""

    key_option = "private_key_path"
    default_validity = None
    # The files a backend manages: option name -> holds a private key.
    path_options = {"path": False, "private_key_path": True}

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

    # --- subclass hooks -------------------------------------------------------------------------
    def load_issuer(self):
        """Set self.issuer_chain / self.issuer_key (empty chain: self-signed)."""

    def extensions(self, public_key):
        raise NotImplementedError

    def drift(self, cert):
        raise NotImplementedError

    def extra_files(self, outcome, cert, key, reissued):
        """Stage dependent files (chain, PKCS#12)."""

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
        if self.params["state"] == "absent":
            return self.plan_absent()
        outcome = Outcome()
        p = self.params
        try:
            self.load_issuer()
        except IssuerNotCreatedYet as exc:
            outcome.pending = True
            outcome.reason = "created"
            outcome.details.append("{0} does not exist yet (an earlier task would create it); reported as to be created".format(exc))
            outcome.warnings.extend(outcome.details)
            return outcome
        force = p["force"]

        key, key_pem = None, None
        if self.csr is None:
            key_pem = read_optional(p[self.key_option], self.key_option)
            if key_pem is not None:
                try:
                    key = load_private_key(key_pem, self.passphrase(), self.key_option, p[self.key_option], self.passphrase_option)
                except PKIError:
                    if not force:
                        raise
                    outcome.details.append("unreadable private key replaced (force)")

        cert = None
        cert_pem = read_optional(p["path"], "path")
        if cert_pem is not None:
            try:
                cert = load_pem_certificates(cert_pem, "path", p["path"])[0]
            except PKIError as exc:
                if not force:
                    raise PKIError("path", "{0}; set force to replace it".format(exc.message))
        outcome.before = certificate_facts(cert) if cert is not None else None

        reason, detail = self.decide(cert, key, cert_pem is not None)
        outcome.reason = reason
        if detail:
            outcome.details.insert(0, detail)

        new_key = False
        if self.csr is None:
            wanted_type = p["key_type"]
            if key is None:
                new_key = True
            elif key_type_of(key) != wanted_type:
                new_key = True
            elif reason is not None and cert is not None and not p["reuse_key"]:
                new_key = True
            if new_key:
                key = generate_private_key(wanted_type)
                key_pem = None
        public_key = self.csr.public_key() if self.csr is not None else key.public_key()

        if reason is not None:
            cert = self.issue(public_key, key)
        if self.csr is None:
            rewrite = None if new_key else key_file_needs_rewrite(key_pem, key, self.key_format(), self.passphrase())
            if new_key or rewrite:
                if rewrite:
                    outcome.details.append(rewrite)
                # The key lands before the certificate: Temporal reloads on a cert change and then finds the new key.
                outcome.write(self.key_option, p[self.key_option], serialize_private_key(key, self.key_format(), self.passphrase()), True)
        if reason is not None:
            outcome.write("path", p["path"], pem_of([cert]))
        outcome.certificate = cert
        self.extra_files(outcome, cert, key, reason is not None)
        return outcome

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
            return "expiring", "not_after {0} is inside renew_before {1}".format(
                cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), self.renew_before.text
            )
        return None, None

    def issue(self, public_key, own_key):
        """A new certificate for public_key; own_key is its private key (None when signing a CSR)."""
        raise NotImplementedError

    def plan_absent(self):
        outcome = Outcome()
        paths = [self.params.get(option) for option in self.path_options]
        outcome.removals = [path for path in paths if path and os.path.lexists(path)]
        if self.params.get("path") and os.path.lexists(self.params["path"]):
            try:
                outcome.before = certificate_facts(
                    load_pem_certificates(read_required(self.params["path"], "path"), "path", self.params["path"])[0]
                )
            except PKIError:
                outcome.before = None
        return outcome
