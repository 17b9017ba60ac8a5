# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the files a Temporal TLS config points at, where they are readable, and of the PEM it is given
inline (*_data options), checked the same way: what the server would only discover when a listener or dialer is
first built, or never. Private to this collection: not a public API."""

from __future__ import annotations

import ipaddress

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.outputs import check_address
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import validate_entry
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import (
    basic_constraints,
    extended_key_usage_names,
    is_ca,
    is_issued_by,
    load_pem_certificates,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import load_private_key, same_public_key
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import check_host_name, is_ip_address, sans_of


class Inline:
    """PEM given in a *_data option, checked as a file would be. Messages name it by its option, never its content."""

    def __init__(self, option, text):
        self.option = option
        self.data = str(text).encode("utf-8")

    def __str__(self):
        return self.option

    def __eq__(self, other):
        return isinstance(other, Inline) and (self.option, self.data) == (other.option, other.data)

    def __hash__(self):
        return hash((self.option, self.data))


def _read(source, where, unreadable):
    """The bytes of a file (None, listed in unreadable, when it is not here) or of inline PEM."""
    if isinstance(source, Inline):
        return source.data
    data = read_optional(source, where)
    if data is None:
        unreadable.append(source)
    return data


class FileChecker:
    def __init__(self, findings, now):
        self.findings = findings
        self.now = now
        self.unreadable = []
        self._cache = {}

    def certs(self, path, where):
        """Certificates of a PEM file, None when the file is not here (checks that need it are skipped)."""
        if path in self._cache:
            return self._cache[path]
        certs = None
        try:
            data = _read(path, where, self.unreadable)
            if data is not None:
                certs = load_pem_certificates(data, where, str(path))
        except PKIError as exc:
            self.findings.error(where, exc.message)
        self._cache[path] = certs
        if certs:
            for cert in certs:
                if cert.not_valid_after_utc <= self.now:
                    self.findings.error(where, "{0}: {1} expired on {2}".format(path, cert.subject.rfc4514_string(), timestamp(cert.not_valid_after_utc)))
                elif cert.not_valid_before_utc > self.now:
                    self.findings.error(
                        where, "{0}: {1} is not valid before {2}".format(path, cert.subject.rfc4514_string(), timestamp(cert.not_valid_before_utc))
                    )
        return certs

    def bundle(self, path, where):
        certs = self.certs(path, where)
        if certs and len(certs) > 1:
            newest = max(certs, key=lambda c: c.not_valid_before_utc)
            if certs[0].not_valid_before_utc < newest.not_valid_before_utc:
                detail = "{0} lists {1} first, but {2} is newer".format(path, certs[0].subject.rfc4514_string(), newest.subject.rfc4514_string())
                self.findings.trap("ca_bundle_order", where, detail)
        return certs

    def leaf(self, cert_path, key_path, where):
        chain = self.certs(cert_path, where + ".cert_file")
        if not chain or not key_path:
            return chain
        try:
            data = _read(key_path, where + ".key_file", self.unreadable)
            if data is None:
                return chain
            key = load_private_key(data, None, where + ".key_file", str(key_path))
        except PKIError as exc:
            self.findings.error(where, exc.message)
            return chain
        if not same_public_key(key, chain[0].public_key()):
            self.findings.error(where, "{0} does not match the certificate in {1}".format(key_path, cert_path))
        return chain

    def chains_to(self, chain, ca_sources, where, cert_path, ca_option):
        """The leaf (chain[0]) must verify along a path leaf -> intermediates from its own file -> one of the CAs
        in ca_sources (see cas), as the peer's TLS stack builds it: any certificate of the chain file merely issued
        by a listed CA proves nothing."""
        anchors = []
        for source in ca_sources:
            anchors.extend(self.certs(source, ca_option) or [])
        if not chain or not anchors:
            return
        if not _has_path(chain[0], chain[1:], anchors, 0, ()):
            self.findings.error(
                where,
                "{0} does not chain to a CA in {1}: no path leads from its first certificate through the intermediates in that file "
                "to one of those CAs".format(cert_path, ca_option),
            )

    def eku(self, chain, where, cert_path, wanted, why=None):
        if not chain:
            return
        ekus = set(extended_key_usage_names(chain[0]))
        if ekus and not wanted <= ekus:
            self.findings.error(
                where,
                "{0} has extendedKeyUsage {1}; it needs {2} (or no extendedKeyUsage){3}".format(
                    cert_path, sorted(ekus), " and ".join(sorted(wanted)), "" if why is None else ": " + why
                ),
            )

    def names(self, chain, names, where, cert_path, why):
        if not chain:
            return
        dns, ips = sans_of(chain[0])
        for name in names:
            try:
                present = ipaddress.ip_address(name) in ips
            except ValueError:
                present = _dns_covers(dns, name.lower())
            if not present:
                self.findings.error(where, "{0} has no SAN for {1!r} ({2})".format(cert_path, name, why))


def _within_path_length(issuer, intermediates_below):
    constraints = basic_constraints(issuer)
    return constraints is None or constraints.path_length is None or intermediates_below <= constraints.path_length


def _has_path(cert, intermediates, anchors, depth, used):
    """Whether cert reaches an anchor: an anchor itself, or signed (name, signature and key identifiers matching)
    by an anchor, or by an intermediate CA that in turn reaches one. depth counts the intermediates already
    between the leaf and cert; every issuer's pathLenConstraint must allow them (RFC 5280, as Go checks)."""
    if any(cert == anchor for anchor in anchors):
        return True
    if any(_within_path_length(anchor, depth) and is_issued_by(cert, anchor) for anchor in anchors):
        return True
    for issuer in intermediates:
        if issuer in used or issuer == cert or not is_ca(issuer) or not _within_path_length(issuer, depth):
            continue
        if is_issued_by(cert, issuer) and _has_path(issuer, intermediates, anchors, depth + 1, used + (issuer,)):
            return True
    return False


