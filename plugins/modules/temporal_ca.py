#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_ca
short_description: Create and maintain a CA for Temporal mTLS, a root or an intermediate
version_added: 0.1.0
description:
  - Creates a self-signed root CA, or an intermediate CA signed by a parent CA, and keeps it current.
  - The CA certificate is X.509 v3 with critical basicConstraints CA:true, critical keyUsage
    keyCertSign, cRLSign and digitalSignature, a subject key identifier (and an authority key identifier
    on intermediates), a random 159-bit serial number and a SHA-256 or SHA-384 signature, which meets
    Temporal Cloud's rules for CA certificates.
  - Renewal (O(renew_before), or O(force)) keeps the CA key by default (O(reuse_key)), so every
    certificate the CA issued stays valid under the renewed CA. A new key is made when O(key_type)
    changes, or on a reissue with O(reuse_key=false) (key rotation).
  - An intermediate never outlives its parent; the module fails, naming both dates, when it would.
  - "Run it on the host that should keep the CA key, normally the controller
    (C(delegate_to: localhost) and C(run_once: true))."
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - cryptography >= 44.0.0
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._issue
  - mtls.temporal._issue.attributes
  - mtls.temporal._writer
  - mtls.temporal._subject
options:
  private_key_path:
    description:
      - Path of the CA private key (PKCS#8 PEM). Created when missing.
    type: path
    required: true
  private_key_passphrase:
    description:
      - Encrypt the CA key at rest with this passphrase (PKCS#8, AES-256). Also used to read it.
      - An existing unencrypted key is rewritten encrypted when this is set.
    type: str
  key_type:
    description:
      - Key algorithm and size of the CA key.
    type: str
    default: ecdsa-p384
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519]
  validity:
    description:
      - Lifetime of the CA certificate, counted from now (V(1825d), V(5y), V(43800h)).
      - Unset means V(1825d); for an intermediate, V(1825d) or until one day before its parent ends,
        whichever comes first. An explicit O(validity) that would outlive the parent fails instead.
    type: str
  reuse_key:
    description:
      - Keep the existing CA key when the certificate is reissued. Set V(false) together with
        O(force=true) to rotate the CA key; certificates issued under the old key then no longer
        verify under the new CA certificate.
    type: bool
    default: true
  path_length:
    description:
      - basicConstraints pathLenConstraint. V(0) lets the CA issue only end-entity certificates.
      - Unset means no limit. For an intermediate it must be below its parent's.
    type: int
  name_constraints_permitted:
    description:
      - Name constraints the CA may issue for, as V(DNS:example.com), V(DNS:.example.com) or
        V(IP:10.0.0.0/8). The extension is critical.
    type: list
    elements: str
    default: []
  name_constraints_excluded:
    description:
      - Names and networks the CA must never issue for, in the same form as O(name_constraints_permitted).
    type: list
    elements: str
    default: []
  parent_ca_path:
    description:
      - Issuing CA of an intermediate. The first certificate in the file is the parent; further
        certificates are its own chain (used for O(chain_path)).
      - Unset means a self-signed root.
    type: path
  parent_ca_private_key_path:
    description:
      - Private key of the parent CA. Required with O(parent_ca_path).
    type: path
  parent_ca_private_key_passphrase:
    description:
      - Passphrase of the parent CA key.
    type: str
  chain_path:
    description:
      - Write the CA certificate followed by its parents up to, not including, the root. A leaf's
        O(mtls.temporal.temporal_leaf#module:ca_path) can point at this file so that the leaf's chain
        file carries the intermediates.
    type: path
seealso:
  - module: mtls.temporal.temporal_leaf
"""

EXAMPLES = r"""
---
- name: Create the root CA on the controller
  mtls.temporal.temporal_ca:
    path: /etc/temporal-pki/root-ca.pem
    private_key_path: /etc/temporal-pki/root-ca.key
    private_key_passphrase: "{{ vault_temporal_root_ca_passphrase }}"
    common_name: Temporal Root CA
    organization: Example Corp
    validity: 10y
    path_length: 1
  delegate_to: localhost
  run_once: true

- name: Create an intermediate CA for the servers, limited to the cluster's names
  mtls.temporal.temporal_ca:
    path: /etc/temporal-pki/servers-ca.pem
    chain_path: /etc/temporal-pki/servers-ca-chain.pem
    private_key_path: /etc/temporal-pki/servers-ca.key
    common_name: Temporal Servers CA
    organization: Example Corp
    validity: 3y
    path_length: 0
    name_constraints_permitted:
      - DNS:.temporal.example.com
      - IP:10.20.0.0/16
    parent_ca_path: /etc/temporal-pki/root-ca.pem
    parent_ca_private_key_path: /etc/temporal-pki/root-ca.key
    parent_ca_private_key_passphrase: "{{ vault_temporal_root_ca_passphrase }}"
  delegate_to: localhost
  run_once: true

- name: Rotate the intermediate's key (a new key and certificate under the same name)
  mtls.temporal.temporal_ca:
    path: /etc/temporal-pki/servers-ca.pem
    private_key_path: /etc/temporal-pki/servers-ca.key
    common_name: Temporal Servers CA
    organization: Example Corp
    parent_ca_path: /etc/temporal-pki/root-ca.pem
    parent_ca_private_key_path: /etc/temporal-pki/root-ca.key
    parent_ca_private_key_passphrase: "{{ vault_temporal_root_ca_passphrase }}"
    force: true
    reuse_key: false
    backup: true
  delegate_to: localhost
  run_once: true
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
  sample: CN=Temporal Root CA,O=Example Corp
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
  description: DNS subject alternative names (CAs normally have none).
  returned: state is present
  type: list
  elements: str
  sample: []
ip_addresses:
  description: IP subject alternative names.
  returned: state is present
  type: list
  elements: str
  sample: []
is_ca:
  description: Whether basicConstraints says CA:true.
  returned: state is present
  type: bool
  sample: true
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
  sample: [crl_sign, digital_signature, key_cert_sign]
extended_key_usage:
  description: extendedKeyUsage purposes.
  returned: state is present
  type: list
  elements: str
  sample: []
key_type:
  description: Type of the certified public key.
  returned: state is present
  type: str
  sample: ecdsa-p384
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
  description: Authority key identifier, hex; null on a root.
  returned: state is present
  type: str
  sample: null
fingerprint_sha256:
  description: SHA-256 fingerprint of the DER certificate, lower-case hex.
  returned: state is present
  type: str
  sample: 0c3f9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
fingerprint_sha1:
  description: SHA-1 fingerprint, lower-case hex; the name C(tcld) gives CAs in a namespace's CA bundle.
  returned: state is present
  type: str
  sample: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
path:
  description: The certificate path.
  returned: always
  type: str
  sample: /etc/temporal-pki/root-ca.pem
private_key_path:
  description: The private key path.
  returned: always
  type: str
  sample: /etc/temporal-pki/root-ca.key
chain_path:
  description: The chain file path, if one was asked for.
  returned: always
  type: str
  sample: /etc/temporal-pki/servers-ca-chain.pem
removed:
  description: Files removed.
  returned: state is absent
  type: list
  elements: str
  sample: [/etc/temporal-pki/root-ca.pem, /etc/temporal-pki/root-ca.key]
backup_files:
  description: Backups made, by option name (or by path when removing).
  returned: when O(backup=true) and a file was replaced or removed
  type: dict
  sample: {path: /etc/temporal-pki/root-ca.pem.1234.2026-11-24@06:00:00~}
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import CA
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.ca import CABackend


def main():
    run(CA.module(), CABackend)


if __name__ == "__main__":
    main()
