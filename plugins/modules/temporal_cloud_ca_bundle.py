#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_cloud_ca_bundle
short_description: Build and check a Temporal Cloud namespace's accepted client CA bundle and certificate filters
version_added: 0.1.0
description:
  - Builds the accepted client CA bundle of a Temporal Cloud namespace from CA files (during a rotation the old
    and the new CAs), de-duplicated by fingerprint and with the newest CA (latest C(notBefore)) first, and writes
    it to O(path) for C(tcld namespace accepted-client-ca add|set --ca-certificate-file).
  - Before anything is written, checks the bundle against Temporal Cloud's rules and fails naming the file,
    the certificate and the rule it breaks. At most 16 certificates and 32 KB (32768 bytes) of PEM before
    base64. Every certificate CA:true. RSA or ECDSA signatures with SHA-256 or stronger (SHA-1 and MD5
    are rejected). Each certificate a root or issued by another certificate of the bundle.
  - With O(client_cert_paths), also checks client certificate files against Cloud's rules for client
    certificates. The first certificate of a file must be CA:false with keyUsage digitalSignature, SHA-256+,
    unexpired, and must not outlive its issuer. The file must present the chain up to a CA of the bundle,
    and every distinguished name from the leaf to the root must be distinct (case-insensitively).
  - With O(filters), checks and writes the certificate filters JSON that C(tcld namespace certificate-filters
    import --certificate-filter-file) reads. At most 25 filters, each with at least one non-blank field and no
    two alike. A value may hold a single C(*), as its first or its last character, and never alone.
  - Returns the SHA-1 fingerprints tcld names CAs by (lowercase hex) and the bundle in base64 (what
    C(--ca-certificate) takes). Without O(path) and O(filters_path) it only checks and reports.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._writer
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Diffs show each file's parsed facts (subjects, validity, fingerprints) or its filters, never PEM.
options:
  ca_paths:
    description:
      - PEM files of the CA certificates the namespace accepts, each holding one or more certificates. During a
        rotation give the old and the new CAs; the order does not matter, the newest CA comes first in the bundle.
      - Certificates that appear more than once (same SHA-256 fingerprint) are kept once and listed in RV(duplicates).
    type: list
    elements: path
    required: true
  path:
    description:
      - Where to write the bundle (PEM). Omit it to only check the CAs and get the fingerprints and the base64.
      - Written atomically and only when its content changes; mode 0644 unless O(mode) says otherwise.
    type: path
  client_cert_paths:
    description:
      - Client certificate files (a leaf followed by the chain the client presents, such as
        C(clients/<name>/client-chain.pem) of M(mtls.temporal.temporal_leaf)) to check against Cloud's rules for
        client certificates and against the bundle. They are only read.
    type: list
    elements: path
    default: []
  filters:
    description:
      - Certificate filters for the namespace; a client certificate is accepted when it matches every field one
        filter sets. Values compare case-insensitively; a single C(*) as the first or last character is a
        wildcard.
      - Requires O(filters_path).
    type: list
    elements: dict
    suboptions:
      common_name:
        description: The subject's common name (tcld C(commonName)).
        type: str
      organization:
        description: The subject's organization (tcld C(organization)).
        type: str
      organizational_unit:
        description: The subject's organizational unit (tcld C(organizationalUnit)).
        type: str
      subject_alternative_name:
        description: A subject alternative name of the certificate (tcld C(subjectAlternativeName)).
        type: str
  filters_path:
    description:
      - Where to write the filters as C({"filters":[{"commonName":...}]}) for C(tcld namespace certificate-filters
        import). Requires O(filters); V([]) writes an empty list.
    type: path
  backup:
    description: Keep a timestamped copy of a file before replacing it.
    type: bool
    default: false
notes:
  - Temporal Cloud does not document key sizes or curves for CAs; this module does not check them.
  - A well-known public CA is accepted by Temporal Cloud only together with certificate filters.
seealso:
  - module: mtls.temporal.temporal_ca
  - module: mtls.temporal.temporal_cert_info
  - name: Temporal Cloud certificates
    description: Cloud's requirements for CA and client certificates, and certificate filters.
    link: https://docs.temporal.io/cloud/certificates
