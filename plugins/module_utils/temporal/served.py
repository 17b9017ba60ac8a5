# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_served_certificate's backend: connect to a Temporal listener and compare the certificate it serves with a
file's first certificate, waiting for hot reload to pick a new one up. Standard library only, since it runs on the
nodes. Private to this collection: not a public API."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import first_certificate_der, read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.outputs import check_address
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import parse_duration

# Between two handshakes while waiting.
POLL_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 5


def served_certificate(host, port, server_name, client_cert, client_key):
    """The DER of the certificate the listener serves. Nothing is verified: the caller compares the bytes with the
    file the listener should serve, which is a stronger check than any chain could give."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Temporal's gRPC listeners refuse a TLS client that does not offer HTTP/2.
    context.set_alpn_protocols(["h2"])
    if client_cert:
        context.load_cert_chain(client_cert, client_key)
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS) as raw:
        with context.wrap_socket(raw, server_hostname=server_name or None) as tls:
            return tls.getpeercert(binary_form=True)


def _sha256(der):
    return hashlib.sha256(der).hexdigest()


class ServedCertificateBackend(Backend):
    needs = ()

    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.host, self.port = check_address(params["address"], "address")
        self.timeout = parse_duration(params["timeout"], "timeout").total_seconds()
        self.inputs = [("expected_path", params["expected_path"]), ("client_cert_path", params.get("client_cert_path")),
                       ("client_key_path", params.get("client_key_path"))]
        for option, path in self.inputs[1:]:
            if path:
                read_required(path, option)  # unreadable, it would fail every handshake until the timeout

    def plan(self):
        p = self.params
        expected = first_certificate_der(read_required(p["expected_path"], "expected_path"))
        if expected is None:
            raise PKIError("expected_path", "{0} holds no PEM certificate first".format(p["expected_path"]))
        started = time.monotonic()
        served, problem = None, None
        while True:
            try:
                served, problem = served_certificate(self.host, self.port, p.get("server_name"), p.get("client_cert_path"), p.get("client_key_path")), None
            except (OSError, ssl.SSLError) as exc:
                problem = str(exc)
            waited = time.monotonic() - started
            if served == expected or self.check_mode or waited + POLL_SECONDS > self.timeout:
                break
            time.sleep(POLL_SECONDS)
        plan = Plan()
        plan.result = dict(address=p["address"], matched=served == expected, expected_sha256=_sha256(expected),
                           served_sha256=_sha256(served) if served else None, waited=int(waited))
        if served == expected:
            return plan
        if served is None:
            message = "cannot reach a TLS listener at {0}: {1}".format(p["address"], problem)
        else:
            message = "{0} serves the certificate with SHA-256 {1}, not the first certificate of {2} ({3})".format(
                p["address"], _sha256(served), p["expected_path"], _sha256(expected))
        if self.check_mode:
            plan.warnings.append(message + "; in check mode the files are not shipped, so this may be expected")
            return plan
        raise PKIError("address" if served is None else "expected_path", "{0}, after waiting {1}s".format(message, int(waited)))
