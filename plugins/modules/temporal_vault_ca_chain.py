#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_vault_ca_chain
short_description: Read the issuers of a Vault or OpenBao PKI mount, and make one of them the default
version_added: 0.1.0
description:
  - Reads every issuer of the PKI secrets engine mounted at O(vault_mount) (C(<mount>/issuers), then
    C(<mount>/issuer/<id>/json) for each) and which one is the mount's default (C(<mount>/issuer/default/json)).
    Vault and OpenBao answer these reads without a token.
  - Returns each issuer's certificate and CA chain as PEM, for trust bundles; the role P(mtls.temporal.pki#role) builds
    its bundles from them with C(pki_issuer=vault).
  - With O(default_issuer), makes that issuer the mount's default (C(<mount>/config/issuers)), which needs a token
    with C(update) on that path. Only then is the module ever C(changed); check mode only reports it.
  - The token is never returned or shown.
author:
  - mtls.temporal developers (!UNKNOWN)
requirements:
  - hvac
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Only O(default_issuer) changes anything; check mode reports it without asking Vault to.
  diff_mode:
    support: none
  platform:
    platforms: posix
  idempotent:
    description:
      - When run twice in a row with the same inputs, the second run reports no change.
    support: full
options:
  vault_url:
    description:
      - Address of the Vault or OpenBao server. When unset, E(VAULT_ADDR) is used.
    type: str
    required: false
  vault_mount:
    description: Mount path of the PKI secrets engine.
    type: str
    default: pki
  vault_token:
    description:
      - Token, only used with O(default_issuer). When unset, E(VAULT_TOKEN) is used.
    type: str
  vault_ca_cert:
    description: CA file to verify Vault's TLS certificate with. When unset, E(VAULT_CACERT), else the system store.
    type: path
  vault_validate_certs:
    description: Verify Vault's TLS certificate.
    type: bool
    default: true
  vault_namespace:
    description: Vault Enterprise namespace. When unset, E(VAULT_NAMESPACE) is used.
    type: str
  default_issuer:
    description:
      - An issuer (ID or name) of the mount to make its default issuer. Omit it to only read.
    type: str
notes:
  - Vault older than 1.11 (no multi-issuer PKI) has no C(issuers) endpoint and is not supported.
seealso:
  - module: mtls.temporal.temporal_leaf
  - name: docs/vault-issuer.md
    description: Issuing through Vault or OpenBao, trust bundles and CA rotation.
    link: https://github.com/mtls-temporal/mtls.temporal/blob/main/docs/vault-issuer.md
"""

EXAMPLES = r"""
---
- name: Read the issuers of pki_temporal
  mtls.temporal.temporal_vault_ca_chain:
    vault_url: https://vault.example.com:8200
    vault_mount: pki_temporal
  register: mount

- name: The default issuer's chain
  ansible.builtin.copy:
    content: "{{ (mount.issuers | selectattr('is_default') | first).ca_chain | join('\n') }}\n"
    dest: /srv/temporal-pki/bundles/internode.pem
    mode: "0644"

- name: Make the issuer temporal-2 the default
  mtls.temporal.temporal_vault_ca_chain:
    vault_url: https://vault.example.com:8200
    vault_mount: pki_temporal
    default_issuer: temporal-2
"""

RETURN = r"""
default:
  description: ID of the mount's default issuer (after O(default_issuer) was applied, or would be in check mode).
  returned: always
  type: str
  sample: 81636efb-c148-e254-bdf9-70588b8cfa29
issuers:
  description: Every issuer of the mount, in the order Vault lists them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The issuer ID.
      type: str
    name:
      description: The issuer name (may be empty).
      type: str
    is_default:
      description: Whether it is the mount's default issuer.
      type: bool
    subject:
      description: Subject of its certificate (RFC 4514).
      type: str
    certificate:
      description: Its certificate (PEM).
      type: str
    ca_chain:
      description: Its CA chain (PEM each), its own certificate first.
      type: list
      elements: str
"""

from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.x509.vault import VAULT_ARGS, VAULT_READ_OPTIONS, VaultIssuersBackend


OPTIONS = Options(dict({option: VAULT_ARGS[option] for option in VAULT_READ_OPTIONS}, default_issuer=dict(type="str")))


def main():
    run(OPTIONS.module(files=False), VaultIssuersBackend)


if __name__ == "__main__":
    main()
