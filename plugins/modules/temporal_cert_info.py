#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_cert_info
short_description: Read the certificates in PEM files and report their facts
version_added: 0.1.0
description:
  - Reads every certificate of every given PEM file (a leaf, a chain or a CA bundle) where the module runs and
    returns parsed facts, including the days left and the issuing certificate's identifiers, for expiry reports,
    rotation checks and audits. Changes nothing.
  - With O(issuer_path) or O(issuer_content), also says for each first certificate of a file whether one of those CAs
    issued it.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description:
      - The PEM file to read, or a list of them. A missing file is reported, not an error.
      - C(paths) is the name this option had before it took C(path) like every other module of the collection.
    type: list
    elements: path
    required: true
    aliases: [paths]
  issuer_path:
    description:
      - A file of CA certificates; each file's first certificate is checked against every one of them.
      - A bundle of several CAs (as the current clients intermediates when there are client groups) answers whether any of
        them issued it; a chain file also counts its root.
    type: path
  issuer_content:
    description:
      - The PEM of the CA certificates, for O(issuer_path)'s check where the CA file is not on the host, as when the
        controller's CA (read with a C(file) lookup) checks what a node has deployed.
      - Mutually exclusive with O(issuer_path).
    type: str
seealso:
  - module: mtls.temporal.temporal_leaf
"""

EXAMPLES = r"""
---
- name: Which node certificates the new servers CA has not issued yet
  mtls.temporal.temporal_cert_info:
    path: "{{ query('ansible.builtin.fileglob', '/srv/temporal-pki/nodes/*/internode.pem') }}"
    issuer_path: /srv/temporal-pki/servers-ca.pem
  register: leaves
  delegate_to: localhost

- name: Whether the controller's servers CA issued what this node serves
  mtls.temporal.temporal_cert_info:
    path: [/etc/temporal/tls/internode.pem, /etc/temporal/tls/frontend.pem]
    issuer_content: "{{ lookup('ansible.builtin.file', '/srv/temporal-pki/servers-ca.pem') }}"
  register: deployed
"""

RETURN = r"""
files:
  description: One entry per file of O(path), in order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /etc/temporal/tls/internode.pem
    exists:
      description: Whether the file exists.
      type: bool
      sample: true
    issued_by_issuer:
      description: Whether a CA of O(issuer_path) or O(issuer_content) issued the file's first certificate; null without either.
      type: bool
      sample: true
    certificates:
      description: Facts of every certificate in the file (as M(mtls.temporal.temporal_leaf) returns them), plus C(days_left).
      type: list
      elements: dict
      sample: [{subject: CN=internode.temporal.example.com, not_after: "2027-11-24T06:00:00Z", days_left: 364}]
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import CertInfoBackend


OPTIONS = Options(
    dict(path=dict(type="list", elements="path", required=True, aliases=["paths"]), issuer_path=dict(type="path"), issuer_content=dict(type="str")),
    mutually_exclusive=[("issuer_path", "issuer_content")],
)


def main():
    run(OPTIONS.module(files=False), CertInfoBackend)


if __name__ == "__main__":
    main()