"""

EXAMPLES = r"""
---
- name: Bundle of the old and the new clients CA for the payments namespace, checked with its identities
  mtls.temporal.temporal_cloud_ca_bundle:
    ca_paths:
      - /srv/temporal-pki/old/clients-ca.pem
      - /srv/temporal-pki/old/root-ca.pem
      - /srv/temporal-pki/clients-ca.pem
      - /srv/temporal-pki/root-ca.pem
    path: /srv/temporal-pki/cloud/payments-ca-bundle.pem
    client_cert_paths:
      - /srv/temporal-pki/clients/payments/client-chain.pem
    filters:
      - common_name: payments
        organization: Example Corp
      - subject_alternative_name: "*.workers.example.com"
    filters_path: /srv/temporal-pki/cloud/payments-filters.json
  register: cloud_bundle
  delegate_to: localhost

- name: Upload it (tcld names the CAs by these SHA-1 fingerprints)
  ansible.builtin.command:
    argv: [tcld, --idempotent, namespace, accepted-client-ca, set, --namespace, payments.a1b2c,
           --ca-certificate-file, /srv/temporal-pki/cloud/payments-ca-bundle.pem]
  when: cloud_bundle.changed
  changed_when: true
  delegate_to: localhost

- name: Only check a bundle
  mtls.temporal.temporal_cloud_ca_bundle:
    ca_paths: [/srv/temporal-pki/clients-ca.pem, /srv/temporal-pki/root-ca.pem]
"""

RETURN = r"""
certificates:
  description: Facts of the bundle's certificates, in bundle order (newest first).
  returned: always
  type: list
  elements: dict
  sample:
    - subject: CN=Example Temporal Clients CA,O=Example Corp
      issuer: CN=Example Temporal Root CA,O=Example Corp
      not_before: "2026-01-01T00:00:00Z"
      not_after: "2030-12-31T00:00:00Z"
      fingerprint_sha1: 5f0c2b1e9a4d7c3b8e6f1a2d4c5b6a7e8f9d0c1b
      fingerprint_sha256: 0d9c...e1
      is_root: false
fingerprints:
  description: Lowercase hex SHA-1 fingerprints of the bundle's certificates, in bundle order; tcld names CAs by them.
  returned: always
  type: list
  elements: str
  sample: [5f0c2b1e9a4d7c3b8e6f1a2d4c5b6a7e8f9d0c1b]
bundle_base64:
  description: The bundle's PEM in base64, as C(tcld namespace accepted-client-ca ... --ca-certificate) takes it.
  returned: always
  type: str
  sample: LS0tLS1CRUdJTi...
bundle_size:
  description: Bytes of PEM in the bundle (Temporal Cloud's limit is 32768).
  returned: always
  type: int
  sample: 1478
duplicates:
  description: Certificates left out because an identical one (same fingerprint) was already in the bundle.
  returned: always
  type: list
  elements: dict
  sample: [{path: /srv/temporal-pki/clients-ca-chain.pem, subject: CN=Root, fingerprint_sha1: 9a..., same_as: /srv/root.pem}]
expired:
  description: CA certificates of the bundle that have expired (a warning, not an error; Cloud rejects what they issued).
  returned: always
  type: list
  elements: dict
  sample: [{path: /srv/temporal-pki/old/clients-ca.pem, subject: CN=Old Clients CA, not_after: "2026-01-01T00:00:00Z"}]
clients:
  description: Each checked client certificate, and the bundle CA its chain ends at.
  returned: always
  type: list
  elements: dict
  sample: [{path: /srv/temporal-pki/clients/payments/client-chain.pem, subject: CN=payments, ca_fingerprint_sha1: 5f0c...}]
filters:
  description: The filters as written, keyed as tcld's JSON; null without O(filters).
  returned: always
  type: list
  elements: dict
  sample: [{commonName: payments, organization: Example Corp}]
path:
  description: O(path).
  returned: always
  type: str
filters_path:
  description: O(filters_path).
  returned: always
  type: str
backup_files:
  description: Backup copies made, by option.
  returned: when O(backup) made one
  type: dict
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.cloud import FILTER_FIELDS, CloudBundleBackend


OPTIONS = Options(
    dict(
        ca_paths=dict(type="list", elements="path", required=True),
        path=dict(type="path"),
        client_cert_paths=dict(type="list", elements="path", default=[]),
        filters=dict(type="list", elements="dict", options={name: dict(type="str") for name, _key in FILTER_FIELDS}),
        filters_path=dict(type="path"),
        backup=dict(type="bool", default=False),
    ),
    required_together=[("filters", "filters_path")],
)


def main():
    run(OPTIONS.module(), CloudBundleBackend)


if __name__ == "__main__":
    main()
