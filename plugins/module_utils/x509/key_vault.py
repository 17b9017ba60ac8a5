# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_key_vault_certificate's backend: a Temporal certificate whose key Azure Key Vault makes and keeps.
Key Vault creates the key from a certificate policy made from the leaf profile and returns a CSR; the local CA signs
it (temporal_leaf csr_content); the signed chain is merged into Key Vault's pending request. The CA's own key and
certificate can be imported. Private to this collection: not a public API."""

from __future__ import annotations

import os
import re
import secrets

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    certificate_facts,
    in_renewal_window,
    is_issued_by,
    load_pem_certificates,
    utcnow,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.csr import request_differences
from ansible_collections.mtls.temporal.plugins.module_utils.x509.issuance import DIFF_FACTS, check_issuer_certificate
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import (
    KEY_TYPES,
    describe_key,
    key_type_of,
    load_private_key,
    public_key_sha256,
    same_public_key,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.leaf import LeafBackend
from ansible_collections.mtls.temporal.plugins.module_utils.x509.libraries import LazyImport, import_error
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import SUBJECT_OPTIONS, sans_of
from ansible_collections.mtls.temporal.plugins.module_utils.x509.profiles import leaf_extended_key_usage, leaf_key_usage

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

azure_exceptions = LazyImport("azure.core.exceptions")
azure_identity = LazyImport("azure.identity")
azure_certificates = LazyImport("azure.keyvault.certificates")

STATES = ("requested", "merged", "imported")
# Older SDKs drop a policy's IP SANs without a word (their CertificatePolicy ignores keywords it does not know).
MINIMUM_AZURE_KEY_VAULT_VERSION = (4, 11)

# key_type -> the key properties of a Key Vault certificate policy. Key Vault has no Ed25519 certificates.
KEY_VAULT_KEYS = {
    "ecdsa-p256": dict(key_type="EC", key_curve_name="P-256"),
    "ecdsa-p384": dict(key_type="EC", key_curve_name="P-384"),
    "rsa-2048": dict(key_type="RSA", key_size=2048),
    "rsa-3072": dict(key_type="RSA", key_size=3072),
    "rsa-4096": dict(key_type="RSA", key_size=4096),
}
# profiles.py's keyUsage names -> Key Vault's KeyUsageType values.
KEY_VAULT_KEY_USAGE = {"digital_signature": "digitalSignature", "key_encipherment": "keyEncipherment"}
# Key Vault's issuer name for a certificate signed outside it: the create call leaves a pending request with a CSR.
EXTERNAL_ISSUER = "Unknown"
# Key Vault reads the policy subject as an X.500 name string; these would need escaping, which it reads otherwise
# than RFC 4514.
_SUBJECT_SPECIALS = re.compile(r'[,+"\\<>;=#]')


def require_azure_key_vault(module):
    """Fail the module with Ansible's usual missing-library message, or when the SDK is too old."""
    error = import_error("azure.keyvault.certificates") or import_error("azure.identity")
    if error:
        module.fail_json(msg=missing_required_lib("azure-keyvault-certificates and azure-identity", reason="to keep certificates in Azure Key Vault"),
                         exception=error)
    installed = tuple(int(part) for part in re.findall(r"\d+", azure_certificates.__version__)[:2])
    if installed < MINIMUM_AZURE_KEY_VAULT_VERSION:
        module.fail_json(msg="azure-keyvault-certificates {0} is installed; temporal_key_vault_certificate needs >= {1}".format(
            azure_certificates.__version__, ".".join(str(n) for n in MINIMUM_AZURE_KEY_VAULT_VERSION)))


