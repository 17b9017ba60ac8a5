"""A stand-in for the six Azure Key Vault certificate REST calls temporal_key_vault_certificate makes, served over
HTTPS on loopback. It is NOT Key Vault and no emulator of it: no Key Vault emulator could be had on this machine
(docs/azure-key-vault.md says why). It answers in the shapes of Key Vault's REST reference (the bodies the Azure SDK's
own models read and write), makes its keys and CSRs from the policy the create call sends, and refuses a merge whose
certificate does not hold the pending key, so tests with it check the collection's own requests and decisions only,
never how Key Vault itself behaves."""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import re
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

_NAMES = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
          "C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "L": NameOID.LOCALITY_NAME}
_KEY_USAGE = ("digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign")
_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
# What the SDK's challenge authentication expects on a request without a token.
_CHALLENGE = 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"'


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _subject(text):
    """Key Vault's policy subject ("CN=a, O=b", most specific first) as an x509.Name."""
    attributes = [part.strip().split("=", 1) for part in text.split(",")]
    return x509.Name([x509.NameAttribute(_NAMES[kind.strip().upper()], value) for kind, value in reversed(attributes)])


def request_from_policy(policy):
    """(private key, DER PKCS#10) as the create call's policy asks: the key of key_props, the subject, and an
    extensionRequest with the policy's SANs, extendedKeyUsage and keyUsage."""
    key_props, x509_props = policy.get("key_props", {}), policy.get("x509_props", {})
    kty = key_props.get("kty", "RSA").replace("-HSM", "")
    if kty == "EC":
        key = ec.generate_private_key(_CURVES[key_props.get("crv", "P-256")]())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_props.get("key_size", 2048))
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(x509_props.get("subject", "")))
    sans = x509_props.get("sans") or {}
    names = [x509.DNSName(n) for n in sans.get("dns_names") or []] + [x509.IPAddress(ipaddress.ip_address(a)) for a in sans.get("ipAddresses") or []]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if x509_props.get("ekus"):
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in x509_props["ekus"]]), critical=False)
    if x509_props.get("key_usage"):
        bits = {name: name in x509_props["key_usage"] for name in _KEY_USAGE}
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=bits["digitalSignature"], content_commitment=bits["nonRepudiation"], key_encipherment=bits["keyEncipherment"],
            data_encipherment=bits["dataEncipherment"], key_agreement=bits["keyAgreement"], key_cert_sign=bits["keyCertSign"],
            crl_sign=bits["cRLSign"], encipher_only=False, decipher_only=False), critical=True)
    return key, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class KeyVaultStandIn:
    """start(), then url; calls lists every (method, path) served; stop() shuts the server and joins its thread."""

    def __init__(self, tls_cert_pem, tls_key_pem, tls_dir):
        self.versions = {}  # certificate name -> list of DER certificates, the last one current
        self.pending = {}  # certificate name -> (public key, DER CSR)
        self.calls = []
        (tls_dir / "stand-in.pem").write_bytes(tls_cert_pem)
        (tls_dir / "stand-in.key").write_bytes(tls_key_pem)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(str(tls_dir / "stand-in.pem"), str(tls_dir / "stand-in.key"))
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "https://127.0.0.1:{0}".format(self._server.server_address[1])

    @property
    def writes(self):
        return [call for call in self.calls if call[0] != "GET"]

    def start(self):
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body, headers=()):
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    return self._answer(401, {"error": {"code": "Unauthorized", "message": "no token"}}, [("WWW-Authenticate", _CHALLENGE)])
                path = self.path.split("?", 1)[0]
                stand_in.calls.append((method, path))
                match = re.match(r"^/certificates/([A-Za-z0-9-]+)(/.*)?$", path)
                if not match:
                    return self._answer(404, {"error": {"code": "NotFound", "message": path}})
                status, answer = stand_in.handle(method, match.group(1), (match.group(2) or "/").rstrip("/") or "/", body)
                return self._answer(status, answer)

            def do_GET(self):  # noqa: N802 (http.server's names)
                self._serve("GET")

            def do_POST(self):  # noqa: N802
                self._serve("POST")

            def do_DELETE(self):  # noqa: N802
                self._serve("DELETE")

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = self._context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # --- the REST calls ----------------------------------------------------------------------------------------
    def _bundle(self, name):
        der = self.versions[name][-1]
        cert = x509.load_der_x509_certificate(der)
        version = "v{0}".format(len(self.versions[name]))
        stamp = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
        return {"id": "{0}/certificates/{1}/{2}".format(self.url, name, version), "cer": _b64(der),
                "x5t": base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode("ascii").rstrip("="),
                "attributes": {"enabled": True, "nbf": int(cert.not_valid_before_utc.timestamp()), "exp": int(cert.not_valid_after_utc.timestamp()),
                               "created": stamp, "updated": stamp}}

    def _operation(self, name):
        return {"id": "{0}/certificates/{1}/pending".format(self.url, name), "issuer": {"name": "Unknown"}, "csr": _b64(self.pending[name][1]),
                "cancellation_requested": False, "status": "inProgress",
                "status_details": "Pending certificate created. Please Perform Merge to complete the request."}

    def _not_found(self, code, name):
        return 404, {"error": {"code": code, "message": "{0} {1} was not found in this key vault.".format(code, name)}}

    def handle(self, method, name, rest, body):
        if method == "GET" and rest == "/":
            return (200, self._bundle(name)) if self.versions.get(name) else self._not_found("CertificateNotFound", name)
        if method == "GET" and rest == "/pending":
            return (200, self._operation(name)) if name in self.pending else self._not_found("PendingCertificateNotFound", name)
        if method == "DELETE" and rest == "/pending":
            if name not in self.pending:
                return self._not_found("PendingCertificateNotFound", name)
            answer = self._operation(name)
            del self.pending[name]
            return 200, answer
        if method == "POST" and rest == "/create":
            if name in self.pending:
                return 409, {"error": {"code": "Conflict", "message": "There is a pending operation for {0}".format(name)}}
            key, csr = request_from_policy(body["policy"])
            self.pending[name] = (key.public_key(), csr)
            return 202, self._operation(name)
        if method == "POST" and rest == "/pending/merge":
            if name not in self.pending:
                return self._not_found("PendingCertificateNotFound", name)
            chain = [base64.b64decode(item) for item in body.get("x5c") or []]
            leaf = x509.load_der_x509_certificate(chain[0])
            if leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
                    self.pending[name][0].public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
                return 400, {"error": {"code": "BadParameter", "message": "the certificate's public key is not the pending key"}}
            self.versions.setdefault(name, []).append(chain[0])
            del self.pending[name]
            return 201, self._bundle(name)
        if method == "POST" and rest == "/import":
            password = body.get("pwd")
            key, cert, _extra = pkcs12.load_key_and_certificates(base64.b64decode(body["value"]), password.encode("utf-8") if password else None)
            if key is None:
                return 400, {"error": {"code": "BadParameter", "message": "the PKCS#12 holds no private key"}}
            self.versions.setdefault(name, []).append(cert.public_bytes(serialization.Encoding.DER))
            return 200, self._bundle(name)
        return 400, {"error": {"code": "BadParameter", "message": "{0} {1} is not served by the stand-in".format(method, rest)}}


class StandInToken:
    """The credential the tests give the SDK: there is no Microsoft Entra ID here, so a fixed token stands in for one."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("stand-in-token", int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + 3600)
