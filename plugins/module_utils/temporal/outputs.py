# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outputs of temporal_tls_config besides the YAML config: the server image's env file, and the
client profile as temporal.toml and as TEMPORAL_* variables. Private to this collection: not a public API."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.toml import BARE_KEY
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    CLIENT_DATA_KEYS,
    CLIENT_PROFILE_KEYS,
    EXPIRATION_KEYS,
    KEY,
    SERVER_ENV,
    TDBG_ENV,
    UI_ADDRESS,
    UI_DATA_KEYS,
    UI_HOST_VERIFICATION,
    UI_TLS_BLOCK,
    UI_TLS_KEYS,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import check_host_name

HIDDEN = "<hidden>"
_SAFE_ENV_VALUE = re.compile(r"^[^\s'\"\\$`#]*$")
MANAGED_HEADER = "# Managed by mtls.temporal.temporal_tls_config; changes here are overwritten.\n"


def _one(values, what, problems):
    if values is None:
        return None
    if len(values) != 1:
        problems.append("{0} has {1} entries; the template takes exactly one".format(what, len(values)))
        return None
    return values[0]


def server_env_gaps(params, findings):
    """What the env file cannot carry although the render, which knows nothing of the template, would refuse
    it only in general terms: a second frontend client CA without a first."""
    server = (params.get("frontend") or {}).get("server") or {}
    for option, suffix in (("client_ca_files", ""), ("client_ca_data", "_DATA")):
        cas = [str(ca or "").strip() for ca in server.get(option) or []]
        if len(cas) > 1 and not cas[0] and any(cas[1:]):
            findings.error(
                "env_path",
                "the server image's config template cannot express a second client CA without a first (frontend.server.{0}): "
                "it renders {1} only when {2} is set, so the second CA would be dropped; list it first".format(
                    option, KEY[option], SERVER_ENV["client1_ca"] + suffix),
            )


def server_env(tls, warnings):
    """TEMPORAL_TLS_* variables for the official image's embedded config template, or PKIError naming
    every setting the template cannot express."""
    internode, frontend = tls.get("internode") or {}, tls.get("frontend") or {}
    i_server, i_client = internode.get("server") or {}, internode.get("client") or {}
    f_server, f_client = frontend.get("server") or {}, frontend.get("client") or {}
    problems = _env_unsupported(tls)
    env = {}
    if tls.get(KEY["refresh_interval"]) is not None:
        env[SERVER_ENV["refresh_interval"]] = tls[KEY["refresh_interval"]]
    for key, value in (tls.get(KEY["expiration_checks"]) or {}).items():
        env[SERVER_ENV[{key: option for option, key in EXPIRATION_KEYS}[key]]] = value
    auth = {b[KEY["require_client_auth"]] for b in (i_server, f_server) if b}
    if len(auth) > 1:
        problems.append("require_client_auth differing between internode.server and frontend.server (one variable sets both)")
    elif auth:
        env[SERVER_ENV["require_client_auth"]] = "true" if auth.pop() else "false"
    for block, cert_var, key_var in ((i_server, "internode_cert", "internode_key"), (f_server, "frontend_cert", "frontend_key")):
        for field, var in (("cert", cert_var), ("key", key_var)):
            if block.get(KEY[field + "_file"]):
                env[SERVER_ENV[var]] = block[KEY[field + "_file"]]
            elif block.get(KEY[field + "_data"]):
                env[SERVER_ENV[var] + "_DATA"] = block[KEY[field + "_data"]]
    _env_internode_ca(env, i_server, i_client, f_client, problems, warnings)
    _env_frontend_client_cas(env, f_server, problems)
    for client, name_var, dhv_var in ((i_client, "internode_server_name", "internode_disable_host_verification"),
                                      (f_client, "frontend_server_name", "frontend_disable_host_verification")):
        if client.get(KEY["server_name"]):
            env[SERVER_ENV[name_var]] = client[KEY["server_name"]]
        if client.get(KEY["disable_host_verification"]):
            env[SERVER_ENV[dhv_var]] = "true"
    if problems:
        raise PKIError(
            "env_path",
            "the server image's config template cannot express {0}; render config_path (a config file for "
            "--config-file) instead".format("; ".join(problems)),
        )
    return env


