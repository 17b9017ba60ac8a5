# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a staged CA rotation (the pki role's rotate entry point, run by mtls.temporal.rotate_ca) checks before it
retires the old CAs: the leaves on the controller and what every host reported it uses. Plain data, no
cryptography. Private to this collection: not a public API."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils.temporal.layout import (
    CA_FILES,
    NODE_PROFILES,
    ROOT_CA,
    SERVERS_CA,
    ca_paths,
    controller_identities_dir,
    identity_file,
    node_staging_files,
)


def ca_file_names(names):
    """The files of the named CAs, relative to their directory; the root has no chain file."""
    return [file.format(name) for name in names for kind, file in CA_FILES.items() if kind != "chain" or name != ROOT_CA]


def controller_leaves(pki_dir, servers, identities, client_cas):
    """The controller's copies of the leaves that must come from the new CAs, each group with the CA files that
    count as its issuer: every node's certificates (the servers CA), every identity's (any clients CA: which group
    an identity belongs to is the client_certs role's business)."""
    nodes = [node_staging_files(pki_dir, host, profile)["cert"] for host in servers for profile in NODE_PROFILES]
    clients = [identity_file(controller_identities_dir(pki_dir), name, "cert") for name in identities]
    return [dict(label=SERVERS_CA, issuer_files=[ca_paths(pki_dir, SERVERS_CA)["cert"]], paths=nodes),
            dict(label=", ".join(client_cas), issuer_files=[ca_paths(pki_dir, name)["cert"] for name in client_cas], paths=clients)]


def deployed(servers, identity_hosts, client_hosts, hostvars):
    """What each node, and each host named by an identity, reported it uses ({} where nothing came back): the
    registered server_tls_in_use and client_certs_in_use of the hosts."""
    entries = [dict(host=host, read=hostvars[host].get("server_tls_in_use") or {}) for host in servers]
    named = []
    for host in identity_hosts:
        if host in client_hosts and host not in named:
            named.append(host)
    entries += [dict(host=host, read=hostvars[host].get("client_certs_in_use") or {}) for host in named]
    return entries


def stale(reports):
    """host:path of each deployed file not from the new CAs (or missing), and each host that reported nothing."""
    out = []
    for entry in reports:
        host, read = entry["host"], entry["read"]
        if read.get("unreachable"):
            out.append("{0} (unreachable: {1})".format(host, str(read.get("msg") or "").strip()))
        elif read.get("skipped"):
            continue
        elif "files" not in read or read.get("failed"):
            out.append("{0} (not read: {1})".format(host, str(read.get("msg") or "not in this run").strip()))
        else:
            out += ["{0}:{1}{2}".format(host, item["path"], "" if item["exists"] else " (missing)") for item in read["files"] if not item["issued_by_issuer"]]
    return out


def vault_rotation(step, mounts, next_issuers, recorded, pki_dir):
    """The rotation a step with Vault issuers records, {mount: {new, old}}, and the errors that stop it.

    mounts: temporal_vault_ca_chain's loop results (item: the mount); next_issuers: (mount, issuer ID or name) of the
    servers and the clients mounts, as given for introduce; recorded: what rotation.json holds."""
    by_mount = {result["item"]: result for result in mounts}
    if step == "introduce":
        return _introduce(by_mount, next_issuers)
    errors, vault = [], dict((recorded or {}).get("vault") or {})
    if not vault:
        errors.append("{0}/rotation.json records no Vault rotation: run introduce with pki_issuer=vault first".format(pki_dir))
    for mount, rotation in vault.items():
        default = by_mount[mount]["default"]
        if default != rotation["new"]:
            fix = (": make it the default (vault write {0}/config/issuers default={1}, or pki_vault_set_default=true) and rerun "
                   "reissue".format(mount, rotation["new"]) if step == "reissue" else "")
            errors.append("the default issuer of {0} is {1}, not the new issuer {2}{3}".format(mount, default, rotation["new"], fix))
    return dict(errors=errors, vault=vault)


def _introduce(by_mount, next_issuers):
    errors, vault, wanted = [], {}, {}
    for mount, ref in next_issuers:
        if not ref:
            continue
        if wanted.get(mount, ref) != ref:
            errors.append("the mount {0} serves servers and clients: pki_vault_servers_next_issuer and pki_vault_clients_next_issuer "
                          "differ".format(mount))
        wanted[mount] = ref
    if not wanted:
        errors.append("set pki_vault_servers_next_issuer and/or pki_vault_clients_next_issuer to the new issuer (ID or name) you made in the mount")
    for mount, ref in wanted.items():
        issuers, default = by_mount[mount]["issuers"], by_mount[mount]["default"]
        found = [issuer for issuer in issuers if issuer["id"] == ref] + [issuer for issuer in issuers if issuer["name"] == ref]
        if not found:
            errors.append("{0} has no issuer {1} (it has {2})".format(mount, ref, ", ".join(issuer["id"] for issuer in issuers)))
        elif found[0]["id"] == default:
            errors.append("{0} is already the default issuer of {1}: introduce must trust it before any leaf comes from it; make the old "
                          "issuer the default again, or rotate without introduce".format(ref, mount))
        else:
            vault[mount] = dict(new=found[0]["id"], old=default)
    return dict(errors=errors, vault=vault)