def _cert(block, where):
    """Where a block's certificate comes from: its cert_file, or an Inline of its cert_data; None when neither."""
    return block.get("cert_file") or (Inline(where + ".cert_data", block["cert_data"]) if block.get("cert_data") else None)


def _key(block, where):
    return block.get("key_file") or (Inline(where + ".key_data", block["key_data"]) if block.get("key_data") else None)


def _cas(block, kind, where):
    """The CA sources of a block's client_ca or root_ca (kind): the non-blank entries of its *_files, or an Inline
    for each of its *_data (blank entries are refused by the render already)."""
    block = block or {}
    if block.get(kind + "_files"):
        return [path for path in block[kind + "_files"] if path is not None and str(path).strip()]
    return [Inline("{0}.{1}_data[{2}]".format(where, kind, index), text)
            for index, text in enumerate(block.get(kind + "_data") or []) if text is not None and str(text).strip()]


def _entries(mapping, option, kind):
    """(name, where, entry) of each host override or remote cluster entry that the render accepted, typed the
    same way; the render already reported empty keys and values that are not mappings."""
    for name, value in (mapping or {}).items():
        if not str(name).strip() or not isinstance(value, dict):
            continue
        where = "{0}[{1!r}]".format(option, name)
        try:
            value = validate_entry(value, where, kind)
        except PKIError:
            continue
        yield str(name), where, value


def _dns_covers(dns_names, name):
    for pattern in dns_names:
        if pattern == name:
            return True
        if pattern.startswith("*.") and name.count(".") == pattern.count(".") and name.endswith(pattern[1:]):
            return True
    return False


