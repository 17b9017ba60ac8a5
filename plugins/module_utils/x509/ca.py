# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_ca's backend: a self-signed root or an intermediate signed by a parent CA.
Private to this collection: not a public API."""

from __future__ import annotations

import datetime

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    basic_constraints,
    check_not_outliving,
    key_usage_names,
    sign_certificate,
    validity_window,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.issuance import (
    IssueBackend,
    chain_without_root,
    check_distinct_dn,
    load_issuer_chain,
    stage_chain,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import build_subject, parse_name_constraint
from ansible_collections.mtls.temporal.plugins.module_utils.x509.profiles import CA_KEY_USAGE

try:
    from cryptography import x509
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

_KEY_USAGE_FIELDS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                     "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def key_usage_extension(usages):
    return x509.KeyUsage(**{field: bool(usages.get(field)) for field in _KEY_USAGE_FIELDS})


# An intermediate without an explicit validity ends this long before its parent, at the latest.
PARENT_MARGIN = datetime.timedelta(days=1)


class CABackend(IssueBackend):
    path_options = {"path": False, "private_key_path": True, "chain_path": False}
    input_options = ("parent_ca_path", "parent_ca_private_key_path")
    default_validity = "1825d"

    def __init__(self, params, check_mode=False, now=None):
        super().__init__(params, check_mode, now)
        self.subject = build_subject(params)
        if params["state"] == "present" and not len(self.subject):
            raise PKIError("common_name", "a CA needs a subject; set common_name (and organization as you like)")
        path_length = params.get("path_length")
        if path_length is not None and path_length < 0:
            raise PKIError("path_length", "{0} is negative; use 0 or more, or leave it unset".format(path_length))
        self.permitted = [parse_name_constraint(c, "name_constraints_permitted") for c in params.get("name_constraints_permitted") or []]
        self.excluded = [parse_name_constraint(c, "name_constraints_excluded") for c in params.get("name_constraints_excluded") or []]

    passphrase_option = "private_key_passphrase"

    def load_issuer(self):
        p = self.params
        if not p.get("parent_ca_path"):
            return
        self.issuer_chain, self.issuer_key = load_issuer_chain(
            "parent_ca_path", "parent_ca_private_key_path", "parent_ca_private_key_passphrase", p, self.now, self.check_mode
        )
        parent_bc = basic_constraints(self.issuer)
        if parent_bc.path_length is not None:
            if parent_bc.path_length == 0:
                raise PKIError(
                    "parent_ca_path",
                    "{0} has path length 0 and cannot issue an intermediate CA".format(self.issuer.subject.rfc4514_string()),
                )
            wanted = p.get("path_length")
            if wanted is not None and wanted >= parent_bc.path_length:
                raise PKIError(
                    "path_length",
                    "{0} is not below the parent's path length {1}".format(wanted, parent_bc.path_length),
                )
        check_distinct_dn(self.subject, self.issuer_chain, "common_name")

    def name_constraints(self):
        if not self.permitted and not self.excluded:
            return None
        return x509.NameConstraints(permitted_subtrees=self.permitted or None, excluded_subtrees=self.excluded or None)

    def extensions(self, public_key):
        extensions = [
            (x509.BasicConstraints(ca=True, path_length=self.params.get("path_length")), True),
            (key_usage_extension(CA_KEY_USAGE), True),
        ]
        constraints = self.name_constraints()
        if constraints is not None:
            extensions.append((constraints, True))
        return extensions

    def issue(self, public_key, own_key):
        not_before, not_after = validity_window(self.now, self.validity, self.issuer)
        if self.issuer is not None:
            if not self.params["validity"]:
                # As tcld does for leaves: an unset validity fits inside the issuer instead of failing.
                not_after = min(not_after, self.issuer.not_valid_after_utc - PARENT_MARGIN)
                if not_after <= self.now:
                    raise PKIError("parent_ca_path", "{0} ends within a day; renew it first".format(self.issuer.subject.rfc4514_string()))
            check_not_outliving(not_after, self.issuer, "validity", "intermediate CA")
        signer = self.issuer_key if self.issuer is not None else own_key
        return sign_certificate(self.subject, public_key, signer, self.issuer, not_before, not_after, self.extensions(public_key))

    def drift(self, cert):
        differences = []
        if cert.subject != self.subject:
            differences.append("subject is {0}, {1} asked".format(cert.subject.rfc4514_string(), self.subject.rfc4514_string()))
        bc = basic_constraints(cert)
        if bc is None or not bc.ca:
            differences.append("not a CA certificate")
        elif bc.path_length != self.params.get("path_length"):
            differences.append("path_length is {0}, {1} asked".format(bc.path_length, self.params.get("path_length")))
        wanted_usage = sorted(k for k, v in CA_KEY_USAGE.items() if v)
        if key_usage_names(cert) != wanted_usage:
            differences.append("keyUsage is {0}, {1} needed".format(key_usage_names(cert), wanted_usage))
        try:
            current = cert.extensions.get_extension_for_class(x509.NameConstraints).value
        except x509.ExtensionNotFound:
            current = None
        if current != self.name_constraints():
            differences.append("name constraints differ")
        return differences

    def extra_files(self, plan, cert, key, reissued):
        if self.params.get("chain_path"):
            stage_chain(plan, "chain_path", self.params["chain_path"], [cert] + chain_without_root(self.issuer_chain), reissued)
