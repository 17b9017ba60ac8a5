# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the collection's roles keep each file, on the controller (pki_dir), on the Temporal nodes and on client hosts,
and the module arguments the roles build from those names (through the filters of plugins/filter/layout.py).
The one home of every such file name. No cryptography: plain data. Private to this collection: not a public API."""

from __future__ import annotations

import os
import re

# The server certificates each node gets, one per listener.
NODE_PROFILES = ("internode", "frontend")

# On each node, in node_certs_dir (which server_tls_certs_dir names to the server's config).
NODE_FILES = dict(
    internode_cert="internode.pem",
    internode_key="internode.key",
    frontend_cert="frontend.pem",
    frontend_key="frontend.key",
    internode_ca="internode-ca.pem",
    frontend_clients_ca="frontend-clients-ca.pem",
)

# In pki_dir on the controller: the trust bundles the pki role builds (bundles/<name>.pem) ...
BUNDLES_DIR = "bundles"
# ... what each node's bundle file is made of ...
NODE_BUNDLES = dict(internode_ca="internode", frontend_clients_ca="frontend-clients")
# ... and what clients verify servers with.
SERVER_ROOTS_BUNDLE = "server-roots"

# Where client_certs keeps identities on the controller, in pki_dir (its client_certs_dir by default).
IDENTITIES_DIR = "clients"
# An identity's files, in <client_certs_dir>/<name>/ on the controller and <client_certs_host_dir>/<name>/ on a host.
IDENTITY_FILES = dict(
    cert="client.pem",
    chain="client-chain.pem",
    key="client.key",
    pkcs12="client.pfx",
    server_roots="server-roots.pem",
    toml="temporal.toml",
    env="temporal.env",
)


# The CAs the pki role makes: the root, the servers and clients intermediates, and one per client group, each as
# <name>-ca.pem, <name>-ca.key and (intermediates) <name>-ca-chain.pem; during a rotation the new ones are in next/
# and the replaced ones in old/.
ROOT_CA = "root"
SERVERS_CA = "servers"
CLIENTS_CA = "clients"
ROTATION_DIRS = dict(new="next", replaced="old")
CA_FILES = dict(cert="{0}-ca.pem", key="{0}-ca.key", chain="{0}-ca-chain.pem")


# In pki_dir: what the revoke entry point recorded (revocation.py), and the certificates of the CAs it retired.
REVOCATION_RECORD = "revoked.json"
REVOKED_DIR = "revoked"
# A client group's name names its CA's files.
CLIENT_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def ca_paths(directory, name):
    return {kind: _join(directory, file.format(name)) for kind, file in CA_FILES.items()}


def group_ca_name(group):
    """The CA of a client group: clients-<name>."""
    return "{0}-{1}".format(CLIENTS_CA, group["name"])


def identity_group(identity):
    """The client group of an identity: its client_group, its own name with own_client_group, or '' for the
    clients CA."""
    return identity["name"] if identity.get("own_client_group") else identity.get("client_group", "")


def identity_groups(identities):
    """The client group of each identity, once each, in their first order ('' for the clients CA); [''] without
    identities."""
    return list(dict.fromkeys(identity_group(identity) for identity in identities)) or [""]


def client_groups(declared, identities, revoked_groups):
    """The client groups that have a CA: those declared (pki_client_groups), then one per identity with
    own_client_group, less the revoked ones. Raises ValueError naming the variable at fault."""
    groups = [dict(group) for group in declared]
    for identity in identities:
        if identity.get("own_client_group") and identity.get("client_group"):
            raise ValueError("client_certs_identities: {0} sets both client_group and own_client_group; keep one".format(identity["name"]))
        if identity.get("own_client_group"):
            groups.append(dict(name=identity["name"]))
    names = [group["name"] for group in groups]
    for name in names:
        if not CLIENT_GROUP_NAME.match(name):
            raise ValueError("pki_client_groups: {0!r} must be letters, digits, '-' or '_' (it names {1}-ca.pem); an identity with "
                             "own_client_group is a group of that name".format(name, group_ca_name(dict(name=name))))
        if names.count(name) > 1:
            raise ValueError("pki_client_groups: {0!r} is named twice (a group, or an identity with own_client_group)".format(name))
    return [group for group in groups if group["name"] not in revoked_groups]


def client_ca_names(client_groups):
    """The CAs that issue client identities: the clients CA, then one per client group."""
    return [CLIENTS_CA] + [group_ca_name(group) for group in client_groups]


def intermediate_cas(client_groups, servers_common_name, clients_common_name):
    """The intermediates (name, common_name) in the order they are made: servers, clients, each client group."""
    cas = [dict(name=SERVERS_CA, common_name=servers_common_name), dict(name=CLIENTS_CA, common_name=clients_common_name)]
    for group in client_groups:
        cas.append(dict(name=group_ca_name(group),
                        common_name=group.get("common_name") or "{0} ({1})".format(clients_common_name, group["name"])))
    return cas


def bundle_cas(client_groups):
    """What each trust bundle holds, each list in reverse order of creation: internode-ca.pem on the nodes (the
    servers CA), frontend-clients-ca.pem (every CA that issues clients, and the servers CA for the system workers and
    internode clients of the frontend), and what clients verify servers with (the root)."""
    return {NODE_BUNDLES["internode_ca"]: [SERVERS_CA],
            NODE_BUNDLES["frontend_clients_ca"]: list(reversed(client_ca_names(client_groups))) + [SERVERS_CA],
            SERVER_ROOTS_BUNDLE: [ROOT_CA]}


def trust_bundles(pki_dir, client_groups, exists=os.path.exists):
    """temporal_tls_files entries of the trust bundles: during a rotation the new CAs first, then the current ones,
    then the replaced ones (temporal_tls_files orders them by notBefore, keeping this order between equals)."""
    entries = []
    for bundle, names in bundle_cas(client_groups).items():
        new = [ca_paths(_join(pki_dir, ROTATION_DIRS["new"]), name)["cert"] for name in names]
        current = [ca_paths(pki_dir, name)["cert"] for name in names]
        replaced = [ca_paths(_join(pki_dir, ROTATION_DIRS["replaced"]), name)["cert"] for name in names]
        sources = [path for path in new if exists(path)] + current + [path for path in replaced if exists(path)]
        entries.append(dict(path=bundle_path(pki_dir, bundle), bundle_srcs=sources))
    return entries


def vault_trust(mounts, rotation):
    """What the bundles trust per Vault PKI mount, from temporal_vault_ca_chain's loop results (item: the mount):
    {mount: {default, chains, ids, missing}}. The mount's default issuer; while a rotation is introduced or reissued
    (rotation: what rotation.json records), the new issuer's chain first, then the old one's. missing names the
    recorded issuers that are gone from their mount."""
    rotating = (rotation.get("vault") or {}) if rotation.get("state") in ("introduced", "reissued") else {}
    trust = {}
    for result in mounts:
        mount, issuers = result["item"], {issuer["id"]: issuer for issuer in result["issuers"]}
        ids = [rotating[mount]["new"], rotating[mount]["old"]] if mount in rotating else [result["default"]]
        defaults = [issuer["certificate"] for issuer in result["issuers"] if issuer["is_default"]]
        trust[mount] = dict(default=defaults[0] if defaults else "", ids=ids,
                            chains=[pem for issuer_id in ids if issuer_id in issuers for pem in issuers[issuer_id]["ca_chain"]],
                            missing=["{0}: {1}".format(mount, issuer_id) for issuer_id in ids if issuer_id not in issuers])
    return trust


def vault_trust_files(trust, pki_dir, servers_mount, clients_mount):
    """temporal_tls_files entries that stand in for the local CAs' files with a Vault issuer: servers-ca.pem and
    clients-ca.pem hold each mount's default issuer (what certificates must be issued by), and the trust bundles the
    chains vault_trust lists."""
    servers, clients = trust[servers_mount], trust[clients_mount]
    contents = [
        (ca_paths(pki_dir, SERVERS_CA)["cert"], [servers["default"]]),
        (ca_paths(pki_dir, CLIENTS_CA)["cert"], [clients["default"]]),
        (bundle_path(pki_dir, NODE_BUNDLES["internode_ca"]), servers["chains"]),
        (bundle_path(pki_dir, NODE_BUNDLES["frontend_clients_ca"]), clients["chains"] + servers["chains"]),
        (bundle_path(pki_dir, SERVER_ROOTS_BUNDLE), servers["chains"]),
    ]
    return [dict(path=path, content="\n".join(_unique(pems)) + "\n") for path, pems in contents]


def _join(*parts):
    return "/".join(str(part).rstrip("/") for part in parts)


def revocation_record(pki_dir):
    return _join(pki_dir, REVOCATION_RECORD)


def bundle_path(pki_dir, name):
    return _join(pki_dir, BUNDLES_DIR, name + ".pem")


def node_staging_files(pki_dir, host, profile):
    """Where the controller keeps a node's certificate of a profile, its chain and (made on the controller) its key."""
    staging = _join(pki_dir, "nodes", host)
    return dict(cert=_join(staging, profile + ".pem"), chain=_join(staging, profile + "-chain.pem"), key=_join(staging, profile + ".key"))