def advertised_addresses(server_config):
    """(address, why) of what peers dial to reach this node, by its server config: a member is advertised as
    global.membership.broadcastAddress when set, else as each service's bind IP (ringpop/monitor.go)."""
    glob = server_config.get("global") if isinstance(server_config.get("global"), dict) else {}
    membership = glob.get("membership") if isinstance(glob.get("membership"), dict) else {}
    if membership.get("broadcastAddress"):
        return [(str(membership["broadcastAddress"]), "peers dial global.membership.broadcastAddress of config_path")]
    dialled = []
    services = server_config.get("services") if isinstance(server_config.get("services"), dict) else {}
    for name, service in sorted(services.items()):
        rpc = service.get("rpc") if isinstance(service, dict) and isinstance(service.get("rpc"), dict) else {}
        address = str(rpc.get("bindOnIP") or "")
        try:
            unspecified = ipaddress.ip_address(address).is_unspecified
        except ValueError:
            continue
        if not unspecified and address not in [known for known, _why in dialled]:
            dialled.append((address, "peers dial services.{0}.rpc.bindOnIP of config_path".format(name)))
    return dialled


def check_files(params, findings, now, dialled=()):
    """Run every file check the config allows; returns the paths that were not readable here. dialled: (address,
    why) of what peers dial besides node_addresses (advertised_addresses).

    Host override and remote cluster entries are typed as the render typed them."""
    checker = FileChecker(findings, now)
    frontend = params.get("frontend") or {}
    overrides = list(_entries(frontend.get("host_overrides"), "frontend.host_overrides", "server"))
    remotes = list(_entries(params.get("remote_clusters"), "remote_clusters", "group"))
    _check_bundles(checker, params, overrides, remotes)
    _check_internode(checker, params, dialled)
    _check_frontend(checker, frontend, params.get("system_worker") or {}, overrides)
    # A remote cluster entry is a client side: its server block is the certificate this cluster presents to the
    # remote's frontend, whose client CAs are not known here, so there is no chain to check it against.
    for _name, where, remote in remotes:
        server = remote.get("server") or {}
        cert = _cert(server, where + ".server")
        if cert:
            chain = checker.leaf(cert, _key(server, where + ".server"), where + ".server")
            checker.eku(chain, where + ".server", cert, {"clientAuth"}, "this cluster presents it as its client certificate")
    return sorted(set(checker.unreadable))


def _check_bundles(checker, params, overrides, remotes):
    for group_name in ("internode", "frontend"):
        group = params.get(group_name) or {}
        for kind, side in (("client_ca", "server"), ("root_ca", "client")):
            where = "{0}.{1}".format(group_name, side)
            for source in _cas(group.get(side), kind, where):
                checker.bundle(source, "{0}.{1}_files".format(where, kind))
    for _name, where, override in overrides:
        for source in _cas(override, "client_ca", where):
            checker.bundle(source, where + ".client_ca_files")
    for where, block in [("system_worker.client", (params.get("system_worker") or {}).get("client"))] + \
            [(where + ".client", remote.get("client")) for _name, where, remote in remotes]:
        for source in _cas(block, "root_ca", where):
            checker.bundle(source, where + ".root_ca_files")


def _check_internode(checker, params, dialled):
    internode = params.get("internode") or {}
    server = internode.get("server") or {}
    cert = _cert(server, "internode.server")
    if not cert:
        return
    chain = checker.leaf(cert, _key(server, "internode.server"), "internode.server")
    checker.eku(chain, "internode.server", cert, {"serverAuth", "clientAuth"})
    checker.chains_to(chain, _cas(internode.get("client"), "root_ca", "internode.client"), "internode.server", cert, "internode.client.root_ca_files")
    if server.get("require_client_auth"):
        checker.chains_to(chain, _cas(server, "client_ca", "internode.server"), "internode.server", cert, "internode.server.client_ca_files")
    server_name = (internode.get("client") or {}).get("server_name")
    if server_name:
        checker.names(chain, [server_name], "internode.server", cert, "internode.client.server_name")
    else:
        if params.get("node_addresses"):
            checker.names(chain, params["node_addresses"], "internode.server", cert, "peers dial node addresses when no server_name is set")
        for address, why in dialled:
            checker.names(chain, [address], "internode.server", cert, why + ", and no internode.client.server_name is set")


