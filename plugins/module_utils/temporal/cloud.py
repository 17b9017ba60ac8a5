# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Temporal Cloud's rules for a namespace's accepted client CA bundle, for the client certificates it accepts and
for certificate filters, checked before anything is written. Private to this collection: not a public API.

The limits are Temporal Cloud's documented ones (docs/cloud certificates page, tcld's app/cafilters.go):
16 CA certificates and 32 KB of PEM per bundle, CA:true, SHA-256 or stronger RSA/ECDSA signatures, each
certificate a root or issued by another one of the bundle; client certificates CA:false with keyUsage
digitalSignature, presenting their chain up to a CA of the bundle, every DN of the chain distinct
(case-insensitively); at most 25 filters of up to four fields, a single '*' at one end of a value."""

from __future__ import annotations

import base64
import json

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import check_target, read_optional, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    basic_constraints,
    fingerprint,
    is_issued_by,
    is_self_signed,
    key_usage_names,
    load_pem_certificates,
    pem_of,
    utcnow,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp

try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

MAX_CA_CERTIFICATES = 16
MAX_BUNDLE_BYTES = 32 * 1024
MAX_FILTERS = 25
STRONG_HASHES = ("sha256", "sha384", "sha512")
# (module option, tcld JSON key), in the order tcld's JSON lists them.
FILTER_FIELDS = (
    ("common_name", "commonName"),
    ("organization", "organization"),
    ("organizational_unit", "organizationalUnit"),
    ("subject_alternative_name", "subjectAlternativeName"),
)


def _subject(cert):
    return cert.subject.rfc4514_string()


def sha1_of(cert):
    """How tcld names a CA: the lowercase hex SHA-1 of its DER."""
    return fingerprint(cert, hashes.SHA1())


def sha256_of(cert):
    return fingerprint(cert, hashes.SHA256())


def bundle_facts(cert):
    """What results and diffs say about one certificate of a bundle: parsed facts, never PEM."""
    return {
        "subject": _subject(cert),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": timestamp(cert.not_valid_before_utc),
        "not_after": timestamp(cert.not_valid_after_utc),
        "fingerprint_sha1": sha1_of(cert),
        "fingerprint_sha256": sha256_of(cert),
        "is_root": is_self_signed(cert),
    }


def signature_problem(cert):
    """Why Temporal Cloud would reject cert's signature, or None."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "is signed with an algorithm Temporal Cloud does not accept ({0})".format(cert.signature_algorithm_oid.dotted_string)
    if algorithm is None:
        name = getattr(cert.signature_algorithm_oid, "_name", cert.signature_algorithm_oid.dotted_string)
        return "is signed with {0}; Temporal Cloud accepts RSA or ECDSA signatures only".format(name)
    if algorithm.name not in STRONG_HASHES:
        return "is signed with {0}; Temporal Cloud requires SHA-256 or stronger (SHA-1 and MD5 are rejected)".format(algorithm.name.upper())
    return None


def read_sources(paths, option):
    """(path, certificate) for every certificate of every file, in the order given."""
    sources = []
    for path, data in paths:
        for cert in load_pem_certificates(data, option, path):
            sources.append((path, cert))
    if not sources:
        raise PKIError(option, "no CA certificate given")
    return sources


def assemble(sources):
    """De-duplicate by fingerprint (first occurrence wins) and put the newest CA (latest not_before) first.

    Returns (ordered (path, cert) pairs, duplicates dropped as facts with their path)."""
    seen = {}
    kept, duplicates = [], []
    for path, cert in sources:
        key = sha256_of(cert)
        if key in seen:
            duplicates.append(dict(path=path, subject=_subject(cert), fingerprint_sha1=sha1_of(cert), same_as=seen[key]))
            continue
        seen[key] = path
        kept.append((path, cert))
    # sorted() is stable: CAs that start at the same second keep the order they were given in.
    ordered = sorted(kept, key=lambda item: item[1].not_valid_before_utc, reverse=True)
    return ordered, duplicates


def validate_bundle(bundle, option):
    """Raise PKIError naming option and the first rule the bundle breaks."""
    if len(bundle) > MAX_CA_CERTIFICATES:
        raise PKIError(option, "the bundle holds {0} distinct CA certificates; Temporal Cloud accepts at most {1} per namespace".format(
            len(bundle), MAX_CA_CERTIFICATES))
    size = len(pem_of([cert for _path, cert in bundle]))
    if size > MAX_BUNDLE_BYTES:
        raise PKIError(option, "the bundle is {0} bytes of PEM; Temporal Cloud accepts at most {1} bytes (32 KB) before base64".format(
            size, MAX_BUNDLE_BYTES))
    certs = [cert for _path, cert in bundle]
    for path, cert in bundle:
        where = "{0}: {1}".format(path, _subject(cert))
        bc = basic_constraints(cert)
        if bc is None or not bc.ca:
            raise PKIError(option, "{0} is not a CA certificate (basicConstraints CA:true is required in the bundle)".format(where))
        problem = signature_problem(cert)
        if problem:
            raise PKIError(option, "{0} {1}".format(where, problem))
        if not is_self_signed(cert) and not any(other is not cert and is_issued_by(cert, other) for other in certs):
            raise PKIError(option, "{0} is neither a root nor issued by another certificate of the bundle; add its issuer {1} "
                                   "or leave it out".format(where, cert.issuer.rfc4514_string()))


def expired_in(bundle, now):
    return [(path, cert) for path, cert in bundle if cert.not_valid_after_utc <= now]


def _issuer_in(cert, candidates):
    for candidate in candidates:
        if candidate is not cert and is_issued_by(cert, candidate):
            return candidate
    return None


def validate_client(path, certs, bundle, now, option):
    """Check one client certificate file (leaf first, then what it presents) against Cloud's leaf rules.

    Returns facts: the leaf's subject and the bundle CA its chain ends at."""
    leaf = certs[0]
    where = "{0}: {1}".format(path, _subject(leaf))
    bc = basic_constraints(leaf)
    if bc is None:
        raise PKIError(option, "{0} has no basicConstraints extension; Temporal Cloud requires CA:false".format(where))
    if bc.ca:
        raise PKIError(option, "{0} is a CA certificate (CA:true); a client certificate must be CA:false".format(where))
    if "digital_signature" not in key_usage_names(leaf):
        raise PKIError(option, "{0} has no keyUsage digitalSignature, which Temporal Cloud requires".format(where))
    if leaf.not_valid_after_utc <= now:
        raise PKIError(option, "{0} expired on {1}".format(where, timestamp(leaf.not_valid_after_utc)))
    for cert in certs:
        problem = signature_problem(cert)
        if problem:
            raise PKIError(option, "{0}: {1} {2}".format(path, _subject(cert), problem))
    bundle_certs = [cert for _path, cert in bundle]
    chain = [leaf]
    anchor = None
    while anchor is None:
        current = chain[-1]
        anchor = _issuer_in(current, bundle_certs)
        if anchor is not None:
            break
        position = len(chain)
        if position < len(certs) and is_issued_by(current, certs[position]):
            chain.append(certs[position])
            continue
        raise PKIError(option, "{0}: the presented chain stops at {1} (issued by {2}) and no CA of the bundle issued it; the client "
                               "must present its chain up to a CA in the bundle".format(path, _subject(current), current.issuer.rfc4514_string()))
    issuer = chain[1] if len(chain) > 1 else anchor
    if leaf.not_valid_after_utc > issuer.not_valid_after_utc:
        raise PKIError(option, "{0} ends on {1}, after its issuer {2} ({3}); a leaf must expire before its CA".format(
            where, timestamp(leaf.not_valid_after_utc), _subject(issuer), timestamp(issuer.not_valid_after_utc)))
    # The whole path as Cloud builds it: what the client presents, then the bundle from the anchor up to a root.
    full = chain + [anchor]
    while not is_self_signed(full[-1]):
        above = _issuer_in(full[-1], bundle_certs)
        if above is None or above in full:
            break
        full.append(above)
    seen = {}
    for cert in full:
        name = _subject(cert).lower()
        if name in seen:
            raise PKIError(option, "{0}: two certificates of its chain have the distinguished name {1} (compared case-insensitively); "
                                   "Temporal Cloud requires every DN from leaf to root to be distinct".format(path, _subject(cert)))
        seen[name] = cert
    return dict(path=path, subject=_subject(leaf), not_after=timestamp(leaf.not_valid_after_utc),
                fingerprint_sha1=sha1_of(leaf), ca_fingerprint_sha1=sha1_of(anchor), ca_subject=_subject(anchor))