def _env_unsupported(tls):
    """The blocks the template has no variable for."""
    internode, frontend = tls.get("internode") or {}, tls.get("frontend") or {}
    problems = [option for option in ("system_worker", "remote_clusters") if tls.get(KEY[option])]
    if frontend.get(KEY["host_overrides"]):
        problems.append("frontend.host_overrides")
    for where, client in (("internode.client", internode.get("client")), ("frontend.client", frontend.get("client"))):
        if (client or {}).get(KEY["force_tls"]):
            problems.append(where + ".force_tls")
    return problems


def _env_internode_ca(env, i_server, i_client, f_client, problems, warnings):
    # One variable fills internode.server.clientCaFiles, internode.client.rootCaFiles and frontend.client.rootCaFiles.
    ca_places = (
        ("internode.server.client_ca", i_server, "client_ca"),
        ("internode.client.root_ca", i_client, "root_ca"),
        ("frontend.client.root_ca", f_client, "root_ca"),
    )
    chosen = {}
    for what, block, kind in ca_places:
        for suffix, var_suffix in (("_files", ""), ("_data", "_DATA")):
            value = _one(block.get(KEY[kind + suffix]), what, problems)
            if value is not None:
                chosen[what] = (var_suffix, value)
    if len(set(chosen.values())) > 1:
        problems.append("different CAs for {0} (one variable, TEMPORAL_TLS_SERVER_CA_CERT, sets all three)".format(", ".join(sorted(chosen))))
    elif chosen:
        var_suffix, value = next(iter(chosen.values()))
        env[SERVER_ENV["internode_ca"] + var_suffix] = value
        for what, _block, _kind in ca_places:
            if what not in chosen:
                files_option = what.replace("root_ca", "root_ca_files").replace("client_ca", "client_ca_files")
                warnings.append("env_path: the template also sets {0} to the internode CA".format(files_option))


def _env_frontend_client_cas(env, f_server, problems):
    for option, var_suffix in (("client_ca_files", ""), ("client_ca_data", "_DATA")):
        cas = f_server.get(KEY[option])
        if cas:
            if len(cas) > 2:
                problems.append("frontend.server has {0} client CAs; the template takes two".format(len(cas)))
            else:
                # The template always renders the second entry; an unset one would be empty, which the server refuses.
                env[SERVER_ENV["client1_ca"] + var_suffix] = cas[0]
                env[SERVER_ENV["client2_ca"] + var_suffix] = cas[-1]


def env_file_text(env, option):
    lines = [MANAGED_HEADER]
    for key, value in env.items():
        value = str(value)
        if not _SAFE_ENV_VALUE.match(value):
            raise PKIError(
                option, "the value of {0} ({1!r}) holds whitespace, quotes or shell characters, which env files do not carry safely".format(key, value)
            )
        lines.append("{0}={1}\n".format(key, value))
    return "".join(lines)


def check_address(address, option):
    """(host, port) of host:port as the SDKs and the CLI dial it: no scheme, an IPv6 host in brackets (returned
    without them), a valid name or address."""
    text = str(address)
    example = "like temporal.example.com:7233 or [2001:db8::1]:7233"
    if "://" in text:
        raise PKIError(option, "{0!r} has a scheme; give host:port, {1}: clients dial gRPC without one".format(address, example))
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise PKIError(option, "{0!r} is not host:port, {1}".format(address, example))
    if host.startswith("[") != host.endswith("]") or ":" in host and not host.startswith("["):
        raise PKIError(option, "{0!r}: an IPv6 host goes in brackets, and a bracket needs its pair; {1}".format(address, example))
    if not host.startswith("["):
        if not host:
            raise PKIError(option, "{0!r} has no host; {1}".format(address, example))
        check_host_name(host, option)
        return host, int(port)
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        raise PKIError(option, "{0!r}: brackets hold an IPv6 address; {1}".format(address, example))
    return host[1:-1], int(port)


