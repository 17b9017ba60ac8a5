# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_csr's backend: keep a private key where it is and describe it by a CSR.
Private to this collection: not a public API."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._files import StagedFile, read_optional
from ansible_collections.mtls.temporal.plugins.module_utils._keys import (
    generate_private_key,
    key_file_needs_rewrite,
    key_type_of,
    load_private_key,
    public_key_sha256,
    same_public_key,
    serialize_private_key,
    signature_hash,
)
from ansible_collections.mtls.temporal.plugins.module_utils._names import build_subject

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:
    pass  # reported by _cryptography_dep.assert_required_cryptography_version


def _csr_file_matches(path, key):
    existing = read_optional(path, "csr_path")
    if existing is None:
        return False
    try:
        return same_public_key(x509.load_pem_x509_csr(existing).public_key(), key)
    except ValueError:
        return False


class CSRBackend:
    def __init__(self, params):
        self.params = params
        self.subject = build_subject(params)

    def plan(self):
        """(files to write, reason or None, detail, csr PEM text, key)."""
        p = self.params
        path = p["private_key_path"]
        pem = read_optional(path, "private_key_path")
        key, reason, detail = None, None, None
        if pem is not None:
            try:
                key = load_private_key(pem, None, "private_key_path", path)
            except PKIError:
                if not p["force"]:
                    raise
                reason, detail = "forced", "unreadable private key replaced (force)"
        if key is None:
            reason = reason or "created"
            detail = detail or "no private key at {0}".format(path)
        elif p["force"]:
            reason, detail = "forced", "force is set"
        elif key_type_of(key) != p["key_type"]:
            reason, detail = "drift", "key type is {0}, {1} asked".format(key_type_of(key) or "unsupported", p["key_type"])
        files = []
        if reason is not None:
            key = generate_private_key(p["key_type"])
            files.append(StagedFile("private_key_path", path, serialize_private_key(key, p["private_key_format"]), True))
        else:
            rewrite = key_file_needs_rewrite(pem, key, p["private_key_format"], None)
            if rewrite:
                detail = rewrite
                files.append(StagedFile("private_key_path", path, serialize_private_key(key, p["private_key_format"]), True))
        csr = x509.CertificateSigningRequestBuilder().subject_name(self.subject).sign(key, signature_hash(key))
        csr_pem = csr.public_bytes(serialization.Encoding.PEM)
        if p.get("csr_path") and (reason is not None or not _csr_file_matches(p["csr_path"], key)):
            files.append(StagedFile("csr_path", p["csr_path"], csr_pem, False))
        return files, reason, detail, csr_pem.decode("ascii"), key

    @staticmethod
    def key_facts(key):
        return dict(key_type=key_type_of(key), public_key_sha256=public_key_sha256(key))
