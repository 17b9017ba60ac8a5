# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the files a Temporal TLS config points at, where they are readable: what the server would
only discover when a listener or dialer is first built, or never. Private to this collection: not a public API."""

from __future__ import annotations

import ipaddress

from ansible_collections.mtls.temporal.plugins.module_utils._certs import extended_key_usage_names, is_issued_by, load_pem_certificates
from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils._keys import load_private_key, same_public_key
from ansible_collections.mtls.temporal.plugins.module_utils._names import sans_of

FMT = "%Y-%m-%dT%H:%M:%SZ"


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
            data = read_optional(path, where)
            if data is None:
                self.unreadable.append(path)
            else:
                certs = load_pem_certificates(data, where, path)
        except PKIError as exc:
            self.findings.error(where, exc.message)
        self._cache[path] = certs
        if certs:
            for cert in certs:
                if cert.not_valid_after_utc <= self.now:
                    self.findings.error(where, "{0}: {1} expired on {2}".format(path, cert.subject.rfc4514_string(), cert.not_valid_after_utc.strftime(FMT)))
                elif cert.not_valid_before_utc > self.now:
                    self.findings.error(
                        where, "{0}: {1} is not valid before {2}".format(path, cert.subject.rfc4514_string(), cert.not_valid_before_utc.strftime(FMT))
                    )
        return certs

    def bundle(self, path, where):
        certs = self.certs(path, where)
        if certs and len(certs) > 1:
            newest = max(certs, key=lambda c: c.not_valid_before_utc)
            if certs[0].not_valid_before_utc < newest.not_valid_before_utc:
                self.findings.error(
                    where,
                    "{0} lists {1} first, but {2} is newer; put the newest CA first, since hot reload notices only a change "
                    "of a CA file's first certificate".format(path, certs[0].subject.rfc4514_string(), newest.subject.rfc4514_string()),
                )
        return certs

    def leaf(self, cert_path, key_path, where):
        chain = self.certs(cert_path, where + ".cert_file")
        if not chain or not key_path:
            return chain
        data = read_optional(key_path, where + ".key_file")
        if data is None:
            self.unreadable.append(key_path)
            return chain
        try:
            key = load_private_key(data, None, where + ".key_file", key_path)
        except PKIError as exc:
            self.findings.error(where, exc.message)
            return chain
        if not same_public_key(key, chain[0].public_key()):
            self.findings.error(where, "{0} does not match the certificate in {1}".format(key_path, cert_path))
        return chain

    def chains_to(self, chain, ca_paths, where, cert_path, ca_option):
        anchors = []
        for path in ca_paths or []:
            anchors.extend(self.certs(path, ca_option) or [])
        if not chain or not anchors:
            return
        for cert in chain:
            if any(cert == anchor or is_issued_by(cert, anchor) for anchor in anchors):
                return
        self.findings.error(where, "{0} does not chain to a CA in {1}".format(cert_path, ca_option))

    def eku(self, chain, where, cert_path, wanted):
        if not chain:
            return
        ekus = set(extended_key_usage_names(chain[0]))
        if ekus and not wanted <= ekus:
            self.findings.error(
                where, "{0} has extendedKeyUsage {1}; it needs {2} (or no extendedKeyUsage)".format(cert_path, sorted(ekus), " and ".join(sorted(wanted)))
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


def _dns_covers(dns_names, name):
    for pattern in dns_names:
        if pattern == name:
            return True
        if pattern.startswith("*.") and name.count(".") == pattern.count(".") and name.endswith(pattern[1:]):
            return True
    return False


def check_files(params, findings, now):
    """Run every file check the config allows; returns the paths that were not readable here."""
    checker = FileChecker(findings, now)
    internode = params.get("internode") or {}
    frontend = params.get("frontend") or {}
    worker = params.get("system_worker") or {}

    for group_name, group in (("internode", internode), ("frontend", frontend)):
        for path in ((group.get("server") or {}).get("client_ca_files") or []):
            checker.bundle(path, group_name + ".server.client_ca_files")
        for path in ((group.get("client") or {}).get("root_ca_files") or []):
            checker.bundle(path, group_name + ".client.root_ca_files")
    for path in ((worker.get("client") or {}).get("root_ca_files") or []):
        checker.bundle(path, "system_worker.client.root_ca_files")

    server = internode.get("server") or {}
    if server.get("cert_file"):
        chain = checker.leaf(server["cert_file"], server.get("key_file"), "internode.server")
        checker.eku(chain, "internode.server", server["cert_file"], {"serverAuth", "clientAuth"})
        checker.chains_to(
            chain, (internode.get("client") or {}).get("root_ca_files"), "internode.server", server["cert_file"], "internode.client.root_ca_files"
        )
        if server.get("require_client_auth"):
            checker.chains_to(chain, server.get("client_ca_files"), "internode.server", server["cert_file"], "internode.server.client_ca_files")
        server_name = (internode.get("client") or {}).get("server_name")
        if server_name:
            checker.names(chain, [server_name], "internode.server", server["cert_file"], "internode.client.server_name")
        elif params.get("node_addresses"):
            checker.names(chain, params["node_addresses"], "internode.server", server["cert_file"], "peers dial node addresses when no server_name is set")

    front = frontend.get("server") or {}
    frontend_chain = None
    if front.get("cert_file"):
        frontend_chain = checker.leaf(front["cert_file"], front.get("key_file"), "frontend.server")
        checker.eku(frontend_chain, "frontend.server", front["cert_file"], {"serverAuth"})
        client = frontend.get("client") or {}
        checker.chains_to(frontend_chain, client.get("root_ca_files"), "frontend.server", front["cert_file"], "frontend.client.root_ca_files")
        if client.get("server_name"):
            checker.names(frontend_chain, [client["server_name"]], "frontend.server", front["cert_file"], "frontend.client.server_name")
    for name, override in (frontend.get("host_overrides") or {}).items():
        if isinstance(override, dict) and override.get("cert_file"):
            where = "frontend.host_overrides[{0!r}]".format(name)
            chain = checker.leaf(override["cert_file"], override.get("key_file"), where)
            checker.eku(chain, where, override["cert_file"], {"serverAuth"})
            checker.names(chain, [name], where, override["cert_file"], "clients reach this override by that SNI name")

    if worker.get("cert_file"):
        chain = checker.leaf(worker["cert_file"], worker.get("key_file"), "system_worker")
        checker.eku(chain, "system_worker", worker["cert_file"], {"clientAuth"})
        if front.get("require_client_auth"):
            checker.chains_to(chain, front.get("client_ca_files"), "system_worker", worker["cert_file"], "frontend.server.client_ca_files")
    worker_client = worker.get("client") or {}
    if frontend_chain:
        checker.chains_to(frontend_chain, worker_client.get("root_ca_files"), "frontend.server", front["cert_file"], "system_worker.client.root_ca_files")
        if worker_client.get("server_name"):
            checker.names(frontend_chain, [worker_client["server_name"]], "frontend.server", front["cert_file"], "system_worker.client.server_name")
    return sorted(set(checker.unreadable))
