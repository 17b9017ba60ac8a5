# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: ca_bundle
short_description: A PEM CA bundle of the given certificates, the newest first
version_added: 0.1.0
description:
  - Joins the certificates of the given PEM texts into one CA bundle, ordered by C(notBefore), the newest first; the
    certificates that start at the same time keep the order they were given in.
  - Temporal's hot reload notices only a change of a CA file's first certificate, and
    M(mtls.temporal.temporal_tls_config) refuses a bundle whose first certificate is not its newest. A bundle built
    from fixed positions breaks that as soon as one of its CAs is renewed or rotated alone.
author:
  - mtls.temporal developers (!UNKNOWN)
options:
  _input:
    description: PEM texts, each holding one or more certificates and nothing else.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Write the clients bundle
  ansible.builtin.copy:
    dest: /etc/temporal/tls/frontend-clients-ca.pem
    content: "{{ query('ansible.builtin.file', 'clients-ca.pem', 'servers-ca.pem') | mtls.temporal.ca_bundle }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The bundle, each certificate in PEM with its trailing newline.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import ca_bundle_pem


def ca_bundle(pem_texts):
    if isinstance(pem_texts, (str, bytes)) or not isinstance(pem_texts, (list, tuple)):
        raise AnsibleFilterError("ca_bundle: expects a list of PEM texts, got {0}".format(type(pem_texts).__name__))
    try:
        return to_text(ca_bundle_pem([("item {0}".format(number), to_bytes(text)) for number, text in enumerate(pem_texts, start=1)], "ca_bundle"))
    except PKIError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"ca_bundle": ca_bundle}
