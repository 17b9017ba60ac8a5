#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_revocation
short_description: Revoke a client group, or the one identity of a group, of the pki role's PKI
version_added: 0.1.0
description:
  - Temporal checks no CRL and no OCSP, so a frontend accepts every client certificate a CA of its C(clientCaFiles)
    issued until it expires. The only revocation that takes effect is to stop trusting the issuing CA, so the unit of
    revocation is a client group (its own intermediate, from O(mtls.temporal.pki#role:main:pki_client_groups) or an identity's
    C(own_client_group)).
  - Records the group and every identity its CA issued (the controller's copies in O(identities_dir), and the
    O(identities) of the group), with serial numbers, subjects and fingerprints, in C(<pki_dir>/revoked.json); keeps
    the CA's certificate in C(<pki_dir>/revoked/); and removes the CA's certificate, chain and key from O(pki_dir), so
    nothing signs with it again. The pki role then leaves the group out of every trust bundle and never makes its CA
    again; the client_certs role refuses to issue its identities. Shipping the bundles and restarting the nodes
    (hot reload cannot see a CA leave a bundle unless it was the first) is the playbook C(mtls.temporal.revoke)'s job.
  - Refuses, naming the way out, an O(identity) that shares its CA with other identities (revoking the CA would cut
    them off too) or that the shared clients CA signed; and refuses while a CA rotation holds the group's CA.
  - With O(cloud), for a Temporal Cloud namespace, which also filters clients by certificate fields, only the
    O(identity) is recorded and RV(cloud_filters) lists the certificate filters that admit every other identity of
    O(identities_dir) and no revoked one, for M(mtls.temporal.temporal_cloud_ca_bundle)'s O(mtls.temporal.temporal_cloud_ca_bundle#module:filters).
  - A second run changes nothing. See C(docs/revocation.md).
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
    support: full
    details:
      - The diff is the revocation record before and after (names, subjects, serial numbers, fingerprints), never PEM.
  platform:
    platforms: posix
options:
  pki_dir:
    description: The pki role's directory on the controller (its O(mtls.temporal.pki#role:main:pki_dir)).
    type: path
    required: true
  client_group:
    description: The client group to revoke. Exactly one of O(client_group) and O(identity).
    type: str
  identity:
    description:
      - The identity (a C(name) of O(identities)) to revoke. Without O(cloud) it must be the one identity of its
        client group; the group is revoked with it.
    type: str
  identities:
    description:
      - The client_certs role's identities (its C(client_certs_identities)), to find an identity's group and the
        identities that share it.
    type: list
    elements: dict
    default: []
  identities_dir:
    description:
      - Where the client_certs role keeps the identities on the controller (its C(client_certs_dir)); each
        C(<name>/client.pem) the group's CA issued is recorded. Default C(<pki_dir>/clients).
    type: path
  reason:
    description: Why, kept in the record.
    type: str
    default: ""
  cloud:
    description:
      - The clients are those of a Temporal Cloud namespace. Only O(identity) is recorded, no CA is retired, and
        RV(cloud_filters) lists the filters that keep the revoked identities out. Fails when an identity left cannot
        be told apart from a revoked one by its common name and names, or more than 25 filters would be needed.
    type: bool
    default: false
seealso:
  - module: mtls.temporal.temporal_cloud_ca_bundle
"""

EXAMPLES = r"""
- name: Revoke the accounting client group
  mtls.temporal.temporal_revocation:
    pki_dir: /srv/temporal-pki
    client_group: accounting
    reason: laptop lost
  delegate_to: localhost

- name: Revoke an identity that has a group of its own
  mtls.temporal.temporal_revocation:
    pki_dir: /srv/temporal-pki
    identity: billing-worker
    identities: "{{ client_certs_identities }}"
  delegate_to: localhost

- name: Keep a revoked identity out of a Temporal Cloud namespace
  mtls.temporal.temporal_revocation:
    pki_dir: /srv/temporal-pki
    identity: billing-worker
    identities: "{{ client_certs_identities }}"
    cloud: true
  register: revoked
  delegate_to: localhost

- name: Apply the filters to the namespace's files
  mtls.temporal.temporal_cloud_ca_bundle:
    ca_paths: [/srv/temporal-pki/clients-ca.pem]
    filters: "{{ revoked.cloud_filters }}"
    filters_path: /srv/temporal-pki/cloud/filters.json
  delegate_to: localhost
"""

RETURN = r"""
client_group:
  description: The revoked client group (with O(cloud), the identity's group, which stays trusted).
  returned: success
  type: str
identities:
  description: The identities revoked with it.
  returned: success
  type: list
  elements: str
record:
  description: The whole revocation record, as written.
  returned: success
  type: dict
  sample:
    client_groups:
      accounting: {revoked_at: "2026-12-07T08:00:00Z", reason: laptop lost, ca: {subject: "CN=Temporal Clients CA (accounting),O=Temporal"}}
    identities:
      ledger: {client_group: accounting, revoked_at: "2026-12-07T08:00:00Z", reason: laptop lost, certificates: []}
path:
  description: The record's file.
  returned: success
  type: str
cloud_filters:
  description: With O(cloud), the filters that admit every identity left and no revoked one.
  returned: with O(cloud)
  type: list
  elements: dict
  sample: [{common_name: payments}, {common_name: billing, subject_alternative_name: reports.billing.internal}]
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.revocation import RevocationBackend

OPTIONS = Options(
    dict(
        pki_dir=dict(type="path", required=True),
        client_group=dict(type="str"),
        identity=dict(type="str"),
        identities=dict(type="list", elements="dict", default=[]),
        identities_dir=dict(type="path"),
        reason=dict(type="str", default=""),
        cloud=dict(type="bool", default=False),
    ),
    mutually_exclusive=[("client_group", "identity")],
)


def main():
    run(OPTIONS.module(files=False), RevocationBackend)


if __name__ == "__main__":
    main()
