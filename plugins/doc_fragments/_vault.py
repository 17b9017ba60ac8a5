# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

from __future__ import annotations


class ModuleDocFragment(object):
    # Keep in sync with VAULT_ARGS in plugins/module_utils/x509/vault.py. Used by temporal_leaf and
    # temporal_leaf_batch, so only options both modules have may be referenced with O().
    DOCUMENTATION = r"""
options:
  issuer:
    description:
      - Who signs. V(local) uses the CA files O(ca_path) and O(ca_private_key_path).
        V(vault) uses the PKI secrets engine of HashiCorp Vault or OpenBao at O(vault_url), mount O(vault_mount),
        role O(vault_role).
      - With V(vault), only C(common_name) of the subject options may be set; the role's own settings
        (C(organization), C(ou), C(country) and so on) make the rest of the subject.
    type: str
    default: local
    choices: [local, vault]
  vault_url:
    description:
      - Address of the Vault or OpenBao server, for example V(https://vault.example.com:8200).
      - When unset, the environment variable E(VAULT_ADDR) of the module's process is used.
      - Required when O(issuer=vault).
    type: str
  vault_mount:
    description:
      - Mount path of the PKI secrets engine.
    type: str
    default: pki
  vault_role:
    description:
      - The PKI role that signs (C(<vault_mount>/sign/<vault_role>)). Required when O(issuer=vault).
    type: str
  vault_auth_method:
    description:
      - V(token) authenticates with O(vault_token); V(approle) logs in with O(vault_role_id) and O(vault_secret_id).
      - Vault is authenticated to only when a certificate is signed; reading the mount's CA chain needs no token.
    type: str
    default: token
    choices: [token, approle]
  vault_token:
    description:
      - Vault token for O(vault_auth_method=token). When unset, E(VAULT_TOKEN) is used.
      - Never shown in results, logs, diffs or error messages.
    type: str
  vault_role_id:
    description:
      - AppRole role ID for O(vault_auth_method=approle).
    type: str
  vault_secret_id:
    description:
      - AppRole secret ID for O(vault_auth_method=approle). Never shown in results, logs, diffs or error messages.
    type: str
  vault_approle_mount:
    description:
      - Mount path of the AppRole auth method (C(auth/<vault_approle_mount>)).
    type: str
    default: approle
  vault_ca_cert:
    description:
      - CA bundle (PEM) that verifies the TLS certificate of the Vault server. When unset, E(VAULT_CACERT) is
        used, else the system's trust store.
    type: path
  vault_validate_certs:
    description:
      - Verify the TLS certificate of the Vault server. Turn off only for a throwaway test server.
    type: bool
    default: true
  vault_namespace:
    description:
      - Vault Enterprise or OpenBao namespace of the mount and the auth method. When unset, E(VAULT_NAMESPACE) is used.
    type: str
"""
