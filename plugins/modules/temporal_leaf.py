#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_leaf
short_description: Issue a Temporal internode, frontend, client or worker certificate from a CA
version_added: 0.1.0
description:
  - Issues one end-entity certificate for one Temporal role, signed by a CA made with
    M(mtls.temporal.temporal_ca) (or any CA whose certificate and key you have), and keeps it current.
  - "Profiles (O(profile)): V(internode) is the node-to-node certificate; Temporal presents it as a server
    certificate and as a client certificate, so it carries extendedKeyUsage serverAuth and clientAuth.
    V(frontend) is the public frontend's server certificate (serverAuth). V(client) is an SDK, worker or CLI
    identity (clientAuth); V(worker) is the server's system-worker identity (clientAuth)."
  - Every certificate is X.509 v3 with basicConstraints CA:false, critical keyUsage digitalSignature
    (plus keyEncipherment for RSA server keys), subject and authority key identifiers, a random 159-bit
    serial number and a SHA-256 or SHA-384 signature, which meets Temporal Cloud's rules for client
    certificates.
  - A certificate never outlives its CA; the module fails, naming both dates, when it would.
  - The key is made where the module runs. To keep a key where it is (an HSM, a key vault, a node),
    give a CSR with O(csr_path) or O(csr_content) instead; only the CSR's public key is used, while
    subject and SANs come from the module options.
  - With O(issuer=vault) a HashiCorp Vault or OpenBao PKI secrets engine signs instead of a local CA key;
    the key is still made where the module runs, only a CSR goes to the mount's C(sign/<role>) endpoint,
    and the certificate Vault returns is checked against the profile (extendedKeyUsage, keyUsage,
    basicConstraints CA:false, SANs, lifetime) before anything is written. The issuing CA is the mount's
    CA chain, so a new default issuer in Vault is reissue reason V(ca_changed). Vault is asked to sign only
    when the certificate needs a reissue. See C(docs/vault-issuer.md) for the PKI mount and role settings.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
  - hvac (only for O(issuer=vault))
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._issue
  - mtls.temporal._issue.attributes
  - mtls.temporal._writer
  - mtls.temporal._subject
  - mtls.temporal._vault
