# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build Temporal's ``global.tls`` from the module's options, refusing what the server rejects at
startup and, unless relaxed, what it accepts silently but does not do what it seems to.
Private to this collection: not a public API."""

from __future__ import annotations

import base64

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_required
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    CLIENT_KEYS,
    EXPIRATION_KEYS,
    FILE_OR_DATA,
    KEY,
    ROOT_KEYS,
    SERVER_KEYS,
    TLS_SCHEMA,
    WORKER_KEYS,
    Entries,
    validate_entry,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import go_duration, parse_duration
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import check_host_name, normalize_dns_name

# The silent traps: accepted by the server, but not doing what the config seems to say.
TRAPS = {
    "server_cert_without_key": "a server block with a certificate but no key leaves that listener in plaintext",
    "plaintext_internode_client": "internode server TLS is on but internode.client has no root CAs and no force_tls, "
    "so nodes dial each other in plaintext",
    "client_auth_without_ca": "require_client_auth without client CAs makes the server trust the host's system CAs for client certificates",
    "host_verification_disabled": "disable_host_verification turns off all server certificate verification, chain and name",
    "refresh_disabled": "refresh_interval 0 means certificate files are never re-read: every rotation needs a restart",
    "system_worker_ignored": "the system_worker block counts only with a certificate, root CAs or force_tls; without them "
    "the server falls back to frontend.client and the internode certificate",
    "system_worker_plaintext": "system_worker has no root CAs and no force_tls, so system workers dial the frontend in plaintext",
    "frontend_client_plaintext": "frontend server TLS is on, no system_worker block is set and frontend.client has no root CAs "
    "or force_tls, so system workers dial the frontend in plaintext (unless an internal-frontend service is used)",
    "client_ip_without_server_name": "a client that dials an IP address without server_name checks the IP against the frontend "
    "certificate's IP SANs and sends no SNI name, so no hostOverrides entry ever serves it; set server_name to a DNS SAN of the frontend certificate",
    "cloud_private_server_ca": "Temporal Cloud's endpoints serve certificates from a public CA, and ca_file replaces the system roots, "
    "so the profile cannot verify Cloud's server; leave ca_file unset (the namespace's CA bundle is for client certificates only)",
    "ringpop_plaintext": "internode TLS does not cover membership (ringpop) unless system.enableRingpopTLS is true in the "
    "server's dynamic config, so membership gossip stays plaintext",
    "ringpop_rolling_restart": "the server reads system.enableRingpopTLS only at start, and a node restarted with it cannot "
    "join the plaintext peers still running (it exits 'unable to bootstrap ringpop'), so restarting batch by batch splits the ring; "
    "restart every node together (mtls_temporal_serial=100%), or relax this when no node runs yet",
    "ca_bundle_order": "a CA bundle that holds several CAs must list the newest first, since hot reload notices only a change "
    "of a CA file's first certificate",
}


class Findings:
    """Errors and warnings collected over the whole config, so one run reports every problem."""

    def __init__(self, relaxed):
        self.relaxed = set(relaxed or [])
        self.errors = []
        self.warnings = []

    def error(self, where, message):
        self.errors.append("{0}: {1}".format(where, message))

    def trap(self, name, where, detail=None):
        """A trap: an error unless relaxed. detail says what exactly was found, before the trap's explanation."""
        message = "{0}: {1}".format(where, TRAPS[name] if detail is None else "{0}; {1}".format(detail, TRAPS[name]))
        if name in self.relaxed:
            self.warnings.append(message + " (relaxed: {0})".format(name))
        else:
            self.errors.append(message + " (add {0} to relaxed_checks to accept it)".format(name))

    def raise_errors(self):
        if self.errors:
            raise PKIError(None, "; ".join(self.errors))


def _b64(data):
    return base64.b64encode(data).decode("ascii")