def node_cert_requests(host, pki_dir, dns_names, ip_addresses, internode_server_name, frontend_server_names, extra_dns_names, settings,
                       csrs=None):
    """temporal_leaf_batch entries for a node's certificates, one per profile. Each carries the node's own names, the
    names dialled for that listener and the extra names. settings: key_type, validity, renew_before, force and
    not_after_behavior. csrs:
    temporal_csr's loop results ({item: profile, csr: PEM}) when the node keeps its keys; else the controller makes them."""
    dialled = dict(internode=[internode_server_name], frontend=list(frontend_server_names or []))
    csr_of = {result["item"]: result["csr"] for result in csrs or []}
    requests = []
    for profile in NODE_PROFILES:
        staged = node_staging_files(pki_dir, host, profile)
        request = dict(settings, profile=profile, path=staged["cert"], chain_path=staged["chain"],
                       dns_names=_unique(list(dns_names or []) + dialled[profile] + list(extra_dns_names or [])),
                       ip_addresses=list(ip_addresses or []))
        if csrs is None:
            request["private_key_path"] = staged["key"]
        else:
            request["csr_content"] = csr_of[profile]
        requests.append(request)
    return requests


def node_tls_files(host, pki_dir, tls_dir, keys_on_controller, cert_mode, key_mode):
    """temporal_tls_files entries for what a node gets: each certificate with its chain, each key made on the
    controller, and the two CA bundles."""
    sources = []
    for profile in NODE_PROFILES:
        staged = node_staging_files(pki_dir, host, profile)
        sources.append((NODE_FILES[profile + "_cert"], staged["chain"], False))
        if keys_on_controller:
            sources.append((NODE_FILES[profile + "_key"], staged["key"], True))
    sources += [(NODE_FILES[name], bundle_path(pki_dir, bundle), False) for name, bundle in NODE_BUNDLES.items()]
    return [dict(path=_join(tls_dir, name), src=src, secret=secret, mode=key_mode if secret else cert_mode) for name, src, secret in sources]