def client_profile(client, option="client"):
    """(profile mapping for temporal.toml, env variables or None when embedding)."""
    name = client["profile"]
    if not BARE_KEY.match(name):
        raise PKIError(option + ".profile", "{0!r} may hold only letters, digits, '-' and '_'".format(name))
    check_address(client["address"], option + ".address")
    if client.get("server_name"):
        check_host_name(client["server_name"], option + ".server_name")
    if bool(client.get("cert_file")) != bool(client.get("key_file")):
        raise PKIError(option, "cert_file and key_file go together: the CLI and SDKs refuse one without the other")
    profile, tls, env = {}, {}, {}
    for opt, table, key, var in CLIENT_PROFILE_KEYS:
        value = client.get(opt)
        if value is None or value is False or value == "":
            continue
        if client.get("embed") and key in CLIENT_DATA_KEYS:
            tls[CLIENT_DATA_KEYS[key]] = read_required(value, "{0}.{1}".format(option, opt)).decode("utf-8")
        elif table == "tls":
            tls[key] = value
        else:
            profile[key] = value
        env[var] = "true" if value is True else value
    if tls:
        profile["tls"] = tls
    return profile, (None if client.get("embed") else env)


def _check_ui_client(client, option):
    if not client.get("ca_file"):
        raise PKIError(option + ".ca_file", "the Web UI server refuses TLS settings without a CA (caFile or caData), so its outputs need one")


def ui_tls(client, option="client"):
    """The Web UI server's tls block for a client profile: paths, or with client.embed base64 of each file's PEM
    (read where the module runs). Host verification is written out, since the UI's default skips it."""
    _check_ui_client(client, option)
    tls = {}
    for opt, key, _var in UI_TLS_KEYS:
        value = client.get(opt)
        if not value:
            continue
        if client.get("embed") and key in UI_DATA_KEYS:
            tls[UI_DATA_KEYS[key]] = base64.b64encode(read_required(value, "{0}.{1}".format(option, opt))).decode("ascii")
        else:
            tls[key] = value
    tls[UI_HOST_VERIFICATION[0]] = not client.get("disable_host_verification")
    return tls


def ui_env(client, option="client", address=True):
    """The Web UI image's variables for a client profile (paths only). address: include TEMPORAL_ADDRESS."""
    _check_ui_client(client, option)
    env = {UI_ADDRESS[1]: client["address"]} if address else {}
    for opt, _key, var in UI_TLS_KEYS:
        if client.get(opt):
            env[var] = client[opt]
    env[UI_HOST_VERIFICATION[1]] = "false" if client.get("disable_host_verification") else "true"
    return env


def merge_ui_tls(old, tls, option, warnings):
    """The UI config's tls block: tls, plus the keys of the old block that the UI does not read (kept, and named)."""
    kept = {key: value for key, value in (old or {}).items() if key not in UI_TLS_BLOCK} if isinstance(old, dict) else {}
    for key in kept:
        warnings.append("{0}: tls.{1} is not a key the Web UI server reads, so it has no effect; kept as it was".format(option, key))
    return dict(tls, **kept)


def admin_tools_env(client, option="client", address=True):
    """The admin-tools image's variables for a client profile (paths only): the temporal CLI's, then tdbg's."""
    env = dict(client_profile(dict(client, embed=False), option)[1])
    for opt, var in TDBG_ENV:
        value = client.get(opt)
        if value not in (None, False, ""):
            env[var] = "true" if value is True else value
    if not address:
        for var in [v for o, _table, _key, v in CLIENT_PROFILE_KEYS if o == "address"] + [v for o, v in TDBG_ENV if o == "address"]:
            env.pop(var)
    return env