class TLSRenderer:
    """Turns validated option blocks into the server's camelCase structure.

    embed: read every *_file where the module runs and write *Data (base64 of the PEM) instead.
    files: every file the config references, path -> set of kinds (cert, key, client_ca, root_ca).
    embeds_key: whether the rendered config holds a private key (keyData), so its file must be private."""

    def __init__(self, embed, findings):
        self.embed = embed
        self.findings = findings
        self.files = {}
        self.embeds_key = False

    def _file_or_data(self, block, kind, names, where, out):
        file_key, data_key = FILE_OR_DATA[kind]
        as_list = kind in ("client_ca", "root_ca")
        file_value, data_value = block.get(file_key), block.get(data_key)
        if file_value and data_value:
            self.findings.error(where, "{0} and {1} are both set; the server refuses to start".format(file_key, data_key))
            return
        if as_list:
            for index, entry in enumerate(file_value or data_value or []):
                if entry is None or not str(entry).strip():
                    self.findings.error(where, "entry {0} of {1} is empty; the server refuses to start".format(index + 1, file_key if file_value else data_key))
                    return
        if file_value:
            paths = file_value if as_list else [file_value]
            for path in paths:
                self.files.setdefault(path, set()).add(kind)
            if self.embed:
                encoded = [_b64(read_required(path, "{0}.{1}".format(where, file_key))) for path in paths]
                out[names[data_key]] = encoded if as_list else encoded[0]
                self.embeds_key |= kind == "key"
            else:
                out[names[file_key]] = list(paths) if as_list else paths[0]
        elif data_value:
            encoded = [_b64(str(d).encode("utf-8")) for d in (data_value if as_list else [data_value])]
            out[names[data_key]] = encoded if as_list else encoded[0]
            self.embeds_key |= kind == "key"

    def server(self, block, where, dialer=False):
        """A server block. dialer: a remote cluster entry's, which holds the client certificate this cluster presents
        when it dials the remote (only with requireClientAuth) and verifies nobody, so client CAs there are unused."""
        out = {}
        names = dict(SERVER_KEYS)
        for kind in ("cert", "key", "client_ca"):
            self._file_or_data(block, kind, names, where, out)
        has_cert = KEY["cert_file"] in out or KEY["cert_data"] in out
        has_key = KEY["key_file"] in out or KEY["key_data"] in out
        has_ca = KEY["client_ca_files"] in out or KEY["client_ca_data"] in out
        if has_cert and not has_key:
            self.findings.trap("server_cert_without_key", where)
        if has_key and not has_cert:
            self.findings.error(where, "a key without a certificate; the listener fails when it is first used")
        out[KEY["require_client_auth"]] = bool(block.get("require_client_auth"))
        if dialer:
            if has_ca:
                self.findings.warnings.append("{0}: client CAs of a remote cluster entry are never used; this cluster only dials the remote".format(where))
            if has_cert and not out[KEY["require_client_auth"]]:
                self.findings.warnings.append("{0}: the certificate is presented to the remote cluster only when require_client_auth is true".format(where))
        elif out[KEY["require_client_auth"]] and not has_ca:
            self.findings.trap("client_auth_without_ca", where)
        if has_ca and not out[KEY["require_client_auth"]] and not dialer:
            self.findings.warnings.append("{0}: client CAs are set but require_client_auth is false, so they are ignored".format(where))
        return out

    def client(self, block, where):
        out = {}
        if block.get("server_name"):
            try:
                check_host_name(block["server_name"], where + ".server_name")
            except PKIError as exc:
                self.findings.error(exc.option, exc.message)
            out[KEY["server_name"]] = block["server_name"]
        if block.get("disable_host_verification"):
            out[KEY["disable_host_verification"]] = True
            self.findings.trap("host_verification_disabled", where)
        self._file_or_data(block, "root_ca", dict(CLIENT_KEYS), where, out)
        if block.get("force_tls"):
            out[KEY["force_tls"]] = True
        return out

    def group(self, block, where, dialer=False):
        out = {}
        if block.get("server"):
            out["server"] = self.server(block["server"], where + ".server", dialer)
        if block.get("client"):
            out["client"] = self.client(block["client"], where + ".client")
        return out

    def worker(self, block, where):
        out = {}
        for kind in ("cert", "key"):
            self._file_or_data(block, kind, dict(WORKER_KEYS), where, out)
        if block.get("client"):
            out["client"] = self.client(block["client"], where + ".client")
        return out


def server_enabled(server):
    return bool(server) and (KEY["key_file"] in server or KEY["key_data"] in server)


def client_enabled(client):
    return bool(client) and bool(client.get(KEY["root_ca_files"]) or client.get(KEY["root_ca_data"]) or client.get(KEY["force_tls"]))


def go_duration_option(value, option, allow_zero=True):
    text = str(value).strip()
    if allow_zero and text in ("0", "0s", "0m", "0h", "0d"):
        return "0s"
    return go_duration(parse_duration(text, option))


def _host_overrides(renderer, overrides, findings):
    rendered = {}
    for name, value in overrides.items():
        where = "frontend.host_overrides[{0!r}]".format(name)
        if not str(name).strip():
            findings.error("frontend.host_overrides", "an empty host name key; the server refuses to start")
            continue
        try:
            normalize_dns_name(name, where)  # the exact SNI name clients send; anything else never matches
        except PKIError as exc:
            findings.error(exc.option, exc.message)
            continue
        if name != name.lower():
            findings.warnings.append("{0}: the server compares SNI lower-cased; written as {1!r}".format(where, name.lower()))
        rendered[name.lower()] = renderer.server(validate_entry(value, where, "server"), where)
    return rendered


