# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layout filters: the module arguments of the roles' tasks, built from where the roles keep each file
(plugins/module_utils/temporal/layout.py, _rotation.py). Docs in ca_file_names.yml, rotation_leaves.yml, rotation_deployed.yml,
rotation_stale.yml,
vault_rotation.yml, intermediate_cas.yml, trust_bundles.yml, vault_trust.yml,
vault_trust_files.yml, node_cert_requests.yml, node_tls_files.yml, node_files.yml, server_tls_blocks.yml,
identity_cert_requests.yml, identity_files.yml, identity_profile.yml, client_groups.yml, revoked_identities.yml and
identity_groups.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal import layout as _layout, revocation as _revocation, rotation as _rotation


def _identity(identity, name):
    if not isinstance(identity, Mapping) or not identity.get("name"):
        raise AnsibleFilterError("{0}: each identity is a mapping with a name, not {1!r}".format(name, identity))
    return identity


def _client_groups(groups, name):
    if not isinstance(groups, list) or not all(isinstance(group, Mapping) and group.get("name") for group in groups):
        raise AnsibleFilterError("{0}: client groups are a list of mappings, each with a name, not {1!r}".format(name, groups))
    return groups


def intermediate_cas(client_groups, servers_common_name, clients_common_name):
    return _layout.intermediate_cas(_client_groups(client_groups, "intermediate_cas"), servers_common_name, clients_common_name)


def trust_bundles(pki_dir, client_groups):
    return _layout.trust_bundles(pki_dir, _client_groups(client_groups, "trust_bundles"))


def vault_trust(mounts, rotation):
    return _layout.vault_trust(mounts, rotation or {})


def vault_trust_files(trust, pki_dir, servers_mount, clients_mount):
    return _layout.vault_trust_files(trust, pki_dir, servers_mount, clients_mount)


def node_cert_requests(host, pki_dir, dns_names, ip_addresses, internode_server_name, frontend_server_names, extra_dns_names,
                       key_type, validity, renew_before, force, csrs=None, not_after_behavior="error"):
    settings = dict(key_type=key_type, validity=validity, renew_before=renew_before, force=force, not_after_behavior=not_after_behavior)
    try:
        return _layout.node_cert_requests(host, pki_dir, dns_names, ip_addresses, internode_server_name, frontend_server_names,
                                          extra_dns_names, settings, csrs)
    except KeyError as exc:
        raise AnsibleFilterError("node_cert_requests: csrs has no CSR for the {0} certificate".format(exc))


def node_tls_files(host, pki_dir, tls_dir, keys_on_controller, cert_mode, key_mode):
    return _layout.node_tls_files(host, pki_dir, tls_dir, keys_on_controller, cert_mode, key_mode)


def node_files(tls_dir):
    return _layout.node_files(tls_dir)


def server_tls_blocks(certs_dir, require_client_auth, internode_server_name="", frontend_server_name="", host_overrides=None,
                      system_worker_dir=None):
    return _layout.server_tls_blocks(certs_dir, require_client_auth, internode_server_name, frontend_server_name, host_overrides,
                                     system_worker_dir)


def identity_cert_requests(identities, client_group, identities_dir, key_type, validity, renew_before, force, not_after_behavior="error"):
    settings = dict(key_type=key_type, validity=validity, renew_before=renew_before, force=force, not_after_behavior=not_after_behavior)
    checked = [_identity(identity, "identity_cert_requests") for identity in identities]
    return _layout.identity_cert_requests(checked, client_group, identities_dir, settings)


def identity_files(identity, identities_dir, pki_dir, host_dir):
    return _layout.identity_files(_identity(identity, "identity_files"), identities_dir, pki_dir, host_dir)


def identity_profile(identity, directory, address, server_name="", pki_dir=None, frontend_host=None):
    return _layout.identity_profile(_identity(identity, "identity_profile"), directory, address, server_name, pki_dir, frontend_host or None)


def client_groups(declared, identities, pki_dir):
    try:
        return _layout.client_groups(_client_groups(declared, "client_groups"), [_identity(identity, "client_groups") for identity in identities or []],
                                     _revocation.read_record(pki_dir)["client_groups"])
    except (ValueError, PKIError) as exc:
        raise AnsibleFilterError("client_groups: {0}".format(exc))


def revoked_identities(identities, pki_dir):
    try:
        return _revocation.revoked_identities([_identity(identity, "revoked_identities") for identity in identities or []],
                                              _revocation.read_record(pki_dir))
    except PKIError as exc:
        raise AnsibleFilterError("revoked_identities: {0}".format(exc))


def identity_groups(identities):
    return _layout.identity_groups([_identity(identity, "identity_groups") for identity in identities or []])


def ca_file_names(names):
    return _rotation.ca_file_names(names)


def ca_files(names, directory, client_groups=False):
    if client_groups:
        names = [_layout.group_ca_name(dict(name=name)) for name in names]
    return [_layout.ca_paths(directory, name) for name in names]


def rotation_leaves(pki_dir, servers, identities, client_cas):
    return _rotation.controller_leaves(pki_dir, list(servers or []), list(identities or []), list(client_cas))


def rotation_deployed(servers, identity_hosts, client_hosts, hostvars):
    return _rotation.deployed(list(servers or []), list(identity_hosts or []), list(client_hosts or []), hostvars)


def rotation_stale(reports):
    return _rotation.stale(reports)


def vault_rotation(step, mounts, servers_mount, servers_next_issuer, clients_mount, clients_next_issuer, recorded, pki_dir):
    return _rotation.vault_rotation(step, mounts, [(servers_mount, servers_next_issuer), (clients_mount, clients_next_issuer)], recorded, pki_dir)


class FilterModule:
    def filters(self):
        return dict(
            intermediate_cas=intermediate_cas,
            trust_bundles=trust_bundles,
            vault_trust=vault_trust,
            vault_trust_files=vault_trust_files,
            node_cert_requests=node_cert_requests,
            node_tls_files=node_tls_files,
            node_files=node_files,
            server_tls_blocks=server_tls_blocks,
            identity_cert_requests=identity_cert_requests,
            identity_files=identity_files,
            identity_profile=identity_profile,
            client_groups=client_groups,
            revoked_identities=revoked_identities,
            identity_groups=identity_groups,
            ca_file_names=ca_file_names,
            ca_files=ca_files,
            rotation_leaves=rotation_leaves,
            rotation_deployed=rotation_deployed,
            rotation_stale=rotation_stale,
            vault_rotation=vault_rotation,
        )
