#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_key_vault_certificate
short_description: Keep a Temporal certificate in Azure Key Vault, its key made there and signed by your CA
version_added: 0.1.0
description:
  - "The steps of a certificate whose key Azure Key Vault makes and never lets out, signed by a CA of this
    collection. O(state=requested): Key Vault holds a current certificate for the profile, or a pending request;
    the module returns the CSR to sign (RV(csr)), or null when nothing is due. Sign it with
    M(mtls.temporal.temporal_leaf) (O(mtls.temporal.temporal_leaf#module:csr_content) and
    O(mtls.temporal.temporal_leaf#module:csr_must_match=true)), then O(state=merged) merges the signed chain
    into the pending request. O(state=imported) imports a certificate with its key, such as the CA."
  - The certificate policy comes from the leaf profile (see C(docs/certificate-profiles.md)) - subject, DNS and IP
    SANs, extendedKeyUsage, keyUsage (keyEncipherment only for RSA server keys), a key of O(key_type) that cannot
    be exported, no key reuse, and issuer C(Unknown), so Key Vault leaves a pending request with a CSR.
  - A new version is requested only when Key Vault has none, its current certificate was not issued by
    O(ca_path), differs from the profile, subject, SANs or key type, or is inside O(renew_before), or with
    O(force). A pending request that differs is deleted and made anew. Otherwise nothing is written to Key Vault.
  - Credentials come from O(azure_client_secret) with O(azure_tenant_id) and O(azure_client_id), or else from
    the sources C(DefaultAzureCredential) reads (E(AZURE_CLIENT_ID), E(AZURE_CLIENT_SECRET), E(AZURE_TENANT_ID),
    workload identity, a managed identity, C(az login)). No secret is returned or shown.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
  - azure-keyvault-certificates >= 4.11 (the first with IP SANs in a policy)
  - azure-identity
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mtls.temporal._subject
attributes:
  check_mode:
    support: full
    details:
      - Reports what would be requested, merged or imported, without asking Key Vault to; a new request has no CSR
        yet in check mode.
  diff_mode:
    support: full
    details:
      - Parsed facts of Key Vault's current certificate and pending request, and of what replaces them.
  platform:
    platforms: posix
  idempotent:
    description:
      - When run twice in a row with the same inputs, the second run reports no change and writes nothing to Key Vault.
    support: full
options:
  key_vault_url:
    description: The vault's URL, such as C(https://my-vault.vault.azure.net).
    type: str
    required: true
  name:
    description: Name of the certificate in Key Vault.
    type: str
    required: true
  state:
    description:
      - V(requested) - a current certificate or a pending request; V(merged) - the chain in O(chain_path) merged
        into the pending request; V(imported) - a certificate and its key imported.
    type: str
    default: requested
    choices: [requested, merged, imported]
  profile:
    description: The Temporal role the certificate serves (O(state=requested)).
    type: str
    choices: [internode, frontend, client, worker]
  dns_names:
    description: DNS SANs the policy asks for (O(state=requested)); the same as given to M(mtls.temporal.temporal_leaf).
    type: list
    elements: str
    default: []
  ip_addresses:
    description: IP SANs the policy asks for (O(state=requested)).
    type: list
    elements: str
    default: []
  key_type:
    description: The key Key Vault makes. Key Vault makes no Ed25519 keys.
    type: str
    default: ecdsa-p256
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096]
  hsm:
    description: Make the key in an HSM (C(EC-HSM), C(RSA-HSM)), which a Premium vault or a Managed HSM offers.
    type: bool
    default: false
  validity:
    description:
      - Lifetime the certificate gets from M(mtls.temporal.temporal_leaf) (give both the same); the policy's
        whole months are this, rounded up. The certificate's not_after is the CA's signature's.
    type: str
    default: 365d
  renew_before:
    description: Request a new version this long before not_after, as a duration or a share of the lifetime.
    type: str
    default: 33%
  ca_path:
    description: The CA certificate (PEM) that signs; required with O(state=requested).
    type: path
  force:
    description: Request a new version even if the current one stands (a pending request that fits is replaced).
    type: bool
    default: false
  chain_path:
    description:
      - With O(state=merged), the signed chain (PEM) - the certificate first, then its intermediates, as
        M(mtls.temporal.temporal_leaf) writes to its O(mtls.temporal.temporal_leaf#module:chain_path).
    type: path
  certificate_path:
    description: With O(state=imported), the certificate (PEM, then its chain) to import, such as the CA's.
    type: path
  private_key_path:
    description:
      - With O(state=imported), its private key; the PKCS#12 sent to Key Vault is made in memory, encrypted with a
        password made for that one request, and never written.
    type: path
  private_key_passphrase:
    description: Passphrase of O(private_key_path).
    type: str
  pkcs12_path:
    description: With O(state=imported), a PKCS#12 (.pfx) file to import instead of O(certificate_path) and O(private_key_path).
    type: path
  pkcs12_passphrase:
    description: Password of O(pkcs12_path) (none when unset).
    type: str
  azure_tenant_id:
    description: Tenant of the service principal of O(azure_client_secret).
    type: str
  azure_client_id:
    description: Client ID of a service principal (with O(azure_client_secret)) or of a user-assigned managed identity.
    type: str
  azure_client_secret:
    description: Secret of the service principal O(azure_client_id).
    type: str
notes:
  - Key Vault's policy takes the subject as a name string, so subject values holding a character it would need
    escaped (a comma, plus, quote, backslash, angle bracket, semicolon, equals or hash sign) are refused.
  - The Key Vault permissions needed, as the Azure SDK documents them, are certificates C(get), C(create) (requested,
    merged), C(import) (imported), and C(update) only to delete a pending request that no longer fits.
seealso:
  - module: mtls.temporal.temporal_leaf
  - name: docs/azure-key-vault.md
    description: The Key Vault flow step by step, next to the openssl and az commands it replaces.
    link: https://github.com/mtls-temporal/mtls.temporal/blob/main/docs/azure-key-vault.md
"""

EXAMPLES = r"""
---
- name: Key Vault holds a current internode certificate, or a request for one
  mtls.temporal.temporal_key_vault_certificate:
    key_vault_url: https://temporal-pki.vault.azure.net
    name: temporal-internode
    profile: internode
    dns_names: [internode.temporal.example.com]
    ca_path: /srv/temporal-pki/servers-ca.pem
  register: internode_request

- name: The servers CA signs Key Vault's CSR
  mtls.temporal.temporal_leaf:
    profile: internode
    csr_content: "{{ internode_request.csr }}"
    csr_must_match: true
    dns_names: [internode.temporal.example.com]
    path: /srv/temporal-pki/key-vault/internode.pem
    chain_path: /srv/temporal-pki/key-vault/internode-chain.pem
    ca_path: /srv/temporal-pki/servers-ca.pem
    ca_private_key_path: /srv/temporal-pki/servers-ca.key
  when: internode_request.csr

- name: The signed chain joins the key in Key Vault
  mtls.temporal.temporal_key_vault_certificate:
    key_vault_url: https://temporal-pki.vault.azure.net
    name: temporal-internode
    state: merged
    chain_path: /srv/temporal-pki/key-vault/internode-chain.pem
  when: internode_request.csr
"""

RETURN = r"""
name:
  description: The certificate's name in Key Vault.
  returned: always
  type: str
  sample: temporal-internode
reason:
  description:
    - V(requested) - why a new version is requested (V(created), V(expiring), V(drift), V(ca_changed), V(forced)), or
      null. V(merged), V(imported) - that state's name when it wrote to Key Vault, else null.
  returned: always
  type: str
  sample: expiring
reason_detail:
  description: The reason in words.
  returned: always
  type: str
  sample: not_after 2027-01-01T00:00:00Z is inside renew_before 33%
csr:
  description:
    - The PEM CSR of Key Vault's pending request, to sign; null when nothing is to be signed (and in check mode for
      a request still to be made).
  returned: always
  type: str
version:
  description: The current version's ID before this run.
  returned: always
  type: str
certificate:
  description:
    - Parsed facts of Key Vault's current certificate before this run (subject, issuer, serial_number, not_before,
      not_after, dns_names, ip_addresses, key_type, public_key_sha256, fingerprint_sha256, ...), or null.
  returned: always
  type: dict
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import SUBJECT, Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.key_vault import KEY_VAULT_KEYS, STATES, KeyVaultCertificateBackend
from ansible_collections.mtls.temporal.plugins.module_utils.x509.profiles import LEAF_PROFILES

OPTIONS = SUBJECT + Options(
    dict(
        key_vault_url=dict(type="str", required=True, no_log=False),  # a URL, not a secret
        name=dict(type="str", required=True),
        state=dict(type="str", default="requested", choices=list(STATES)),
        profile=dict(type="str", choices=list(LEAF_PROFILES)),
        dns_names=dict(type="list", elements="str", default=[]),
        ip_addresses=dict(type="list", elements="str", default=[]),
        key_type=dict(type="str", default="ecdsa-p256", choices=list(KEY_VAULT_KEYS)),
        hsm=dict(type="bool", default=False),
        validity=dict(type="str", default="365d"),
        renew_before=dict(type="str", default="33%"),
        ca_path=dict(type="path"),
        force=dict(type="bool", default=False),
        chain_path=dict(type="path"),
        certificate_path=dict(type="path"),
        private_key_path=dict(type="path"),
        private_key_passphrase=dict(type="str", no_log=True),
        pkcs12_path=dict(type="path"),
        pkcs12_passphrase=dict(type="str", no_log=True),
        azure_tenant_id=dict(type="str"),
        azure_client_id=dict(type="str"),
        azure_client_secret=dict(type="str", no_log=True),
    ),
    mutually_exclusive=[("pkcs12_path", "certificate_path"), ("pkcs12_path", "private_key_path")],
)


def main():
    run(OPTIONS.module(files=False), KeyVaultCertificateBackend)


if __name__ == "__main__":
    main()