def merge_profile(document, name, profile):
    """document with [profile.name] replaced by profile, keeping the other profiles and the keys of this
    one that the module does not manage (grpc_meta, codec, api_key, ...)."""
    managed = {key for _opt, table, key, _var in CLIENT_PROFILE_KEYS if table is None} | {"tls"}
    out = dict(document)
    profiles = dict(out.get("profile") or {})
    kept = {k: v for k, v in (profiles.get(name) or {}).items() if k not in managed}
    merged = dict(profile)
    merged.update(kept)
    profiles[name] = merged
    out["profile"] = profiles
    return out


def mask_tls(tls):
    """global.tls with key material replaced, for results and diffs."""
    if isinstance(tls, dict):
        return {k: (HIDDEN if k == KEY["key_data"] else mask_tls(v)) for k, v in tls.items()}
    return tls


def mask_env(env):
    return {k: (HIDDEN if k.endswith("KEY_DATA") else v) for k, v in env.items()}


def mask_profile(profile):
    if isinstance(profile, dict):
        return {k: (HIDDEN if k == "client_key_data" else mask_profile(v)) for k, v in profile.items()}
    return profile


def pem_fact(value, encoded):
    """What a diff shows instead of embedded certificate data: how many certificates and a digest that changes
    with them, never the PEM. encoded: value is base64 of the PEM (server *Data), else the PEM text (client *_data)."""
    raw = str(value).encode("utf-8")
    if encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            pass
    count = raw.count(b"-----BEGIN CERTIFICATE-----")
    return "<{0} certificate{1}, sha256:{2}>".format(count, "" if count == 1 else "s", hashlib.sha256(raw).hexdigest()[:16])


_SERVER_CERT_DATA = (KEY["cert_data"], KEY["client_ca_data"], KEY["root_ca_data"])
_CLIENT_CERT_DATA = ("client_cert_data", "server_ca_cert_data")


def _facts(value, encoded):
    return [pem_fact(v, encoded) for v in value] if isinstance(value, list) else pem_fact(value, encoded)


def diff_tls(tls):
    """global.tls for --diff: key data hidden, certificate data shown as facts."""
    if isinstance(tls, dict):
        return {k: (HIDDEN if k == KEY["key_data"] else _facts(v, True) if k in _SERVER_CERT_DATA else diff_tls(v)) for k, v in tls.items()}
    return tls


def diff_profile(profile):
    """A temporal.toml document for --diff: key data hidden, certificate PEM shown as facts."""
    if isinstance(profile, dict):
        return {k: (HIDDEN if k == "client_key_data" else _facts(v, False) if k in _CLIENT_CERT_DATA else diff_profile(v)) for k, v in profile.items()}
    return profile


def diff_env_text(text):
    """An env file's text for --diff: every key value hidden, every certificate value shown as a fact (one value a line)."""
    out = []
    for line in (text or "").splitlines(keepends=True):
        name, sep, value = line.rstrip("\n").partition("=")
        if sep and not name.startswith("#") and name.endswith("KEY_DATA"):
            line = "{0}={1}\n".format(name, HIDDEN)
        elif sep and not name.startswith("#") and name.endswith("_DATA"):
            line = "{0}={1}\n".format(name, pem_fact(value, True))
        out.append(line)
    return "".join(out)


def diff_ui(value):
    """A Web UI config (address and tls block) for --diff: key data hidden, embedded certificates shown as facts."""
    if isinstance(value, dict):
        return {k: (HIDDEN if k == UI_DATA_KEYS["keyFile"] else pem_fact(v, True) if k in (UI_DATA_KEYS["certFile"], UI_DATA_KEYS["caFile"]) else diff_ui(v))
                for k, v in value.items()}
    return value
