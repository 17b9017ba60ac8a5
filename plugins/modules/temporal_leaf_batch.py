#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_leaf_batch
short_description: Issue many Temporal leaf certificates from one CA in one run
version_added: 0.1.0
description:
  - Does what M(mtls.temporal.temporal_leaf) does, for a list of certificates signed by the same CA, in one
    module run. A fleet's certificates are then issued by one process on the controller instead of one
    process per certificate, and the CA key is opened once.
  - Every certificate is planned before any file is written, so one bad entry fails the run and writes nothing.
  - Consecutive certificates whose files are all in one directory are written together as one transaction, up to 500
    of them. Each is then whole (old or new, never a mix) even if the run is killed, and the disk syncs that make
    a transaction durable are paid once for the group. A write that fails (a full disk) writes none of its group;
    the result lists the certificates written before it.
  - Renewal decisions, check mode, diffs, file safety and results per certificate are those of
    M(mtls.temporal.temporal_leaf).
  - With O(issuer=vault) one Vault or OpenBao PKI role (O(vault_role)) signs every certificate of the batch, as
    M(mtls.temporal.temporal_leaf) does with O(issuer=vault); the keys are made where the module runs. A role
    serves one Temporal profile (see C(docs/vault-issuer.md)), so run the module once per role, for example
    once for the internode and once for the frontend certificates.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
  - hvac (only for O(issuer=vault))
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._issue.attributes
  - mtls.temporal._writer
  - mtls.temporal._vault
attributes:
  vault:
    support: none
options:
  certificates:
    description:
      - The certificates. Each item takes the options of M(mtls.temporal.temporal_leaf) (see its documentation),
        except those set once for the batch (O(ca_path), O(ca_private_key_path), O(ca_private_key_passphrase),
        O(pkcs12_passphrase), O(backup), O(issuer) and the C(vault_*) options) and the file attribute options (O(mode), O(owner), O(group) and so on),
        which apply to every certificate.
    type: list
    elements: dict
    required: true
  ca_path:
    description:
      - The issuing CA certificate (first in the file), followed by its chain.
      - Required when O(issuer=local) and a certificate has C(state=present); not allowed with O(issuer=vault).
    type: path
  ca_private_key_path:
    description:
      - The issuing CA's private key.
      - Required when O(issuer=local) and a certificate has C(state=present); not allowed with O(issuer=vault).
    type: path
  ca_private_key_passphrase:
    description: Passphrase of the CA key.
    type: str
  pkcs12_passphrase:
    description: Passphrase of every PKCS#12 file of the batch; empty writes unencrypted files, from which Java's KeyStore reads no key.
    type: str
    default: ""
  backup:
    description: Keep each replaced or removed file as a timestamped copy next to it.
    type: bool
    default: false
  create_dirs:
    description: Create missing parent directories of the files (mode C(0700)), for example one per host.
    type: bool
    default: false
  compact_result:
    description:
      - List only the certificates that changed in RV(certificates), each with C(path), C(reason) and
        C(reason_detail) but not its other facts, leave RV(written) out, and echo O(certificates) in the result's
        C(invocation) as its length instead of every entry.
      - For fleets, where the full result of thousands of certificates would be carried to the controller and
        printed with C(-v) on every run, also when nothing changed. A failed run still returns everything.
    type: bool
    default: false
notes:
  - With O(issuer=vault), the mount's CA chain is read for every certificate and C(sign/<vault_role>) is called
    only for those created or reissued; check mode never calls it.
seealso:
  - module: mtls.temporal.temporal_leaf
  - name: Vault PKI secrets engine API
    description: The sign endpoint; C(docs/vault-issuer.md) sets up one role per Temporal profile and shows a fleet.
    link: https://developer.hashicorp.com/vault/api-docs/secret/pki
"""

EXAMPLES = r"""
---
- name: Two client identities
  mtls.temporal.temporal_leaf_batch:
    ca_path: /etc/temporal-pki/clients-ca.pem
    ca_private_key_path: /etc/temporal-pki/clients-ca.key
    certificates:
      - profile: client
        common_name: payments
        path: /srv/pki/clients/payments.pem
        private_key_path: /srv/pki/clients/payments.key
      - profile: client
        common_name: billing
        path: /srv/pki/clients/billing.pem
        private_key_path: /srv/pki/clients/billing.key
        validity: 90d

- name: Every node's frontend certificate, signed by the Vault role for the frontend profile
  mtls.temporal.temporal_leaf_batch:
    issuer: vault
    vault_url: https://vault.example.com:8200
    vault_mount: pki_temporal
    vault_role: temporal-frontend
    vault_token: "{{ temporal_vault_token }}"
    create_dirs: true
    certificates:
      - profile: frontend
        path: /srv/pki/nodes/node1/frontend.pem
        private_key_path: /srv/pki/nodes/node1/frontend.key
        chain_path: /srv/pki/nodes/node1/frontend-chain.pem
        dns_names: [node1.temporal.example.com, temporal.example.com]
      - profile: frontend
        path: /srv/pki/nodes/node2/frontend.pem
        private_key_path: /srv/pki/nodes/node2/frontend.key
        chain_path: /srv/pki/nodes/node2/frontend-chain.pem
        dns_names: [node2.temporal.example.com, temporal.example.com]
"""

RETURN = r"""
certificates:
  description:
    - One result per certificate, in the order given, with the facts M(mtls.temporal.temporal_leaf) returns.
    - With O(compact_result=true), only the certificates that changed, and of each only C(path), C(reason) and
      C(reason_detail).
  returned: always
  type: list
  elements: dict
  contains:
    changed:
      description: Whether a file of this certificate was (or would be) written or changed.
      type: bool
      sample: true
    reason:
      description: Why the certificate was issued, or null.
      type: str
      sample: created
    reason_detail:
      description: What triggered it, in words.
      type: str
      sample: no certificate there yet
    path:
      description: The certificate path.
      type: str
      sample: /srv/pki/clients/payments.pem
    subject:
      description: Subject DN.
      type: str
      sample: CN=payments
    not_after:
      description: End of validity.
      type: str
      sample: "2027-11-24T06:00:00Z"
    fingerprint_sha256:
      description: SHA-256 fingerprint.
      type: str
      sample: 0c3f9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
    removed:
      description: For C(state=absent), the files removed (or, in check mode, to be removed).
      type: list
      elements: str
      sample: [/srv/pki/clients/payments.pem, /srv/pki/clients/payments.key]
written:
  description: Every file written (or, in check mode, to be written).
  returned: unless O(compact_result=true)
  type: list
  elements: str
  sample: [/srv/pki/clients/payments.key, /srv/pki/clients/payments.pem]
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import BATCH, batch_entries
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run_batch
from ansible_collections.mtls.temporal.plugins.module_utils.x509.vault import LEAF_BACKENDS


def main():
    module = BATCH.module()
    run_batch(module, LEAF_BACKENDS[module.params["issuer"]], batch_entries(module))


if __name__ == "__main__":
    main()