def _check_frontend(checker, frontend, worker, overrides):
    # What a client dialling the frontend reaches: the host override named by its SNI, else frontend.server.
    front = frontend.get("server") or {}
    listeners = {}
    default = ("frontend.server", front, None, None)
    front_cert = _cert(front, "frontend.server")
    if front_cert:
        chain = checker.leaf(front_cert, _key(front, "frontend.server"), "frontend.server")
        checker.eku(chain, "frontend.server", front_cert, {"serverAuth"})
        default = ("frontend.server", front, front_cert, chain)
    for name, where, override in overrides:
        cert, chain = _cert(override, where), None
        if cert:
            chain = checker.leaf(cert, _key(override, where), where)
            checker.eku(chain, where, cert, {"serverAuth"})
            checker.names(chain, [name], where, cert, "clients reach this override by that SNI name")
        listeners[name.lower()] = (where, override, cert, chain)

    def dialled(server_name):
        return listeners.get(str(server_name or "").lower(), default)

    # The legacy system-worker path (frontend.client) and the systemWorker block both verify what they dial.
    for option, client in (("frontend.client", frontend.get("client") or {}), ("system_worker.client", worker.get("client") or {})):
        where, _block, cert, chain = dialled(client.get("server_name"))
        if chain:
            checker.chains_to(chain, _cas(client, "root_ca", option), where, cert, option + ".root_ca_files")
            if client.get("server_name"):
                checker.names(chain, [client["server_name"]], where, cert, option + ".server_name")
    worker_cert = _cert(worker, "system_worker")
    if worker_cert:
        chain = checker.leaf(worker_cert, _key(worker, "system_worker"), "system_worker")
        checker.eku(chain, "system_worker", worker_cert, {"clientAuth"})
        where, block, _cert_source, _chain = dialled((worker.get("client") or {}).get("server_name"))
        if block.get("require_client_auth"):
            checker.chains_to(chain, _cas(block, "client_ca", where), "system_worker", worker_cert, where + ".client_ca_files")


def check_client(params, findings, now):
    """What the client profile would meet when it dials: its own certificate (readable, unexpired, its key's, with
    clientAuth), the name it checks in the frontend certificate (server_cert_file, or this run's frontend.server) and
    the CA it verifies that certificate with; and the client traps."""
    client = params.get("client")
    host, _port = check_address(client["address"], "client.address")
    if client.get("server_name"):
        check_host_name(client["server_name"], "client.server_name")
    if client.get("disable_host_verification"):
        findings.trap("host_verification_disabled", "client")
    if not client.get("server_name") and is_ip_address(host):
        findings.trap("client_ip_without_server_name", "client.address", "{0} is an IP address".format(client["address"]))
    if client.get("ca_file") and (host.lower() == "tmprl.cloud" or host.lower().endswith(".tmprl.cloud")):
        findings.trap("cloud_private_server_ca", "client.ca_file", "{0} is a Temporal Cloud address".format(client["address"]))
    if not params.get("check_files"):
        return
    checker = FileChecker(findings, now)
    if client.get("cert_file"):
        chain = checker.leaf(client["cert_file"], client.get("key_file"), "client")
        checker.eku(chain, "client", client["cert_file"], {"clientAuth"}, "the frontend asks for a client certificate")
    front = (params.get("frontend") or {}).get("server") or {}
    server_cert = client.get("server_cert_file") or _cert(front, "frontend.server")
    if not server_cert:
        return
    chain = checker.certs(server_cert, "client.server_cert_file")
    option = "client.server_name" if client.get("server_name") else "client.address"
    checker.names(chain, [client.get("server_name") or host], option, server_cert, "the client checks the frontend certificate for it")
    if client.get("ca_file"):
        checker.chains_to(chain, [client["ca_file"]], "client.ca_file", server_cert, "client.ca_file")
