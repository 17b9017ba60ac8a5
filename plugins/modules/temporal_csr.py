#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_csr
short_description: Keep a private key on its host and return a CSR for it
version_added: 0.1.0
description:
  - Creates the private key where the module runs (a Temporal node) if it is missing, keeps it otherwise,
    and returns a certificate signing request for it. The key never leaves the host; the CSR goes to
    M(mtls.temporal.temporal_leaf) or M(mtls.temporal.temporal_leaf_batch) (O(mtls.temporal.temporal_leaf#module:csr_content))
    on the controller, and only the certificate comes back.
  - The CSR is made fresh on every run (ECDSA signatures differ each time); signers decide from its public key,
    so an unchanged key never causes a reissue.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._issue.attributes
  - mtls.temporal._writer
  - mtls.temporal._subject
attributes:
  vault:
    support: none
options:
  private_key_path:
    description: The private key. Created (mode O(private_key_mode) from the start) when missing.
    type: path
    required: true
  key_type:
    description: Key algorithm and size; a key of another type is replaced.
    type: str
    default: ecdsa-p256
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519]
  private_key_format:
    description: V(pkcs8) or V(traditional) PEM.
    type: str
    default: pkcs8
    choices: [pkcs8, traditional]
  private_key_mode:
    description: Mode of the key file.
    type: str
    default: "0600"
  csr_path:
    description: Also keep the CSR in this file (rewritten when the key changes).
    type: path
  force:
    description: Replace the key (key rotation), also when it is unreadable.
    type: bool
    default: false
  backup:
    description: Keep the replaced key as a timestamped copy next to it.
    type: bool
    default: false
seealso:
  - module: mtls.temporal.temporal_leaf_batch
"""

EXAMPLES = r"""
---
- name: Key on the node, CSR for the controller
  mtls.temporal.temporal_csr:
    private_key_path: /etc/temporal/tls/internode.key
  register: internode_csr

- name: Sign it on the controller
  mtls.temporal.temporal_leaf:
    profile: internode
    csr_content: "{{ internode_csr.csr }}"
    path: "/srv/pki/nodes/{{ inventory_hostname }}/internode.pem"
    ca_path: /srv/pki/servers-ca.pem
    ca_private_key_path: /srv/pki/servers-ca.key
    dns_names: [internode.temporal.example.com]
  delegate_to: localhost
"""

RETURN = r"""
csr:
  description: The CSR, PEM. Public; safe to pass to the controller.
  returned: always
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB...\n-----END CERTIFICATE REQUEST-----\n"
reason:
  description: Why the key was made (V(created), V(drift), V(forced)), or null when it was kept.
  returned: always
  type: str
  sample: created
reason_detail:
  description: What triggered it, in words.
  returned: always
  type: str
  sample: no private key at /etc/temporal/tls/internode.key
key_type:
  description: Type of the key.
  returned: always
  type: str
  sample: ecdsa-p256
public_key_sha256:
  description: SHA-256 of the public key (SubjectPublicKeyInfo); names the key without revealing it.
  returned: always
  type: str
  sample: 3b1f0e5d6c7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c
private_key_path:
  description: The key path.
  returned: always
  type: str
  sample: /etc/temporal/tls/internode.key
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import CSR
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.csr import CSRBackend


def main():
    run(CSR.module(), CSRBackend)


if __name__ == "__main__":
    main()