def node_files(tls_dir):
    """The path of each of a node's files, by its NODE_FILES name."""
    return {name: _join(tls_dir, file) for name, file in NODE_FILES.items()}


def server_tls_blocks(certs_dir, require_client_auth, internode_server_name="", frontend_server_name="", host_overrides=None,
                      system_worker_dir=None):
    """temporal_tls_config's internode, frontend and system_worker options for a node laid out by node_certs (and
    client_certs, for the system worker's identity); system_worker is None without that identity."""
    files = node_files(certs_dir)

    def client(server_name):
        block = dict(root_ca_files=[files["internode_ca"]])
        if server_name:
            block["server_name"] = server_name
        return block

    blocks = dict(
        internode=dict(server=dict(cert_file=files["internode_cert"], key_file=files["internode_key"], client_ca_files=[files["internode_ca"]],
                                   require_client_auth=require_client_auth), client=client(internode_server_name)),
        frontend=dict(server=dict(cert_file=files["frontend_cert"], key_file=files["frontend_key"], client_ca_files=[files["frontend_clients_ca"]],
                                  require_client_auth=require_client_auth), client=client(frontend_server_name),
                      host_overrides=dict(host_overrides or {})),
        system_worker=None,
    )
    if system_worker_dir:
        worker = dict(root_ca_files=[_join(system_worker_dir, IDENTITY_FILES["server_roots"])])
        if frontend_server_name:
            worker["server_name"] = frontend_server_name
        blocks["system_worker"] = dict(cert_file=_join(system_worker_dir, IDENTITY_FILES["chain"]),
                                       key_file=_join(system_worker_dir, IDENTITY_FILES["key"]), client=worker)
    return blocks


