#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_served_certificate
short_description: Check that a Temporal listener serves the certificate that was shipped to it
version_added: 0.1.0
description:
  - Connects to a Temporal listener (a node's frontend or internode gRPC port) over TLS and compares the certificate
    it serves with the first certificate of O(expected_path), byte for byte. Hot reload picks a new certificate up
    within C(refreshInterval), so the module retries until O(timeout) before it fails, naming the address.
  - Nothing is verified against a CA, since the exact bytes of the shipped file are the stronger check. Changes nothing.
  - Needs only the Python standard library where it runs.
author:
  - mtls.temporal developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode it connects once and warns instead of failing, since the files were not shipped.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  address:
    description: The listener, C(host:port) (an IPv6 host in brackets).
    type: str
    required: true
  server_name:
    description: The SNI name to send, which picks a C(hostOverrides) certificate on a frontend. Unset sends none.
    type: str
  expected_path:
    description: The certificate (or chain) file whose first certificate the listener must serve.
    type: path
    required: true
  client_cert_path:
    description:
      - A client certificate chain to present when the listener asks for one. Under TLS 1.3 the served certificate
        arrives before the client's, so it is needed only against a TLS 1.2-only peer.
    type: path
  client_key_path:
    description: The key of O(client_cert_path).
    type: path
  timeout:
    description:
      - How long to wait for the listener to serve the expected certificate (a duration such as V(90s) or V(2m)).
        Longer than the server's C(refreshInterval) (default C(1m) in P(mtls.temporal.server_tls#role)).
    type: str
    default: 90s
seealso:
  - module: mtls.temporal.temporal_tls_files
  - module: mtls.temporal.temporal_tls_config
"""

EXAMPLES = r"""
---
- name: The frontend serves the certificate node_certs shipped
  mtls.temporal.temporal_served_certificate:
    address: 10.0.0.11:7233
    server_name: temporal.example.com
    expected_path: /etc/temporal/tls/frontend.pem

- name: History serves the new internode certificate, once hot reload has picked it up
  mtls.temporal.temporal_served_certificate:
    address: 10.0.0.12:7234
    expected_path: /etc/temporal/tls/internode.pem
    client_cert_path: /etc/temporal/tls/internode.pem
    client_key_path: /etc/temporal/tls/internode.key
    timeout: 2m
"""

RETURN = r"""
address:
  description: The listener.
  returned: always
  type: str
  sample: 10.0.0.11:7233
matched:
  description: Whether the listener serves the first certificate of O(expected_path).
  returned: always
  type: bool
  sample: true
expected_sha256:
  description: SHA-256 of the expected certificate (DER).
  returned: always
  type: str
  sample: 6f1c...
served_sha256:
  description: SHA-256 of the certificate served (DER); null when no TLS listener answered.
  returned: always
  type: str
  sample: 6f1c...
waited:
  description: Seconds spent waiting for the listener to serve it.
  returned: always
  type: int
  sample: 0
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.served import ServedCertificateBackend

OPTIONS = Options(
    dict(
        address=dict(type="str", required=True),
        server_name=dict(type="str"),
        expected_path=dict(type="path", required=True),
        client_cert_path=dict(type="path"),
        client_key_path=dict(type="path"),
        timeout=dict(type="str", default="90s"),
    ),
    required_together=[("client_cert_path", "client_key_path")],
)


def main():
    run(OPTIONS.module(files=False), ServedCertificateBackend)


if __name__ == "__main__":
    main()
