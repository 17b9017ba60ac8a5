# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each Temporal certificate must carry. The one place these facts live.
Private to this collection: not a public API.

Sources: Temporal's server TLS docs and code (internode certs are presented as client certs too, so
they need serverAuth and clientAuth), Temporal Cloud's certificate requirements (CA:false and
digitalSignature on leaves, CA:true on CAs, SHA-256 or stronger, distinct DNs along the chain)."""

from __future__ import annotations

import collections

try:
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

LeafProfile = collections.namedtuple(
    "LeafProfile", ["name", "server_auth", "client_auth", "needs_san", "needs_common_name", "description"]
)

LEAF_PROFILES = {
    "internode": LeafProfile(
        "internode", True, True, True, False, "node-to-node server and client certificate"
    ),
    "frontend": LeafProfile("frontend", True, False, True, False, "public frontend server certificate"),
    "client": LeafProfile("client", False, True, False, True, "SDK, worker or CLI client identity"),
    "worker": LeafProfile("worker", False, True, False, True, "server system-worker client identity"),
}

# keyUsage of a CA: keyCertSign and cRLSign to issue, digitalSignature as tcld and the Temporal samples set.
CA_KEY_USAGE = {"digital_signature": True, "key_cert_sign": True, "crl_sign": True}


def leaf_key_usage(profile, key_family):
    """digitalSignature always; keyEncipherment too for RSA server keys (TLS 1.2 RSA key transport)."""
    usage = {"digital_signature": True}
    if profile.server_auth and key_family == "rsa":
        usage["key_encipherment"] = True
    return usage


def leaf_extended_key_usage(profile):
    usages = []
    if profile.server_auth:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if profile.client_auth:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    return usages