def _months(validity):
    """Key Vault's policy counts whole months; the CA's signature sets the real not_after."""
    return max(1, -(-validity.days // 30))


def policy_fields(leaf, key_type, hsm=False):
    """The CertificatePolicy keywords for the certificate leaf (a LeafBackend) describes: its subject and SANs, the
    profile's extendedKeyUsage and keyUsage, a key of key_type that cannot be exported, and the external issuer."""
    if key_type not in KEY_VAULT_KEYS:
        raise PKIError("key_type", "Key Vault makes no {0} keys; choose one of {1}".format(key_type, ", ".join(KEY_VAULT_KEYS)))
    for attribute in leaf.subject:
        if _SUBJECT_SPECIALS.search(attribute.value) or attribute.value != attribute.value.strip():
            option = next(name for name, oid_name, _bound in SUBJECT_OPTIONS if getattr(x509.NameOID, oid_name) == attribute.oid)
            raise PKIError(option,
                           "{0!r} holds a character Key Vault's subject syntax would need escaped (one of , + \" \\ < > ; = #)".format(attribute.value))
    key = dict(KEY_VAULT_KEYS[key_type])
    if hsm:
        key["key_type"] += "-HSM"
    family = KEY_TYPES[key_type][0]
    return dict(
        key,
        issuer_name=EXTERNAL_ISSUER,
        subject=", ".join("{0}={1}".format(a.rfc4514_attribute_name, a.value) for a in reversed(list(leaf.subject))),
        san_dns_names=list(leaf.dns) or None,
        san_ip_addresses=[str(a) for a in leaf.ips] or None,
        enhanced_key_usage=[oid.dotted_string for oid in leaf_extended_key_usage(leaf.profile)],
        key_usage=[KEY_VAULT_KEY_USAGE[name] for name, on in leaf_key_usage(leaf.profile, family).items() if on],
        exportable=False,
        reuse_key=False,
        validity_in_months=_months(leaf.validity),
    )


def leaf_of(params, check_mode=False, now=None):
    """The certificate the options describe, as temporal_leaf checks and builds it (subject, SANs, profile, validity,
    renew_before), without a key or an issuer: Key Vault holds the one, the CA signs apart."""
    return LeafBackend(dict(params, state="present", path=None, private_key_path=None, csr_path=None, csr_content=None, pkcs12_path=None,
                            not_after_behavior="error"), check_mode, now)


def request_drift(csr, leaf, key_type):
    """How a CSR of Key Vault's differs from the certificate leaf describes (key type, subject, requested extensions)."""
    differences = []
    if key_type_of(csr.public_key()) != key_type:
        differences.append("its key is {0}, {1} asked".format(describe_key(csr.public_key()), key_type))
    family = KEY_TYPES.get(key_type_of(csr.public_key()) or "", ("other",))[0]
    return differences + request_differences(csr, leaf.subject, leaf.dns, leaf.ips, leaf_extended_key_usage(leaf.profile),
                                             leaf_key_usage(leaf.profile, family))


def _credential(params):
    if params.get("azure_client_secret"):
        for option in ("azure_tenant_id", "azure_client_id"):
            if not params.get(option):
                raise PKIError(option, "required with azure_client_secret (a service principal's secret)")
        return azure_identity.ClientSecretCredential(params["azure_tenant_id"], params["azure_client_id"], params["azure_client_secret"])
    # The environment (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload identity), a managed identity
    # or an az login, the sources the Azure SDK and CLI read.
    return azure_identity.DefaultAzureCredential(managed_identity_client_id=params.get("azure_client_id"))


class KeyVaultCertificates:
    """The few Key Vault certificate calls the module makes, each failure turned into one PKIError naming an option."""

    def __init__(self, params, credential=None, **client_options):
        self.url = (params.get("key_vault_url") or "").strip().rstrip("/")
        if not re.match(r"^https://[^/\s]+$", self.url):
            raise PKIError("key_vault_url", "{0!r} is not a Key Vault URL such as https://my-vault.vault.azure.net".format(self.url))
        self.name = params["name"]
        self._client = azure_certificates.CertificateClient(self.url, credential or _credential(params), **client_options)

    def _call(self, what, call, missing_ok=False):
        """call(), or None when it reads what is not there (missing_ok)."""
        try:
            return call()
        except azure_exceptions.ClientAuthenticationError as exc:
            raise PKIError("azure_client_id", "{0} in {1}: authentication failed: {2}".format(what, self.url, exc.message or type(exc).__name__))
        except azure_exceptions.ResourceNotFoundError as exc:
            if missing_ok:
                return None
            raise PKIError("name", "{0} in {1} failed: not found: {2}".format(what, self.url, exc.message))
        except azure_exceptions.HttpResponseError as exc:
            raise PKIError("key_vault_url", "{0} in {1} failed: HTTP {2}: {3}".format(what, self.url, exc.status_code, exc.message))
        except azure_exceptions.AzureError as exc:
            raise PKIError("key_vault_url", "{0} in {1} failed: {2}".format(what, self.url, exc.message or type(exc).__name__))

    def current(self):
        """The certificate of the current version, or None (no certificate, or only a pending first version)."""
        bundle = self._call("reading the certificate " + self.name, lambda: self._client.get_certificate(self.name), True)
        if bundle is None or not bundle.cer:
            return None, None
        return x509.load_der_x509_certificate(bytes(bundle.cer)), bundle.properties.version

    def pending(self):
        """The CSR of the pending request, or None when there is none in progress."""
        operation = self._call("reading the pending request of " + self.name, lambda: self._client.get_certificate_operation(self.name), True)
        if operation is None or operation.status != "inProgress" or not operation.csr:
            return None
        return x509.load_der_x509_csr(bytes(operation.csr))

    def request(self, fields):
        """Create a new version from the policy; returns the CSR of the pending request it leaves."""
        # With the external issuer the poller is done at once, its result the pending request (CSR included).
        operation = self._call("creating the certificate " + self.name,
                               lambda: self._client.begin_create_certificate(self.name, azure_certificates.CertificatePolicy(**fields)).result())
        if operation is None or not getattr(operation, "csr", None):
            raise PKIError("key_vault_url", "Key Vault returned no CSR for {0}".format(self.name))
        return x509.load_der_x509_csr(bytes(operation.csr))

    def cancel(self):
        self._call("deleting the pending request of " + self.name, lambda: self._client.delete_certificate_operation(self.name))

    def merge(self, chain):
        self._call("merging the signed certificate into " + self.name,
                   lambda: self._client.merge_certificate(self.name, [cert.public_bytes(Encoding.DER) for cert in chain]))

    def import_pkcs12(self, data, password):
        self._call("importing into " + self.name, lambda: self._client.import_certificate(self.name, data, password=password))


def _facts(cert):
    return {name: value for name, value in certificate_facts(cert).items() if name in DIFF_FACTS} if cert is not None else None


def _request_facts(csr):
    if csr is None:
        return None
    dns, ips = sans_of(csr)  # reads a CSR's requested SANs as it reads a certificate's
    return dict(subject=csr.subject.rfc4514_string(), dns_names=dns, ip_addresses=[str(a) for a in ips], key_type=describe_key(csr.public_key()),
                public_key_sha256=public_key_sha256(csr.public_key()))


def _pem_csr(csr):
    return csr.public_bytes(Encoding.PEM).decode("ascii") if csr is not None else None


class KeyVaultCertificateBackend(Backend):
    """state requested: Key Vault holds a current certificate for the profile, or a pending request whose CSR is
    returned; merged: the signed chain is merged into the pending request; imported: a certificate and its key are
    imported. Every write is an effect, decided from the parsed certificate and CSR Key Vault holds."""

    needs = ("cryptography", "azure")

    def __init__(self, params, check_mode=False, now=None):
        self.params = params
        self.check_mode = check_mode
        self.now = now or utcnow()
        self.inputs = [(option, params.get(option)) for option in ("ca_path", "chain_path", "certificate_path", "private_key_path", "pkcs12_path")]
        self.leaf = None
        self.policy = None
        self._pending = None
        if params["state"] == "requested":
            if not params.get("profile"):
                raise PKIError("profile", "required when state is requested")
            if not params.get("ca_path"):
                raise PKIError("ca_path", "required when state is requested: the CA that signs, against which Key Vault's certificate is checked")
            self.leaf = leaf_of(params, check_mode, self.now)
            self.policy = policy_fields(self.leaf, params["key_type"], params["hsm"])  # bad input fails before Key Vault is asked
        self.key_vault = self.connect(params)

    def connect(self, params):
        return KeyVaultCertificates(params)

    def plan(self):
        return {"requested": self._requested, "merged": self._merged, "imported": self._imported}[self.params["state"]]()

    def _plan(self, reason, detail, current, version, csr, after):
        plan = Plan()
        plan.result = dict(name=self.params["name"], reason=reason, reason_detail=detail, version=version,
                           certificate=certificate_facts(current) if current is not None else None, csr=_pem_csr(csr))
        plan.diff = dict(before=dict(certificate=_facts(current), pending_request=_request_facts(self._pending)), after=after)
        return plan

    # --- state requested -----------------------------------------------------------------------------------------
    def _requested(self):
        p = self.params
        current, version = self.key_vault.current()
        self._pending = self.key_vault.pending()
        pem = read_optional(p["ca_path"], "ca_path")
        if pem is None and self.check_mode:
            detail = "{0} does not exist yet (an earlier task would create it)".format(p["ca_path"])
            reason = "ca_changed" if current is not None else "created"
        else:
            chain = load_pem_certificates(pem if pem is not None else read_required(p["ca_path"], "ca_path"), "ca_path", p["ca_path"])
            check_issuer_certificate(chain[0], "ca_path", p["ca_path"], self.now)
            reason, detail = self._decide(current, chain[0])
        if reason is None:
            after = dict(certificate=_facts(current), pending_request=_request_facts(self._pending))
            return self._plan(None, detail, current, version, self._pending, after)
        requested = dict(subject=self.policy["subject"], dns_names=list(self.leaf.dns), ip_addresses=[str(a) for a in self.leaf.ips],
                         key_type=p["key_type"], extended_key_usage=sorted(self.policy["enhanced_key_usage"]), exportable=False)
        plan = self._plan(reason, detail, current, version, None, dict(certificate=_facts(current), pending_request=requested))
        if self._pending is not None:
            plan.effects.append(self.key_vault.cancel)
        plan.effects.append(lambda: plan.result.update(csr=_pem_csr(self.key_vault.request(self.policy))))
        if self.check_mode:
            plan.warnings.append("check mode: Key Vault would make a new key and CSR for {0}; nothing to sign yet".format(p["name"]))
        return plan

    def _decide(self, current, ca):
        """(reason, detail) for a new version, or (None, detail) when Key Vault's certificate or pending request stands."""
        p = self.params
        if self._pending is not None:
            differences = request_drift(self._pending, self.leaf, p["key_type"])
            if differences:
                return "drift", "Key Vault's pending request differs: " + "; ".join(differences)
            if p["force"]:
                return "forced", "force is set"
            return None, "Key Vault holds a pending request for this certificate: sign its CSR and merge"
        if current is None:
            return "created", "Key Vault has no certificate {0} yet".format(p["name"])
        if p["force"]:
            return "forced", "force is set"
        if not is_issued_by(current, ca):
            return "ca_changed", "the certificate was not issued by {0}".format(ca.subject.rfc4514_string())
        differences = self.leaf.drift(current)
        if key_type_of(current.public_key()) != p["key_type"]:
            differences.insert(0, "key type is {0}, {1} asked".format(describe_key(current.public_key()), p["key_type"]))
        if differences:
            return "drift", "; ".join(differences)
        if in_renewal_window(current, self.leaf.renew_before, self.now):
            return "expiring", "not_after {0} is inside renew_before {1}".format(certificate_facts(current)["not_after"], self.leaf.renew_before.text)
        return None, None

    # --- state merged --------------------------------------------------------------------------------------------
    def _merged(self):
        p = self.params
        if not p.get("chain_path"):
            raise PKIError("chain_path", "required when state is merged: the signed certificate first, then its intermediates")
        chain = load_pem_certificates(read_required(p["chain_path"], "chain_path"), "chain_path", p["chain_path"])
        current, version = self.key_vault.current()
        self._pending = self.key_vault.pending()
        after = dict(certificate=_facts(chain[0]), pending_request=None)
        if current is not None and current == chain[0]:
            return self._plan(None, None, current, version, None, dict(certificate=_facts(current), pending_request=_request_facts(self._pending)))
        if self._pending is None:
            raise PKIError("chain_path", "Key Vault has no pending request for {0} and its current version is another certificate "
                                         "than {1}'s: run state requested first and sign the CSR it returns".format(p["name"], p["chain_path"]))
        if not same_public_key(self._pending.public_key(), chain[0].public_key()):
            raise PKIError("chain_path", "the certificate in {0} does not certify the key of Key Vault's pending request for {1}: "
                                         "sign the CSR that state requested returned".format(p["chain_path"], p["name"]))
        plan = self._plan("merged", "the signed certificate joins the key Key Vault made", current, version, None, after)
        plan.effects.append(lambda: self.key_vault.merge(chain))
        return plan

    # --- state imported ------------------------------------------------------------------------------------------
    def _imported(self):
        p = self.params
        data, password, cert = self._pkcs12()
        current, version = self.key_vault.current()
        if current is not None and current == cert:
            return self._plan(None, None, current, version, None, dict(certificate=_facts(current), pending_request=None))
        plan = self._plan("imported", "{0} becomes the current version of {1}".format(cert.subject.rfc4514_string(), p["name"]),
                          current, version, None, dict(certificate=_facts(cert), pending_request=None))
        plan.effects.append(lambda: self.key_vault.import_pkcs12(data, password))
        return plan

    def _pkcs12(self):
        """(PKCS#12 bytes, their password, the certificate they hold) from pkcs12_path, or made in memory from
        certificate_path and private_key_path, encrypted with a password made for this one request."""
        p = self.params
        if p.get("pkcs12_path"):
            data = read_required(p["pkcs12_path"], "pkcs12_path")
            password = p.get("pkcs12_passphrase") or None
            try:
                key, cert, _extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8") if password else None)
            except (ValueError, TypeError):
                raise PKIError("pkcs12_passphrase", "{0} does not open with the given pkcs12_passphrase".format(p["pkcs12_path"]))
            if key is None or cert is None:
                raise PKIError("pkcs12_path", "{0} must hold a private key and its certificate".format(p["pkcs12_path"]))
            return data, password, cert
        for option in ("certificate_path", "private_key_path"):
            if not p.get(option):
                raise PKIError(option, "required when state is imported, unless pkcs12_path is given")
        chain = load_pem_certificates(read_required(p["certificate_path"], "certificate_path"), "certificate_path", p["certificate_path"])
        key = load_private_key(read_required(p["private_key_path"], "private_key_path"), p.get("private_key_passphrase"),
                               "private_key_path", p["private_key_path"], "private_key_passphrase")
        if not same_public_key(key, chain[0].public_key()):
            raise PKIError("private_key_path", "the key in {0} does not match the certificate in {1}".format(p["private_key_path"], p["certificate_path"]))
        password = secrets.token_urlsafe(24)
        data = pkcs12.serialize_key_and_certificates(os.path.basename(p["certificate_path"]).encode("utf-8"), key, chain[0], chain[1:] or None,
                                                     BestAvailableEncryption(password.encode("utf-8")))
        return data, password, chain[0]