def render_global_tls(params, findings):
    """The global.tls mapping, and the renderer (which knows every referenced file). Host override and remote
    cluster entries are typed by validate_entry, since Ansible cannot type free-form dict options."""
    renderer = TLSRenderer(params.get("embed"), findings)
    tls = {}
    internode = params.get("internode") or {}
    if internode:
        tls["internode"] = renderer.group(internode, "internode")
        if server_enabled(tls["internode"].get("server")) and not client_enabled(tls["internode"].get("client")):
            findings.trap("plaintext_internode_client", "internode")
    frontend = params.get("frontend") or {}
    if frontend:
        tls["frontend"] = renderer.group(frontend, "frontend")
        if frontend.get("host_overrides"):
            tls["frontend"][KEY["host_overrides"]] = _host_overrides(renderer, frontend["host_overrides"], findings)
    worker = params.get("system_worker") or {}
    if worker:
        rendered = tls[KEY["system_worker"]] = renderer.worker(worker, "system_worker")
        if not (KEY["cert_file"] in rendered or KEY["cert_data"] in rendered or client_enabled(rendered.get("client"))):
            findings.trap("system_worker_ignored", "system_worker")
        elif not client_enabled(rendered.get("client")):
            findings.trap("system_worker_plaintext", "system_worker")
    elif server_enabled(tls.get("frontend", {}).get("server")) and not client_enabled(tls["frontend"].get("client")):
        findings.trap("frontend_client_plaintext", "frontend")
    remote = params.get("remote_clusters") or {}
    if remote:
        rendered = {}
        for host, value in remote.items():
            where = "remote_clusters[{0!r}]".format(host)
            if not str(host).strip():
                findings.error("remote_clusters", "an empty host key")
                continue
            rendered[host] = renderer.group(validate_entry(value, where, "group"), where, dialer=True)
        tls[KEY["remote_clusters"]] = rendered
    checks = params.get("expiration_checks")
    if checks:
        tls[KEY["expiration_checks"]] = {
            out: go_duration_option(checks[key], "expiration_checks." + key) for key, out in EXPIRATION_KEYS if checks.get(key) is not None
        }
    if params.get("refresh_interval") is not None:
        tls[KEY["refresh_interval"]] = go_duration_option(params["refresh_interval"], "refresh_interval")
        if tls[KEY["refresh_interval"]] == "0s" and any(server_enabled(g.get("server")) for g in (tls.get("internode"), tls.get("frontend")) if g):
            findings.trap("refresh_disabled", "refresh_interval")
    return tls, renderer


def keep_unrendered(before, tls, params, warnings):
    """The global.tls to write over before (what the config file has): tls, plus what this run does not render.
    Kept as they are: a top-level block whose option is unset, a key the server reads that this collection never
    writes (internode.hostOverrides), and a key the server does not read (named in a warning, since it does nothing).
    A key the collection writes but this run no longer renders is removed and named in a warning."""
    if not isinstance(before, dict):
        return tls
    given = {key for option, key in ROOT_KEYS if params.get(option) is not None}
    untouched = {key: value for key, value in before.items() if key in TLS_SCHEMA and key not in given and key not in tls}
    rendered_part = {key: value for key, value in before.items() if key not in untouched}
    return dict(_carry(rendered_part, tls, TLS_SCHEMA, "global.tls", warnings), **untouched)


def _carry(old, new, level, where, warnings):
    out = dict(new)
    for key, value in old.items():
        name = "{0}.{1}".format(where, key)
        if key not in level:
            out[key] = value
            warnings.append("config_path: {0} is not a key the Temporal server reads, so it has no effect; kept as it was".format(name))
        elif key not in new:
            if isinstance(level[key], Entries) and not level[key].rendered:
                out[key] = value
            elif value not in (None, "", [], {}, False):  # an empty value loses nothing
                warnings.append("config_path: {0} is removed: these options no longer set it".format(name))
        elif isinstance(value, dict) and isinstance(new[key], dict) and level[key] is not None:
            out[key] = _carry_entries(value, new[key], level[key], name, warnings) if isinstance(level[key], Entries) \
                else _carry(value, new[key], level[key], name, warnings)
    return out


def _carry_entries(old, new, entries, where, warnings):
    out = {}
    for name, value in new.items():
        entry_where = "{0}[{1!r}]".format(where, name)
        out[name] = _carry(old[name], value, entries.level, entry_where, warnings) if isinstance(old.get(name), dict) and isinstance(value, dict) else value
    for name in old:
        if name not in new:
            warnings.append("config_path: {0}[{1!r}] is removed: these options no longer set it".format(where, name))
    return out