options:
  profile:
    description:
      - The Temporal role the certificate serves.
    type: str
    required: true
    choices: [internode, frontend, client, worker]
  private_key_path:
    description:
      - Path of the private key. Created when missing.
      - Required unless O(csr_path) or O(csr_content) is given.
    type: path
  private_key_format:
    description:
      - V(pkcs8) (C(BEGIN PRIVATE KEY)) is read by every Temporal SDK, Java's included.
        V(traditional) writes C(BEGIN EC PRIVATE KEY) / C(BEGIN RSA PRIVATE KEY); Ed25519 keys are always PKCS#8.
      - An existing key in the other format is rewritten in place, without a new certificate.
    type: str
    default: pkcs8
    choices: [pkcs8, traditional]
  key_type:
    description:
      - Key algorithm and size of the leaf key.
    type: str
    default: ecdsa-p256
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519]
  validity:
    description:
      - Lifetime of the certificate, counted from now (V(365d), V(90d), V(2160h)).
      - It must end within the issuing CA's life, unless O(not_after_behavior=truncate).
    type: str
    default: 365d
  not_after_behavior:
    description:
      - What to do when O(validity) would outlive the issuing CA, as Vault's C(leaf_not_after_behavior).
      - V(error) fails, naming both dates. V(truncate) ends the certificate with its CA, with a warning. Such a
        certificate is not reissued for entering O(renew_before), since no reissue could outlive the CA either;
        renewing the CA reissues it (the CA changed).
    type: str
    choices: [error, truncate]
    default: error
    version_added: 0.1.0
  reuse_key:
    description:
      - Keep the existing key when the certificate is reissued. By default every reissue also makes a
        new key, so a renewal is a key rotation too.
    type: bool
    default: false
  chain_path:
    description:
      - Write the certificate followed by the intermediates of O(ca_path), not the root. This is what a
        server presents, and what a Temporal Cloud client sends when its CA is an intermediate.
    type: path
  ca_path:
    description:
      - The issuing CA certificate. The first certificate in the file is the issuer; further certificates
        are its chain, copied into O(chain_path) and the PKCS#12 file (roots excepted).
      - Required when O(state=present) and O(issuer=local); not allowed with O(issuer=vault).
    type: path
  ca_private_key_path:
    description:
      - The issuing CA's private key. Required when O(state=present) and O(issuer=local); not allowed with
        O(issuer=vault).
    type: path
  ca_private_key_passphrase:
    description:
      - Passphrase of the CA key.
    type: str
  dns_names:
    description:
      - DNS subject alternative names, lower-cased on issue. A wildcard may only be the whole leftmost label.
      - The V(internode) and V(frontend) profiles need at least one DNS name or IP address. For internode,
        include the C(internode.client.serverName) you configure, or the node IPs if none is configured
        (Temporal nodes then dial each other by IP).
    type: list
    elements: str
    default: []
  ip_addresses:
    description:
      - IP subject alternative names (IPv4 or IPv6).
    type: list
    elements: str
    default: []
  csr_path:
    description:
      - Sign this PEM CSR instead of making a key. Its signature must verify and it must not ask for CA:true.
    type: path
  csr_content:
    description:
      - The PEM CSR as text, instead of O(csr_path).
    type: str
  csr_must_match:
    description:
      - With a CSR, fail unless what it asks for is what the certificate gets - its subject, and the SANs,
        extendedKeyUsage and keyUsage of its extensionRequest (each one the CSR does not request is not compared).
      - For a CSR made from a record that outlives the signing, such as an Azure Key Vault certificate policy
        (M(mtls.temporal.temporal_key_vault_certificate)); without it the CSR's requests are ignored and only its
        public key is used.
    type: bool
    default: false
  pkcs12_path:
    description:
      - Also write a PKCS#12 (.pfx) file with the key, the certificate and the intermediates, as Java
        keystores and Azure Key Vault import it. Written with O(private_key_mode).
    type: path
  pkcs12_passphrase:
    description:
      - Passphrase of the PKCS#12 file (PBES2, AES-256). Empty or unset writes an unencrypted file, as Azure Key
        Vault imports; the JDK's PKCS12 KeyStore reads no key from such a file, so give Java a passphrase.
    type: str
    default: ""