def normalize_filters(filters, option):
    """Validate filters (dicts keyed by the module's snake_case options) and return them keyed as tcld's JSON."""
    if len(filters) > MAX_FILTERS:
        raise PKIError(option, "{0} filters given; Temporal Cloud accepts at most {1} per namespace".format(len(filters), MAX_FILTERS))
    out = []
    seen = {}
    for index, entry in enumerate(filters):
        where = "{0}[{1}]".format(option, index)
        fields = {}
        for name, key in FILTER_FIELDS:
            value = (entry or {}).get(name)
            if value is None or not str(value).strip():
                continue
            value = str(value)
            _check_filter_value(value, "{0}.{1}".format(where, name))
            fields[key] = value
        if not fields:
            raise PKIError(where, "sets no field; give at least one non-blank {0}".format(", ".join(name for name, _key in FILTER_FIELDS)))
        identity = tuple(sorted((key, value.lower()) for key, value in fields.items()))
        if identity in seen:
            raise PKIError(where, "is the same filter as {0}[{1}] (values compare case-insensitively); Temporal Cloud rejects "
                                  "duplicates".format(option, seen[identity]))
        seen[identity] = index
        out.append(fields)
    return out


def _check_filter_value(value, where):
    stars = value.count("*")
    if stars == 0:
        return
    if value.strip() == "*":
        raise PKIError(where, "'*' alone would match every certificate; a wildcard needs a prefix or suffix")
    if stars > 1:
        raise PKIError(where, "'{0}' has {1} '*'; Temporal Cloud allows a single '*', at the start or the end".format(value, stars))
    if not (value.startswith("*") or value.endswith("*")):
        raise PKIError(where, "'{0}' has '*' in the middle; it may only be the first or the last character".format(value))


def filters_document(filters):
    """The bytes tcld namespace certificate-filters import reads."""
    return (json.dumps({"filters": filters}, indent=2) + "\n").encode("utf-8")


def read_filters_document(data):
    """The filters of an existing file, for the diff; None when it is not such a document."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(document, dict) and isinstance(document.get("filters"), list):
        return document["filters"]
    return None


def bundle_pem(bundle):
    return pem_of([cert for _path, cert in bundle])


def base64_of(data):
    return base64.b64encode(data).decode("ascii")


def _bundle_view(data):
    """The diff's view of a bundle file: facts of its certificates."""
    if data is None:
        return {}
    try:
        certs = load_pem_certificates(data, "path", "bundle")
    except PKIError:
        return {"certificates": "(not a PEM certificate bundle)"}
    return {"certificates": [{name: facts[name] for name in ("subject", "not_after", "fingerprint_sha1")}
                             for facts in (bundle_facts(cert) for cert in certs)]}


def _filters_view(data):
    if data is None:
        return {}
    filters = read_filters_document(data)
    return {"filters": filters if filters is not None else "(not a filters document)"}


class CloudBundleBackend(Backend):
    """temporal_cloud_ca_bundle's backend: the bundle and the filters, checked, and what to write of them."""

    def __init__(self, params, check_mode=False):
        self.params = params
        self.outputs = [("path", params["path"]), ("filters_path", params["filters_path"])]

    def plan(self):
        params, now = self.params, utcnow()
        plan = Plan()
        sources = read_sources([(path, read_required(path, "ca_paths")) for path in params["ca_paths"]], "ca_paths")
        bundle, duplicates = assemble(sources)
        validate_bundle(bundle, "ca_paths")
        expired = [dict(path=path, subject=cert.subject.rfc4514_string(), not_after=timestamp(cert.not_valid_after_utc))
                   for path, cert in expired_in(bundle, now)]
        plan.warnings = ["ca_paths: {path}: {subject} expired on {not_after}; Temporal Cloud rejects every client certificate it issued".format(**entry)
                         for entry in expired]
        clients = []
        for path in params["client_cert_paths"]:
            certs = load_pem_certificates(read_required(path, "client_cert_paths"), "client_cert_paths", path)
            clients.append(validate_client(path, certs, bundle, now, "client_cert_paths"))
        filters = normalize_filters(params["filters"], "filters") if params["filters"] is not None else None
        pem = bundle_pem(bundle)
        self._stage(plan, pem, filters)
        plan.result = dict(
            certificates=[bundle_facts(cert) for _path, cert in bundle],
            fingerprints=[sha1_of(cert) for _path, cert in bundle],
            bundle_base64=base64_of(pem),
            bundle_size=len(pem),
            duplicates=duplicates,
            expired=expired,
            clients=clients,
            filters=filters,
            path=params["path"],
            filters_path=params["filters_path"],
        )
        return plan

    def _stage(self, plan, pem, filters):
        plan.diff = []
        outputs = [("path", pem, _bundle_view)]
        if self.params["filters_path"]:
            outputs.append(("filters_path", filters_document(filters), _filters_view))
        for option, data, view in outputs:
            path = self.params[option]
            if not path:
                continue
            check_target(path, option)
            plan.attributes.append((path, None))
            current = read_optional(path, option)
            if current != data:
                plan.write(option, path, data)
                plan.diff.append(dict(before_header=path, after_header=path, before=view(current), after=view(data)))
