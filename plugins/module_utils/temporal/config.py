# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_tls_config's backend: validate, render each asked-for output, and decide what to write and
whether the server must restart. Nothing here writes. Private to this collection: not a public API."""

from __future__ import annotations

import os

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.disk.toml import dumps as toml_dumps
from ansible_collections.mtls.temporal.plugins.module_utils.disk.toml import loads as toml_loads
from ansible_collections.mtls.temporal.plugins.module_utils.disk.yaml_merge import (
    current_tls,
    dump_block,
    load_config,
    load_mapping,
    merge_tls,
    merge_top_level,
)
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.checks import advertised_addresses, check_client, check_files
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.kubernetes import (
    check_kubernetes,
    helm_outputs,
    load_manifests,
    manifests_text,
    secrets_view,
)
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.outputs import (
    admin_tools_env,
    client_profile,
    diff_env_text,
    diff_ui,
    diff_profile,
    diff_tls,
    env_file_text,
    mask_env,
    mask_profile,
    mask_tls,
    merge_profile,
    merge_ui_tls,
    server_env,
    server_env_gaps,
    ui_env,
    ui_tls,
)
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.render import Findings, keep_unrendered, render_global_tls, server_enabled
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    CLIENT_DATA_KEYS,
    DYNAMIC_CONFIG_CLIENT,
    KEY,
    RINGPOP_TLS,
    RINGPOP_TLS_ON,
    UI_ADDRESS,
    UI_DATA_KEYS,
    secrets_of_entries,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import utcnow


# What return_rendered=false leaves out of the result.
RENDERED_RESULTS = ("tls", "server_env", "client_profile", "client_env", "admin_tools_env", "ui_env", "ui_tls", "helm_values", "kubernetes_secrets")
# The outputs of a client profile for the other clients of the frontend, besides toml_path and env_path.
CLIENT_COMPANIONS = ("admin_tools_env_path", "ui_env_path", "ui_config_path")


class TLSConfigBackend(Backend):
    def __init__(self, params, check_mode=False, now=None):
        self.params = params
        self.now = now or utcnow()
        client = params.get("client") or {}
        kubernetes = params.get("kubernetes") or {}
        self.outputs = [("config_path", params.get("config_path")), ("env_path", params.get("env_path")),
                        ("client.toml_path", client.get("toml_path")), ("client.env_path", client.get("env_path"))]
        self.outputs += [("client." + name, client.get(name)) for name in CLIENT_COMPANIONS]
        self.outputs += [("kubernetes.values_path", kubernetes.get("values_path")), ("kubernetes.secrets_path", kubernetes.get("secrets_path"))]
        # The outputs that hold a private key, written or not: their mode is 0600 whatever the mode option says.
        self.private = {kubernetes["secrets_path"]} if kubernetes.get("secrets_path") else set()
        server_config = _existing_config(params.get("config_path"))
        self.dynamic_config_path = params.get("dynamic_config_path") or _dynamic_config_file(server_config)
        # What peers dial, by the server config: checked against the internode certificate when no server_name is set.
        self.dialled = advertised_addresses(server_config)
        self.outputs.append(("dynamic_config_path", self.dynamic_config_path))

    @staticmethod
    def secrets(params):
        return secrets_of_entries(params)

    def plan(self):
        p = self.params
        plan = Plan()
        plan.diff = []
        server_wanted = any(p.get(k) for k in ("internode", "frontend", "system_worker", "remote_clusters"))
        if (p.get("config_path") or p.get("env_path")) and not server_wanted:
            raise PKIError(
                "config_path" if p.get("config_path") else "env_path",
                "config_path and env_path need at least one of internode, frontend, system_worker or remote_clusters",
            )
        tls, renderer = self._render(plan, server_wanted)
        server_changed = False
        if p.get("config_path"):
            server_changed |= self._config(plan, tls)
        if p.get("env_path"):
            env = server_env(tls, plan.warnings)
            plan.result["server_env"] = mask_env(env)
            server_changed |= self._stage_env(plan, "env_path", p["env_path"], env)
        if p.get("client"):
            self._client(plan, p["client"])
        if p.get("kubernetes"):
            self._kubernetes(plan, p["kubernetes"])
        reasons = self._restart_reasons(server_changed, tls, renderer)
        if _ringpop_needed(tls) and self.dynamic_config_path and self._ringpop(plan):
            self._check_ringpop_restart(plan)
            reasons.append("{0} turned on in {1}; membership reads it only at start, and a ring cannot mix TLS and plaintext "
                           "peers: restart every node".format(RINGPOP_TLS, self.dynamic_config_path))
        plan.result.update(restart_required=bool(reasons), restart_reasons=reasons, config_warnings=list(plan.warnings),
                           written=[staged.option for staged in plan.files])
        plan.attributes = [(path, "0600" if path in self.private else None) for path in self.paths if path]
        if not p["return_rendered"]:
            for name in RENDERED_RESULTS:
                plan.result.pop(name, None)
            plan.invocation = dict(return_rendered=False)
        return plan

    def _render(self, plan, server_wanted):
        """The global.tls mapping and its renderer (None without a server part), every check done."""
        p = self.params
        findings = Findings(p.get("relaxed_checks"))
        if p.get("env_path") and server_wanted:
            server_env_gaps(p, findings)
        tls, renderer = render_global_tls(p, findings) if server_wanted else ({}, None)
        if p.get("client"):
            check_client(p, findings, self.now)
        if p.get("kubernetes"):
            check_kubernetes(p, findings)
        # The Helm values carry the dynamic config themselves; a node's config or env file needs the file named.
        helm_only = (p.get("kubernetes") or {}).get("values_path") and not (p.get("config_path") or p.get("env_path"))
        if _ringpop_needed(tls) and not self.dynamic_config_path and not helm_only:
            findings.trap("ringpop_plaintext", "internode",
                          "no dynamic config file is known: set dynamic_config_path, or an absolute dynamicConfigClient.filepath in config_path")
        unchecked = check_files(p, findings, self.now, self.dialled) if (p.get("check_files") and server_wanted) else []
        findings.raise_errors()
        plan.warnings.extend(findings.warnings)
        plan.result.update(tls=mask_tls(tls), unchecked_files=unchecked)
        if renderer is not None and renderer.embeds_key:
            self.private.update(p[output] for output in ("config_path", "env_path") if p.get(output))
        return tls, renderer

    def _stage(self, plan, option, path, new_text, old_bytes, before_view, after_view):
        """Stage a file unless its content stays; a private one is written 0600."""
        new_bytes = new_text.encode("utf-8")
        if old_bytes == new_bytes:
            return False
        plan.write(option, path, new_bytes, path in self.private)
        plan.diff.append(dict(before_header=path, after_header=path, before=before_view, after=after_view))
        return True

    def _stage_env(self, plan, option, path, env):
        old = read_optional(path, option)
        text = env_file_text(env, option)
        return self._stage(plan, option, path, text, old, diff_env_text(old.decode("utf-8") if old else ""), diff_env_text(text))

    def _config(self, plan, tls):
        path = self.params["config_path"]
        old = read_optional(path, "config_path")
        old_text = old.decode("utf-8") if old is not None else ""
        document = load_config(old_text, "config_path", path)
        before = current_tls(document)
        tls = keep_unrendered(before, tls, self.params, plan.warnings)
        plan.result["tls"] = mask_tls(tls)
        if before == tls and old is not None:
            return False
        new_text, kept_layout = merge_tls(old_text, tls, "config_path", path)
        if not kept_layout:
            plan.warnings.append(
                "config_path: {0}'s layout (flow style or anchors) could not be kept; it was rewritten whole, without its comments".format(path)
            )
        before_view = dump_block(diff_tls(before)) if before is not None else ""
        return self._stage(plan, "config_path", path, new_text, old, before_view, dump_block(diff_tls(tls)))

    def _ringpop(self, plan):
        """Stage the dynamic config with ringpop over TLS, unless it has that already; whether it changes."""
        path = self.dynamic_config_path
        old = read_optional(path, "dynamic_config_path")
        text = old.decode("utf-8") if old is not None else ""
        current = load_mapping(text, "dynamic_config_path", path).get(RINGPOP_TLS)
        if _ringpop_on(current):
            return False
        if current is not None:
            plan.warnings.append("dynamic_config_path: {0} set {1} to {2!r}; set to true, since internode TLS is on".format(path, RINGPOP_TLS, current))
        new_text, kept_layout = merge_top_level(text, RINGPOP_TLS, RINGPOP_TLS_ON, "dynamic_config_path", path)
        if not kept_layout:
            plan.warnings.append("dynamic_config_path: {0}'s layout could not be kept; it was rewritten whole, without its comments".format(path))
        before = dump_block({RINGPOP_TLS: current}) if current is not None else ""
        return self._stage(plan, "dynamic_config_path", path, new_text, old, before, dump_block({RINGPOP_TLS: RINGPOP_TLS_ON}))

    def _check_ringpop_restart(self, plan):
        """Ringpop over TLS turns on: a node configured before may be running in a plaintext ring, which nodes restarted
        batch by batch cannot join."""
        p = self.params
        configured = [p[option] for option in ("config_path", "env_path") if p.get(option) and os.path.exists(p[option])]
        if p["rolling_restart"] and configured:
            findings = Findings(p.get("relaxed_checks"))
            findings.trap("ringpop_rolling_restart", "rolling_restart", "{0} turns {1} on".format(configured[0], RINGPOP_TLS))
            findings.raise_errors()
            plan.warnings.extend(findings.warnings)

    def _client(self, plan, client):
        if client.get("embed") and client.get("env_path"):
            raise PKIError("client.env_path", "PEM text does not survive env files intact; use paths (embed: false) with env_path")
        profile, env = client_profile(client)
        plan.result["client_profile"] = mask_profile(profile)
        if env is not None:
            plan.result["client_env"] = dict(env)
        if client.get("toml_path"):
            path = client["toml_path"]
            old = read_optional(path, "client.toml_path")
            document = toml_loads(old.decode("utf-8"), "client.toml_path", path) if old else {}
            merged = merge_profile(document, client["profile"], profile)
            # Private while any profile in the file, this one or another, holds a key.
            if any(CLIENT_DATA_KEYS["client_key_path"] in (entry.get("tls") or {}) for entry in merged["profile"].values()):
                self.private.add(path)
            if merged != document or old is None:
                text = toml_dumps(merged)
                name = client["profile"]
                before, after = (document.get("profile") or {}).get(name), merged["profile"][name]
                views = [toml_dumps(diff_profile({"profile": {name: view}})) if view else "" for view in (before, after)]
                self._stage(plan, "client.toml_path", path, text, old, views[0], views[1])
        if client.get("env_path"):
            # Paths only (embed is refused above): never private.
            self._stage_env(plan, "client.env_path", client["env_path"], env)
        self._companions(plan, client)

    def _companions(self, plan, client):
        """The client profile for the admin tools and the Web UI server."""
        if client.get("embed") and (client.get("admin_tools_env_path") or client.get("ui_env_path")):
            option = "client.admin_tools_env_path" if client.get("admin_tools_env_path") else "client.ui_env_path"
            raise PKIError(option, "PEM text does not survive env files intact; use paths (embed: false) with env files")
        if client.get("admin_tools_env_path"):
            env = admin_tools_env(client)
            plan.result["admin_tools_env"] = dict(env)
            self._stage_env(plan, "client.admin_tools_env_path", client["admin_tools_env_path"], env)
        if client.get("ui_env_path"):
            env = ui_env(client)
            plan.result["ui_env"] = dict(env)
            self._stage_env(plan, "client.ui_env_path", client["ui_env_path"], env)
        if client.get("ui_config_path"):
            self._ui_config(plan, client)

    def _ui_config(self, plan, client):
        """Merge the profile into the Web UI server's config file: its tls block and the address it dials."""
        path, option = client["ui_config_path"], "client.ui_config_path"
        tls = ui_tls(client)
        if UI_DATA_KEYS["keyFile"] in tls:
            self.private.add(path)
        old = read_optional(path, option)
        text = old.decode("utf-8") if old is not None else ""
        document = load_mapping(text, option, path)
        tls = merge_ui_tls(document.get("tls"), tls, option, plan.warnings)
        plan.result["ui_tls"] = mask_tls(tls)
        before = {key: document[key] for key in (UI_ADDRESS[0], "tls") if key in document}
        after = {UI_ADDRESS[0]: client["address"], "tls": tls}
        if before == after and old is not None:
            return
        new_text, kept = merge_top_level(text, UI_ADDRESS[0], client["address"], option, path)
        new_text, kept_tls = merge_top_level(new_text, "tls", tls, option, path)
        if not (kept and kept_tls):
            plan.warnings.append("{0}: {1}'s layout could not be kept; it was rewritten whole, without its comments".format(option, path))
        self._stage(plan, option, path, new_text, old, dump_block(diff_ui(before)) if before else "", dump_block(diff_ui(after)))

    def _kubernetes(self, plan, options):
        """The Helm values and the Secret manifests they mount."""
        if not (options.get("values_path") or options.get("secrets_path")):
            raise PKIError("kubernetes", "set values_path, secrets_path or both")
        values, values_text, manifests = helm_outputs(self.params)
        plan.result["helm_values"] = values
        plan.result["kubernetes_secrets"] = secrets_view(manifests)
        if options.get("values_path"):
            path = options["values_path"]
            old = read_optional(path, "kubernetes.values_path")
            self._stage(plan, "kubernetes.values_path", path, values_text, old, old.decode("utf-8") if old else "", values_text)
        if options.get("secrets_path"):
            path = options["secrets_path"]
            old = read_optional(path, "kubernetes.secrets_path")
            before = secrets_view(load_manifests(old.decode("utf-8"), path)) if old else None
            self._stage(plan, "kubernetes.secrets_path", path, manifests_text(manifests), old,
                        dump_block(before) if before else "", dump_block(plan.result["kubernetes_secrets"]))

    def _restart_reasons(self, server_changed, tls, renderer):
        reasons = []
        if server_changed:
            reasons.append("the server's static TLS config changed; it is read only at start")
        same_first = set(self.params.get("unchanged_first_certificate") or [])
        # A file whose first certificate stayed has changed all the same, whether or not changed_files names it too.
        changed = set(self.params.get("changed_files") or []) | same_first
        if renderer is None or not changed:
            return reasons
        referenced = {path: kinds for path, kinds in renderer.files.items() if path in changed}
        roots = sorted(path for path, kinds in referenced.items() if "root_ca" in kinds)
        if roots:
            reasons.append("client-side root CAs changed ({0}); the server caches them until restart".format(", ".join(roots)))
        reload_off = tls.get(KEY["refresh_interval"]) in (None, "0s")
        # Hot reload compares only a CA file's first certificate. A root CA file is named above already, and with
        # reload off the reason below covers every file: naming those again would add nothing.
        unnoticed = sorted(path for path, kinds in referenced.items() if path in same_first and "client_ca" in kinds and "root_ca" not in kinds)
        if unnoticed and not reload_off:
            reasons.append("CA bundles changed behind an unchanged first certificate ({0}), which hot reload does not notice".format(", ".join(unnoticed)))
        if referenced and reload_off:
            reasons.append("certificate files changed and refresh_interval is 0, so they are never re-read")
        return reasons


def _ringpop_needed(tls):
    return server_enabled((tls.get(KEY["internode"]) or {}).get("server"))


def _ringpop_on(value):
    """A dynamic config value that turns the setting on everywhere: an entry without constraints whose value is true."""
    return isinstance(value, list) and any(isinstance(entry, dict) and entry.get("value") is True and not entry.get("constraints")
                                           for entry in value)


def _existing_config(config_path):
    """The server config file as a document, {} when there is none yet."""
    data = read_optional(config_path, "config_path") if config_path else None
    return load_config(data.decode("utf-8"), "config_path", config_path) if data else {}


def _dynamic_config_file(server_config):
    """The dynamic config file a server config names (dynamicConfigClient.filepath), when it is an absolute path:
    a relative one is relative to the server's working directory, which is not known here."""
    client = server_config.get(DYNAMIC_CONFIG_CLIENT) or {}
    filepath = client.get("filepath") if isinstance(client, dict) else None
    return filepath if isinstance(filepath, str) and os.path.isabs(filepath) else None