notes:
  - The V(client) and V(worker) profiles need O(common_name) (for a client, typically the namespace, as
    certstrap and Temporal Cloud's docs do). Server profiles default it to the first DNS name or IP.
  - The issuer is checked before anything is written; it must be a CA (CA:true, keyCertSign), unexpired,
    match O(ca_private_key_path), have a DN different from the leaf's, and its name constraints must
    allow the requested SANs.
  - In check mode, when O(ca_path) does not exist yet (an earlier task would create it), the module
    reports the certificate as to be created, with a warning.
  - With O(issuer=vault), the mount's CA chain (C(<vault_mount>/ca_chain), an unauthenticated read) is
    read on every run; C(sign/<vault_role>) is called only when the certificate is created or reissued.
    Check mode never calls it; it predicts the certificate from the profile, and the facts it returns
    carry a serial number and fingerprints that the real run will not reproduce.
  - With O(issuer=vault), a certificate Vault returns that lacks what the profile needs, or carries more
    (for example a role whose C(server_flag) adds serverAuth to a client certificate, or no
    basicConstraints because C(basic_constraints_valid_for_non_ca) is off), or that ends before
    O(validity) asks (a role C(max_ttl) cap), fails the task and nothing is written. The certificate
    Vault issued then is not revoked.
  - With O(issuer=vault), O(state=absent) removes the local files only; it does not revoke anything in Vault.
seealso:
  - module: mtls.temporal.temporal_ca
  - name: Vault PKI secrets engine API
    description: The sign endpoint and the role parameters this module relies on.
    link: https://developer.hashicorp.com/vault/api-docs/secret/pki
"""

EXAMPLES = r"""
---
- name: Internode certificate for a node, with the shared internode server name and the node's IP
  mtls.temporal.temporal_leaf:
    profile: internode
    path: /etc/temporal/tls/internode.pem
    private_key_path: /etc/temporal/tls/internode.key
    chain_path: /etc/temporal/tls/internode-chain.pem
    ca_path: /etc/temporal-pki/servers-ca-chain.pem
    ca_private_key_path: /etc/temporal-pki/servers-ca.key
    dns_names:
      - internode.temporal.example.com
      - "{{ inventory_hostname }}"
    ip_addresses:
      - "{{ ansible_default_ipv4.address }}"
    owner: temporal
    group: temporal
  delegate_to: localhost

- name: Frontend certificate for every name clients dial, renewed with 30 days left
  mtls.temporal.temporal_leaf:
    profile: frontend
    path: /etc/temporal/tls/frontend.pem
    private_key_path: /etc/temporal/tls/frontend.key
    ca_path: /etc/temporal-pki/servers-ca.pem
    ca_private_key_path: /etc/temporal-pki/servers-ca.key
    dns_names: [temporal.example.com, frontend.temporal.example.com]
    validity: 90d
    renew_before: 30d

- name: A client identity for namespace "payments", with a PKCS#8 key and a .pfx for Java (which needs a passphrase)
  mtls.temporal.temporal_leaf:
    profile: client
    common_name: payments
    organization: Example Corp
    path: /srv/workers/payments/client.pem
    private_key_path: /srv/workers/payments/client.key
    chain_path: /srv/workers/payments/client-chain.pem
    pkcs12_path: /srv/workers/payments/client.pfx
    pkcs12_passphrase: "{{ payments_pfx_passphrase }}"
    ca_path: /etc/temporal-pki/clients-ca.pem
    ca_private_key_path: /etc/temporal-pki/clients-ca.key

- name: Sign a CSR whose key stays in a key vault
  mtls.temporal.temporal_leaf:
    profile: worker
    common_name: temporal-system-worker
    csr_path: /tmp/system-worker.csr
    path: /etc/temporal/tls/system-worker.pem
    ca_path: /etc/temporal-pki/servers-ca.pem
    ca_private_key_path: /etc/temporal-pki/servers-ca.key

- name: Frontend certificate signed by a Vault PKI role; the key stays on this host
  mtls.temporal.temporal_leaf:
    profile: frontend
    issuer: vault
    vault_url: https://vault.example.com:8200
    vault_mount: pki_int
    vault_role: temporal-frontend
    vault_token: "{{ temporal_vault_token }}"
    vault_ca_cert: /etc/ssl/certs/vault-ca.pem
    path: /etc/temporal/tls/frontend.pem
    private_key_path: /etc/temporal/tls/frontend.key
    chain_path: /etc/temporal/tls/frontend-chain.pem
    dns_names: [temporal.example.com]
    validity: 30d

- name: Client identity from OpenBao with AppRole; VAULT_ADDR and VAULT_CACERT come from the environment
  mtls.temporal.temporal_leaf:
    profile: client
    common_name: payments
    issuer: vault
    vault_role: temporal-client
    vault_auth_method: approle
    vault_role_id: "{{ temporal_approle_role_id }}"
    vault_secret_id: "{{ temporal_approle_secret_id }}"
    path: /srv/workers/payments/client.pem
    private_key_path: /srv/workers/payments/client.key
    pkcs12_path: /srv/workers/payments/client.pfx
  environment:
    VAULT_ADDR: https://openbao.example.com:8200
    VAULT_CACERT: /etc/ssl/certs/openbao-ca.pem

- name: Set the CA once for a block of leaves (group/mtls.temporal.leaf is temporal_leaf and temporal_leaf_batch)
  module_defaults:
    group/mtls.temporal.leaf:
      ca_path: /etc/temporal-pki/clients-ca.pem
      ca_private_key_path: /etc/temporal-pki/clients-ca.key
  block:
    - name: Client certificate for namespace "billing"
      mtls.temporal.temporal_leaf:
        profile: client
        common_name: billing
        path: /srv/workers/billing/client.pem
        private_key_path: /srv/workers/billing/client.key
"""

RETURN = r"""
reason:
  description:
    - Why the certificate was (or in check mode would be) issued; null when it was kept.
  returned: always
  type: str
  choices: [created, expiring, drift, ca_changed, key_mismatch, forced]
  sample: expiring
reason_detail:
  description: What exactly triggered the reissue or a file rewrite, in words.
  returned: always
  type: str
  sample: not_after 2027-01-01T00:00:00Z is inside renew_before 33%
subject:
  description: Subject DN (RFC 4514).
  returned: state is present
  type: str
  sample: CN=frontend.temporal.example.com,O=Example Corp
issuer:
  description: Issuer DN (RFC 4514).
  returned: state is present
  type: str
  sample: CN=Temporal Root CA,O=Example Corp
serial_number:
  description: Serial number, lower-case hex.
  returned: state is present
  type: str
  sample: 5f3a0c9d1e2b4a6c8d0e1f2a3b4c5d6e7f8091a2
not_before:
  description: Start of validity (UTC, ISO 8601).
  returned: state is present
  type: str
  sample: "2026-11-24T06:00:00Z"
not_after:
  description: End of validity (UTC, ISO 8601).
  returned: state is present
  type: str
  sample: "2031-11-23T06:05:00Z"
dns_names:
  description: DNS subject alternative names.
  returned: state is present
  type: list
  elements: str
  sample: [frontend.temporal.example.com, temporal.example.com]
ip_addresses:
  description: IP subject alternative names.
  returned: state is present
  type: list
  elements: str
  sample: [10.20.0.11]
is_ca:
  description: Whether basicConstraints says CA:true.
  returned: state is present
  type: bool
  sample: false
path_length:
  description: basicConstraints pathLenConstraint; null when unlimited.
  returned: state is present
  type: int
  sample: 0
key_usage:
  description: keyUsage bits set.
  returned: state is present
  type: list
  elements: str
  sample: [digital_signature]
extended_key_usage:
  description: extendedKeyUsage purposes.
  returned: state is present
  type: list
  elements: str
  sample: [clientAuth, serverAuth]
key_type:
  description: Type of the certified public key.
  returned: state is present
  type: str
  sample: ecdsa-p256
public_key_sha256:
  description: SHA-256 of the DER SubjectPublicKeyInfo; identifies the key without revealing it.
  returned: state is present
  type: str
  sample: 3b1f0e5d6c7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c
subject_key_identifier:
  description: Subject key identifier, hex.
  returned: state is present
  type: str
  sample: 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b
authority_key_identifier:
  description: Authority key identifier, hex (the issuing CA's subject key identifier).
  returned: state is present
  type: str
  sample: 3e2f94776847c2aaaaad1190eb474045e89c6799
fingerprint_sha256:
  description: SHA-256 fingerprint of the DER certificate, lower-case hex.
  returned: state is present
  type: str
  sample: 0c3f9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
fingerprint_sha1:
  description: SHA-1 fingerprint, lower-case hex.
  returned: state is present
  type: str
  sample: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
path:
  description: The certificate path.
  returned: always
  type: str
  sample: /etc/temporal/tls/internode.pem
private_key_path:
  description: The private key path.
  returned: always
  type: str
  sample: /etc/temporal/tls/internode.key
chain_path:
  description: The chain file path, if one was asked for.
  returned: always
  type: str
  sample: /etc/temporal/tls/internode-chain.pem
pkcs12_path:
  description: The PKCS#12 file path, if one was asked for.
  returned: always
  type: str
  sample: /etc/temporal/tls/client.pfx
removed:
  description: Files removed.
  returned: state is absent
  type: list
  elements: str
  sample: [/etc/temporal/tls/internode.pem, /etc/temporal/tls/internode.key]
backup_files:
  description: Backups made, by option name (or by path when removing).
  returned: when O(backup=true) and a file was replaced or removed
  type: dict
  sample: {path: /etc/temporal/tls/internode.pem.1234.2026-11-24@06:00:00~}
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import LEAF
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.vault import LEAF_BACKENDS


def main():
    module = LEAF.module()
    run(module, LEAF_BACKENDS[module.params["issuer"]])


if __name__ == "__main__":
    main()
