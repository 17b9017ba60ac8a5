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
  - Returns each issuer's certificate and CA chain as PEM, for trust bundles; the role M(mtls.temporal.pki) builds
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

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible_collections.mtls.temporal.plugins.module_utils._certs import load_pem_certificates
from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._vault import HAS_HVAC, VaultClient, _vault_errors, require_hvac

try:
    import hvac.exceptions
except ImportError:
    pass  # reported by require_hvac


class VaultIssuers(VaultClient):
    """VaultClient for a mount's issuers: no role, and a token only to change the default."""

    signs = False

    def _get(self, what, path, method="get"):
        def not_found(exc):
            if isinstance(exc, (hvac.exceptions.InvalidPath, hvac.exceptions.Forbidden)):
                self._fail("vault_mount", "no PKI secrets engine with issuers answers at {0}/ on {1} ({2}); check vault_mount and vault_namespace".format(
                    self.mount, self.url, _vault_errors(exc)))

        response = self._call(what, lambda: getattr(self._client.adapter, method)("/v1/{0}/{1}".format(self.mount, path)), not_found)
        if not isinstance(response, dict) or not isinstance(response.get("data"), dict):
            self._fail("vault_mount", "{0} answered {1} without data".format(self.where, path))
        return response["data"]

    def issuers(self):
        listed = self._get("listing the issuers of " + self.mount, "issuers", "list")
        default = self._get("reading the default issuer of " + self.mount, "issuer/default/json").get("issuer_id")
        out = []
        for issuer_id in listed.get("keys") or []:
            data = self._get("reading the issuer {0} of {1}".format(issuer_id, self.mount), "issuer/{0}/json".format(issuer_id))
            cert = load_pem_certificates(data["certificate"].encode("utf-8"), "vault_mount", "the issuer {0} of {1}".format(issuer_id, self.where))[0]
            chain = [pem.strip() for pem in data.get("ca_chain") or [data["certificate"]]]
            out.append(dict(id=issuer_id, name=data.get("issuer_name") or "", is_default=issuer_id == default,
                            subject=cert.subject.rfc4514_string(), certificate=data["certificate"].strip(), ca_chain=chain))
        return default, out

    def set_default(self, issuer_id):
        if not self.token:
            raise PKIError("vault_token", "required to change the default issuer of {0}: set it or VAULT_TOKEN".format(self.where))
        self._client.token = self.token

        def denied(exc):
            if isinstance(exc, (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized)):
                self._fail("vault_token", "Vault denied {0}/config/issuers ({1}): the token needs update on it".format(self.mount, _vault_errors(exc)))

        self._call("setting the default issuer of " + self.mount,
                   lambda: self._client.adapter.post("/v1/{0}/config/issuers".format(self.mount), json=dict(default=issuer_id)), denied)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vault_url=dict(type="str", fallback=(env_fallback, ["VAULT_ADDR"])),
            vault_mount=dict(type="str", default="pki"),
            vault_token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN"])),
            vault_ca_cert=dict(type="path", fallback=(env_fallback, ["VAULT_CACERT"])),
            vault_validate_certs=dict(type="bool", default=True),
            vault_namespace=dict(type="str", fallback=(env_fallback, ["VAULT_NAMESPACE"])),
            default_issuer=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    if not HAS_HVAC:
        require_hvac(module)
    changed = False
    try:
        vault = VaultIssuers(module.params)
        default, issuers = vault.issuers()
        wanted = module.params["default_issuer"]
        if wanted:
            match = [i for i in issuers if wanted in (i["id"], i["name"])]
            if not match:
                raise PKIError("default_issuer", "{0} has no issuer {1!r}; it has {2}".format(
                    vault.where, wanted, ", ".join("{0} ({1})".format(i["id"], i["name"] or i["subject"]) for i in issuers) or "none"))
            if match[0]["id"] != default:
                changed = True
                if not module.check_mode:
                    vault.set_default(match[0]["id"])
                default = match[0]["id"]
                for issuer in issuers:
                    issuer["is_default"] = issuer["id"] == default
    except PKIError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, default=default, issuers=issuers)


if __name__ == "__main__":
    main()