def controller_identities_dir(pki_dir):
    """Where client_certs keeps identities on the controller by default (its client_certs_dir)."""
    return _join(pki_dir, IDENTITIES_DIR)


def identity_file(directory, name, kind):
    """An identity's file of IDENTITY_FILES kind, in <directory>/<name>/."""
    return _join(directory, name, IDENTITY_FILES[kind])


def identity_cert_requests(identities, client_group, identities_dir, settings):
    """temporal_leaf_batch entries for the identities of one client group ('' for the clients CA itself)."""
    requests = []
    for identity in identities:
        if identity_group(identity) != client_group:
            continue
        name = identity["name"]
        requests.append(dict(
            settings,
            profile=identity.get("profile", "client"),
            common_name=identity.get("common_name", identity.get("namespace", identity["name"])),
            dns_names=list(identity.get("dns_names", [])),
            path=identity_file(identities_dir, name, "cert"),
            chain_path=identity_file(identities_dir, name, "chain"),
            private_key_path=identity_file(identities_dir, name, "key"),
            pkcs12_path=identity_file(identities_dir, name, "pkcs12") if identity.get("pkcs12", False) else None,
        ))
    return requests


def identity_files(identity, identities_dir, pki_dir, host_dir):
    """temporal_tls_files entries for what a host that runs an identity gets: its chain, its key, the server roots."""
    name = identity["name"]
    return [
        dict(path=identity_file(host_dir, name, "chain"), src=identity_file(identities_dir, name, "chain"), secret=False, mode="0644"),
        dict(path=identity_file(host_dir, name, "key"), src=identity_file(identities_dir, name, "key"), secret=True, mode="0600"),
        dict(path=identity_file(host_dir, name, "server_roots"), src=bundle_path(pki_dir, SERVER_ROOTS_BUNDLE), secret=False, mode="0644"),
    ]


def identity_profile(identity, directory, address, server_name, pki_dir=None, frontend_host=None):
    """temporal_tls_config's client option for an identity whose files are in <directory>/<name>/: its
    temporal.toml profile and its env file. On a host that runs it, the profile is in the identity's own
    temporal.toml and verifies the server with its server-roots.pem; on the controller (pki_dir set), every identity's
    profile is in <directory>/temporal.toml and verifies the server with pki_dir's server-roots bundle, and with
    frontend_host it is checked against the frontend certificate the controller keeps for that node."""
    name = identity["name"]
    profile = dict(
        profile=name,
        address=address,
        namespace=identity.get("namespace", name),
        cert_file=identity_file(directory, name, "chain"),
        key_file=identity_file(directory, name, "key"),
        ca_file=bundle_path(pki_dir, SERVER_ROOTS_BUNDLE) if pki_dir else identity_file(directory, name, "server_roots"),
        toml_path=_join(directory, IDENTITY_FILES["toml"]) if pki_dir else identity_file(directory, name, "toml"),
        env_path=identity_file(directory, name, "env"),
    )
    if server_name:
        profile["server_name"] = server_name
    if pki_dir and frontend_host:
        profile["server_cert_file"] = node_staging_files(pki_dir, frontend_host, "frontend")["chain"]
    return profile


def _unique(names):
    """Non-empty names, each once, in their first order."""
    seen = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen
