# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_leaf's HashiCorp Vault / OpenBao issuer. Private to this collection: not a public API.

The key is made (or kept) where the module runs; only a CSR goes to the PKI mount's sign/<role>
endpoint. The issuing CA is the mount's CA chain, read on every run (an unauthenticated read), so the
usual renewal decisions, ca_changed included, apply unchanged. Vault is asked to sign only when the
local certificate needs a reissue, and what it returns is checked against the profile before anything
is written: a Vault role can silently drop or add usages, and such a certificate would otherwise be
replaced on every run. No token or secret ID appears in a message: Vault's error texts do not echo
them, and every message is scrubbed of them anyway."""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    BACKDATE,
    is_issued_by,
    load_pem_certificates,
    sign_certificate,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.issuance import IssuerNotCreatedYet, check_distinct_dn, check_issuer_certificate
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import generate_private_key, same_public_key, signature_hash
from ansible_collections.mtls.temporal.plugins.module_utils.x509.leaf import LeafBackend
from ansible_collections.mtls.temporal.plugins.module_utils.x509.libraries import LazyImport, import_error
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import check_name_constraints, san_extension

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

hvac = LazyImport("hvac")
hvac_exceptions = LazyImport("hvac.exceptions")
requests_exceptions = LazyImport("requests.exceptions")

ISSUERS = ("local", "vault")
AUTH_METHODS = ("token", "approle")
TIMEOUT = 30  # seconds per Vault request

# Keep in sync with plugins/doc_fragments/_vault.py. The environment names are those the Vault CLI and
# community.hashi_vault read.
VAULT_ARGS = dict(
    issuer=dict(type="str", default="local", choices=list(ISSUERS)),
    vault_url=dict(type="str", fallback=(env_fallback, ["VAULT_ADDR"])),
    vault_mount=dict(type="str", default="pki"),
    vault_role=dict(type="str"),
    vault_auth_method=dict(type="str", default="token", choices=list(AUTH_METHODS)),
    vault_token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN"])),
    vault_role_id=dict(type="str"),
    vault_secret_id=dict(type="str", no_log=True),
    vault_approle_mount=dict(type="str", default="approle"),
    vault_ca_cert=dict(type="path", fallback=(env_fallback, ["VAULT_CACERT"])),
    vault_validate_certs=dict(type="bool", default=True),
    vault_namespace=dict(type="str", fallback=(env_fallback, ["VAULT_NAMESPACE"])),
)
# What reading a mount (temporal_vault_ca_chain) takes of them; a token only to change the mount.
VAULT_READ_OPTIONS = ("vault_url", "vault_mount", "vault_token", "vault_ca_cert", "vault_validate_certs", "vault_namespace")

# Options that only mean something with a local CA key.
_LOCAL_ONLY = ("ca_path", "ca_private_key_path", "ca_private_key_passphrase")
# Vault's sign endpoint takes the common name only; the other subject fields are the role's settings.
_ROLE_SUBJECT_FIELDS = {
    "organization": "organization",
    "organizational_unit": "ou",
    "country": "country",
    "state_or_province": "province",
    "locality": "locality",
}


def require_hvac(module):
    """Fail the module with Ansible's usual missing-library message (only called for issuer=vault)."""
    error = import_error("hvac")
    if error:
        module.fail_json(msg=missing_required_lib("hvac", reason="to issue certificates through Vault or OpenBao (issuer=vault)"), exception=error)


def _connection_reason(exc):
    """The useful end of a requests/urllib3 error (e.g. '[Errno 111] Connection refused')."""
    text = str(exc)
    for pattern in (r"certificate verify failed[^'\")]*", r"\[Errno -?\d+\] [^'\")]+", r"Read timed out[^'\")]*"):
        match = re.search(pattern, text)
        if match:
            return match.group(0).strip().rstrip(".")
    return type(exc).__name__


def _vault_errors(exc):
    errors = [str(e) for e in (getattr(exc, "errors", None) or []) if e]
    return "; ".join(errors) or str(exc).partition(", on ")[0] or type(exc).__name__


class VaultClient:
    """The few Vault calls the issuer needs, each failure turned into one PKIError naming an option."""

    # Signing needs a PKI role and login credentials up front; a client that only reads the mount needs neither.
    signs = True

    def __init__(self, params):
        self.url = (params.get("vault_url") or "").strip().rstrip("/")
        if not self.url:
            raise PKIError("vault_url", "required when issuer is vault: the Vault or OpenBao address, or set VAULT_ADDR")
        if not re.match(r"^https?://[^/\s]+", self.url):
            raise PKIError("vault_url", "{0!r} is not an http:// or https:// URL".format(self.url))
        self.mount = (params.get("vault_mount") or "").strip("/")
        if not self.mount:
            raise PKIError("vault_mount", "must name the PKI secrets engine's mount path, e.g. pki")
        self.role = params.get("vault_role")
        if self.signs and not self.role:
            raise PKIError("vault_role", "required when issuer is vault: the PKI role that signs (its {0}/sign/<role> endpoint)".format(self.mount))
        self.auth_method = params.get("vault_auth_method") or "token"
        self.token = params.get("vault_token")
        self.role_id = params.get("vault_role_id")
        self.secret_id = params.get("vault_secret_id")
        self.approle_mount = (params.get("vault_approle_mount") or "approle").strip("/")
        if self.signs and self.auth_method == "token" and not self.token:
            raise PKIError("vault_token", "required when vault_auth_method is token: set it or VAULT_TOKEN")
        if self.signs and self.auth_method == "approle":
            for option in ("vault_role_id", "vault_secret_id"):
                if not params.get(option):
                    raise PKIError(option, "required when vault_auth_method is approle")
        verify = True
        if not params.get("vault_validate_certs", True):
            verify = False
        elif params.get("vault_ca_cert"):
            verify = params["vault_ca_cert"]
            if not os.path.isfile(verify):
                raise PKIError("vault_ca_cert", "{0} does not exist or is not a file".format(verify))
        self._secrets = [s for s in (self.token, self.secret_id) if s]
        # The token is set only once a call needs it; an empty token keeps hvac from reading VAULT_TOKEN
        # or ~/.vault-token on its own.
        self._client = hvac.Client(url=self.url, token="", verify=verify, timeout=TIMEOUT, namespace=params.get("vault_namespace") or None)
        self._authenticated = False

    @property
    def where(self):
        return "the PKI mount {0} at {1}".format(self.mount, self.url)

    def _scrub(self, text):
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text

    def _fail(self, option, message):
        raise PKIError(option, self._scrub(message))

    def _call(self, action, call, on_vault_error):
        try:
            return call()
        except requests_exceptions.SSLError as exc:
            self._fail("vault_ca_cert", "TLS with Vault at {0} failed while {1}: {2}; give the CA of Vault's server certificate in vault_ca_cert "
                       "(or VAULT_CACERT)".format(self.url, action, _connection_reason(exc)))
        except requests_exceptions.RequestException as exc:
            self._fail("vault_url", "cannot reach Vault at {0} while {1}: {2}".format(self.url, action, _connection_reason(exc)))
        except hvac_exceptions.VaultError as exc:
            on_vault_error(exc)
            self._fail("vault_url", "Vault at {0} refused {1}: {2}".format(self.url, action, _vault_errors(exc)))

    def ca_chain(self):
        """The mount's CA chain (issuing CA first) as PEM bytes; empty when the mount has no issuer yet."""
        pki = self._client.secrets.pki

        def not_a_mount(exc):
            # ca_chain needs no token on a PKI mount; elsewhere Vault answers "permission denied" to a tokenless read.
            if isinstance(exc, (hvac_exceptions.InvalidPath, hvac_exceptions.Forbidden)):
                self._fail("vault_mount", "no PKI secrets engine answers at {0}/ on {1} ({2}); check vault_mount and vault_namespace".format(
                    self.mount, self.url, _vault_errors(exc)))

        text = self._call("reading the CA chain of " + self.mount, lambda: pki.read_ca_certificate_chain(mount_point=self.mount), not_a_mount)
        if not (text or "").strip():
            # Before multi-issuer PKI (Vault < 1.11) a root mount's ca_chain is empty; its CA is at ca/pem.
            def no_issuer(exc):
                if isinstance(exc, (hvac_exceptions.InvalidPath, hvac_exceptions.InvalidRequest, hvac_exceptions.InternalServerError)):
                    raise _NoIssuer()

            try:
                text = self._call("reading the CA of " + self.mount, lambda: pki.read_ca_certificate(mount_point=self.mount), no_issuer)
            except _NoIssuer:
                text = ""
        return (text or "").encode("utf-8")

    def authenticate(self):
        if self._authenticated:
            return
        if self.auth_method == "token":
            self._client.token = self.token
        else:
            def login_refused(exc):
                if isinstance(exc, hvac_exceptions.InvalidPath):
                    self._fail("vault_approle_mount", "no AppRole auth method is enabled at auth/{0} on {1}".format(self.approle_mount, self.url))
                self._fail("vault_role_id", "AppRole login at auth/{0} on {1} failed: {2} (check vault_role_id and vault_secret_id)".format(
                    self.approle_mount, self.url, _vault_errors(exc)))

            self._call(
                "the AppRole login at auth/" + self.approle_mount,
                lambda: self._client.auth.approle.login(role_id=self.role_id, secret_id=self.secret_id, mount_point=self.approle_mount, use_token=True),
                login_refused,
            )
        self._authenticated = True

    def sign(self, csr_pem, common_name, dns, ips, ttl_seconds):
        """POST <mount>/sign/<role>: the response's data (certificate, issuing_ca, ca_chain, ...) and warnings."""
        self.authenticate()
        endpoint = "{0}/sign/{1}".format(self.mount, self.role)
        request = dict(ttl="{0}s".format(ttl_seconds), format="pem", exclude_cn_from_sans=True)
        # In the CSR and in the request alike, so roles with use_csr_sans / use_csr_common_name on or off agree.
        if dns:
            request["alt_names"] = ",".join(dns)
        if ips:
            request["ip_sans"] = ",".join(str(a) for a in ips)

        def refused(exc):
            errors = _vault_errors(exc)
            if isinstance(exc, (hvac_exceptions.Forbidden, hvac_exceptions.Unauthorized)):
                if self.auth_method == "token":
                    self._fail("vault_token", "Vault denied {0} ({1}): the token is invalid or expired, or its policies do not grant "
                                              "update on {0}".format(endpoint, errors))
                self._fail("vault_role_id", "Vault denied {0} ({1}): the AppRole's token policies do not grant update on {0}".format(endpoint, errors))
            if isinstance(exc, hvac_exceptions.InvalidPath):
                self._fail("vault_mount", "no PKI secrets engine is mounted at {0}/ on {1} ({2})".format(self.mount, self.url, errors))
            if isinstance(exc, hvac_exceptions.InvalidRequest):
                if "unknown role" in errors:
                    self._fail("vault_role", "{0} has no role {1!r} ({2})".format(self.where, self.role, errors))
                self._fail("vault_role", "the Vault role {0!r} of {1} refused to sign: {2}".format(self.role, self.where, errors))

        def call():
            return self._client.secrets.pki.sign_certificate(
                name=self.role, csr=csr_pem, common_name=common_name, extra_params=request, mount_point=self.mount
            )

        response = self._call("signing through " + endpoint, call, refused)
        if not isinstance(response, dict) or not isinstance(response.get("data"), dict) or not response["data"].get("certificate"):
            self._fail("vault_url", "Vault at {0} answered {1} without a certificate".format(self.url, endpoint))
        # Roles with use_csr_sans / use_csr_common_name warn that the request repeats the CSR; that is by design.
        warnings = [w for w in response.get("warnings") or [] if "field was provided but the role is set with" not in w]
        return response["data"], warnings


class _NoIssuer(Exception):
    pass


class VaultLeafBackend(LeafBackend):
    """LeafBackend with a Vault/OpenBao PKI mount as the issuer instead of a local CA key."""

    needs = ("cryptography", "hvac")

    def __init__(self, params, check_mode=False, now=None):
        super().__init__(params, check_mode, now)
        self.vault = None
        if params["state"] == "absent":
            return  # removing files needs no Vault
        for option in _LOCAL_ONLY:
            if params.get(option):
                raise PKIError(option, "belongs to issuer=local; with issuer=vault the Vault PKI mount signs, so remove it")
        for option, role_field in _ROLE_SUBJECT_FIELDS.items():
            if params.get(option):
                raise PKIError(
                    option,
                    "with issuer=vault only the common name is requested; the subject's other fields come from the "
                    "Vault role's own settings (its {0} parameter), so remove it".format(role_field),
                )
        self.common_name = self.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        self.vault = VaultClient(params)

    def load_issuer(self):
        chain_pem = self.vault.ca_chain()
        if not chain_pem.strip():
            if self.check_mode:
                raise IssuerNotCreatedYet("the CA of " + self.vault.where)
            raise PKIError("vault_mount", "{0} has no CA yet: generate or import an issuer first".format(self.vault.where))
        where = "the CA chain of " + self.vault.where
        self.issuer_chain = load_pem_certificates(chain_pem, "vault_mount", where)
        check_issuer_certificate(self.issuer, "vault_mount", where, self.now)
        check_distinct_dn(self.subject, self.issuer_chain, "common_name")
        for ca in self.issuer_chain:
            check_name_constraints(ca, self.dns, self.ips)
        self.issuer_key = None

    def subject_drift(self, cert):
        # The role may add organization, ou and the like; only the common name is the module's to ask for.
        names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if names != [self.common_name]:
            return ["common name is {0}, {1} asked".format(", ".join(names) or "missing", self.common_name)]
        return []

    def issue(self, public_key, own_key):
        not_before, not_after = self.leaf_window()
        if self.check_mode:
            # Asking Vault would issue a certificate. Predict its facts instead, signed by a throwaway key.
            return sign_certificate(self.subject, public_key, generate_private_key("ecdsa-p256"), self.issuer, not_before, not_after,
                                    self.extensions(public_key))
        if self.csr is not None:
            csr_pem = self.csr.public_bytes(serialization.Encoding.PEM)
        else:
            builder = x509.CertificateSigningRequestBuilder().subject_name(self.subject)
            if self.dns or self.ips:
                builder = builder.add_extension(san_extension(self.dns, self.ips), critical=False)
            csr_pem = builder.sign(own_key, signature_hash(own_key)).public_bytes(serialization.Encoding.PEM)
        data, warnings = self.vault.sign(csr_pem.decode("ascii"), self.common_name, self.dns, self.ips, int((not_after - self.now).total_seconds()))
        cert = load_pem_certificates(data["certificate"].encode("utf-8"), "vault_role", "the certificate Vault returned")[0]
        self.check_issued(cert, public_key, warnings, not_after)
        return cert

    def check_issued(self, cert, public_key, warnings, not_after):
        """Refuse a certificate the next run would not accept as up to date (nothing is written)."""
        role = "the Vault role {0!r} of {1}".format(self.vault.role, self.vault.where)
        said = " (Vault: {0})".format("; ".join(warnings)) if warnings else ""
        if not same_public_key(cert.public_key(), public_key):
            raise PKIError("vault_role", "{0} returned a certificate for another public key than the CSR's".format(role))
        if not is_issued_by(cert, self.issuer):
            raise PKIError(
                "vault_role",
                "{0} signed with the issuer {1}, not with the mount's default issuer {2} whose chain the module reads; set the role's "
                "issuer_ref to default or make that issuer the default".format(role, cert.issuer.rfc4514_string(), self.issuer.subject.rfc4514_string()),
            )
        differences = self.drift(cert)
        if self.csr is not None and self.name_drift(cert):
            # A CSR made elsewhere (a node's own key) may carry no names; a role with use_csr_sans or use_csr_common_name
            # on takes the names from it and ignores the request's.
            differences.append("with a CSR from csr_path or csr_content the role needs use_csr_sans=false and use_csr_common_name=false")
        if differences:
            raise PKIError(
                "vault_role",
                "{0} issued a certificate that does not fit the {1} profile: {2}; fix the role (server_flag, client_flag, ext_key_usage, "
                "key_usage, basic_constraints_valid_for_non_ca, use_csr_sans; see docs/vault-issuer.md){3}".format(
                    role, self.profile.name, "; ".join(differences), said
                ),
            )
        if cert.not_valid_after_utc < not_after - BACKDATE:
            raise PKIError(
                "validity",
                "{0} issued a certificate that ends on {1}, before the {2} asked for; raise the role's max_ttl (and the mount's "
                "max-lease-ttl) or shorten validity{3}".format(
                    role, timestamp(cert.not_valid_after_utc), self.params["validity"], said
                ),
            )


class VaultIssuers(VaultClient):
    """VaultClient for a mount's issuers: no role, and a token only to change the default."""

    signs = False

    def _get(self, what, path, method="get"):
        def not_found(exc):
            if isinstance(exc, (hvac_exceptions.InvalidPath, hvac_exceptions.Forbidden)):
                self._fail("vault_mount", "no PKI secrets engine with issuers answers at {0}/ on {1} ({2}); check vault_mount and vault_namespace".format(
                    self.mount, self.url, _vault_errors(exc)))

        response = self._call(what, lambda: getattr(self._client.adapter, method)("/v1/{0}/{1}".format(self.mount, path)), not_found)
        if not isinstance(response, dict) or not isinstance(response.get("data"), dict):
            self._fail("vault_mount", "{0} answered {1} without data".format(self.where, path))
        return response["data"]

    def issuers(self):
        listed = self._get("listing the issuers of " + self.mount, "issuers", "list")
        default = self._get("reading the default issuer of " + self.mount, "issuer/default/json").get("issuer_id")
        out = []
        for issuer_id in listed.get("keys") or []:
            data = self._get("reading the issuer {0} of {1}".format(issuer_id, self.mount), "issuer/{0}/json".format(issuer_id))
            cert = load_pem_certificates(data["certificate"].encode("utf-8"), "vault_mount", "the issuer {0} of {1}".format(issuer_id, self.where))[0]
            chain = [pem.strip() for pem in data.get("ca_chain") or [data["certificate"]]]
            out.append(dict(id=issuer_id, name=data.get("issuer_name") or "", is_default=issuer_id == default,
                            subject=cert.subject.rfc4514_string(), certificate=data["certificate"].strip(), ca_chain=chain))
        return default, out

    def set_default(self, issuer_id):
        if not self.token:
            raise PKIError("vault_token", "required to change the default issuer of {0}: set it or VAULT_TOKEN".format(self.where))
        self._client.token = self.token

        def denied(exc):
            if isinstance(exc, (hvac_exceptions.Forbidden, hvac_exceptions.Unauthorized)):
                self._fail("vault_token", "Vault denied {0}/config/issuers ({1}): the token needs update on it".format(self.mount, _vault_errors(exc)))

        self._call("setting the default issuer of " + self.mount,
                   lambda: self._client.adapter.post("/v1/{0}/config/issuers".format(self.mount), json=dict(default=issuer_id)), denied)


class VaultIssuersBackend(Backend):
    """temporal_vault_ca_chain's backend: the mount's issuers, and a new default issuer when one is asked for."""

    needs = ("cryptography", "hvac")

    def __init__(self, params, check_mode=False):
        self.params = params
        self.vault = VaultIssuers(params)

    def plan(self):
        plan = Plan()
        default, issuers = self.vault.issuers()
        wanted = self.params["default_issuer"]
        if wanted:
            match = [i for i in issuers if wanted in (i["id"], i["name"])]
            if not match:
                raise PKIError("default_issuer", "{0} has no issuer {1!r}; it has {2}".format(
                    self.vault.where, wanted, ", ".join("{0} ({1})".format(i["id"], i["name"] or i["subject"]) for i in issuers) or "none"))
            if match[0]["id"] != default:
                default = match[0]["id"]
                plan.effects.append(lambda: self.vault.set_default(default))
                for issuer in issuers:
                    issuer["is_default"] = issuer["id"] == default
        plan.result = dict(default=default, issuers=issuers)
        return plan


# temporal_leaf's backend for each value of its issuer option.
LEAF_BACKENDS = {"local": LeafBackend, "vault": VaultLeafBackend}
