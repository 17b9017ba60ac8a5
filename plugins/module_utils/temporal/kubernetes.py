# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_tls_config's Kubernetes outputs: values for the Temporal Helm chart and the Secret manifests they mount.

Every certificate and key pair becomes a kubernetes.io/tls Secret and every CA bundle a key of one Opaque Secret; the
values mount them with the chart's additionalVolumes and additionalVolumeMounts (which every chart version has, unlike
its newer server.tls stanza) and name the mounted paths in server.config.tls, rendered by the same code as a node's
global.tls, so the same checks hold. The chart's web and admintools pods get the client profile as env variables.
Nothing here writes. Private to this collection: not a public API."""

from __future__ import annotations

import base64
import copy
import posixpath
import re

try:
    import yaml
except ImportError:
    pass  # ansible-core itself requires PyYAML

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_required
from ansible_collections.mtls.temporal.plugins.module_utils.disk.yaml_merge import dump_block
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.outputs import HIDDEN, MANAGED_HEADER, admin_tools_env, ui_env
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.render import TRAPS, Findings, render_global_tls, server_enabled
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    HELM_DYNAMIC_CONFIG,
    HELM_ENV,
    HELM_MOUNTS,
    HELM_SERVER_TLS,
    HELM_VOLUMES,
    KEY,
    RINGPOP_TLS,
    RINGPOP_TLS_ON,
    TLS_SECRET,
)
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import certificate_facts, load_pem_certificates

# DNS-1123 names: Secret and volume names, and (a looser rule) the keys of a Secret's data.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
MANAGED_BY = {"app.kubernetes.io/managed-by": "mtls.temporal"}
# The identities a server pod presents, by the Secret role they get: the option block that names each pair.
SERVER_IDENTITIES = (("internode", ("internode", "server")), ("frontend", ("frontend", "server")), ("system-worker", ("system_worker",)))
# Every CA list the server reads, by option.
SERVER_CAS = (("internode", "server", "client_ca_files"), ("internode", "client", "root_ca_files"), ("frontend", "server", "client_ca_files"),
              ("frontend", "client", "root_ca_files"), ("system_worker", "client", "root_ca_files"))
CA_ROLE = "ca"
CLIENT_ROLE = "client"


def _dig(mapping, path):
    for key in path:
        mapping = (mapping or {}).get(key)
    return mapping


class SecretLayout:
    """Which Secret holds each file and where the pods see it: <mount_dir>/<role>/tls.crt and tls.key for a pair,
    <mount_dir>/ca/<file name> for a CA bundle."""

    def __init__(self, options):
        self.prefix = options["name_prefix"]
        self.mount_dir = options["mount_dir"].rstrip("/") or "/"
        self.namespace = options.get("namespace")
        if not posixpath.isabs(self.mount_dir):
            raise PKIError("kubernetes.mount_dir", "{0!r} must be an absolute path inside the pods".format(options["mount_dir"]))
        for role in [role for role, _path in SERVER_IDENTITIES] + [CA_ROLE, CLIENT_ROLE]:
            name = self.secret_name(role)
            if len(name) > 63 or not _DNS_LABEL.match(name):
                raise PKIError("kubernetes.name_prefix", "{0!r} makes Secret and volume names such as {1!r}, which must be lower-case "
                                                         "letters, digits and '-', at most 63 characters".format(self.prefix, name))
        if self.namespace is not None and (len(self.namespace) > 63 or not _DNS_LABEL.match(self.namespace)):
            raise PKIError("kubernetes.namespace", "{0!r} is not a Kubernetes namespace name (lower-case letters, digits and '-')".format(self.namespace))
        self.secrets = {}  # role -> (type, {key: (source path, option, secret)})

    def secret_name(self, role):
        return "{0}-{1}".format(self.prefix, role)

    def pair(self, role, cert, key, option):
        self.secrets[role] = ("kubernetes.io/tls", {TLS_SECRET["cert"]: (cert, option + ".cert_file", False),
                                                    TLS_SECRET["key"]: (key, option + ".key_file", True)})
        directory = posixpath.join(self.mount_dir, role)
        return posixpath.join(directory, TLS_SECRET["cert"]), posixpath.join(directory, TLS_SECRET["key"])

    def ca(self, path, option):
        entries = self.secrets.setdefault(CA_ROLE, ("Opaque", {}))[1]
        name = posixpath.basename(str(path))
        if not _SECRET_KEY.match(name):
            raise PKIError(option, "{0}: a Secret key is made of the file name, which may hold only letters, digits, '-', '_' and '.'".format(path))
        if name in entries and entries[name][0] != path:
            raise PKIError(option, "{0} and {1} have the same file name, which is their key in the {2} Secret; rename one".format(
                entries[name][0], path, self.secret_name(CA_ROLE)))
        entries.setdefault(name, (path, option, False))
        return posixpath.join(self.mount_dir, CA_ROLE, name)

    def volumes(self, roles):
        roles = [role for role in roles if role in self.secrets]
        volumes = [dict(name=self.secret_name(role), secret=dict(secretName=self.secret_name(role))) for role in roles]
        mounts = [dict(name=self.secret_name(role), mountPath=posixpath.join(self.mount_dir, role), readOnly=True) for role in roles]
        return volumes, mounts

    def manifests(self):
        """The Secret manifests, each file read where the module runs."""
        manifests = []
        for role, (secret_type, entries) in self.secrets.items():
            metadata = dict(name=self.secret_name(role))
            if self.namespace:
                metadata["namespace"] = self.namespace
            metadata["labels"] = dict(MANAGED_BY)
            data = {key: base64.b64encode(read_required(path, option)).decode("ascii") for key, (path, option, _secret) in entries.items()}
            manifests.append(dict(apiVersion="v1", kind="Secret", metadata=metadata, type=secret_type, data=data))
        return manifests


def secrets_view(manifests):
    """What results and diffs show of Secret manifests: each certificate's facts, every other value hidden."""
    view = []
    for manifest in manifests:
        if not isinstance(manifest, dict):
            continue
        data = {}
        for key, value in (manifest.get("data") or {}).items():
            try:
                content = base64.b64decode(str(value), validate=True)
                certs = load_pem_certificates(content, "kubernetes.secrets_path", key) if b"PRIVATE KEY" not in content else None
            except (PKIError, ValueError):
                certs = None
            data[key] = [_facts(cert) for cert in certs] if certs else HIDDEN
        view.append(dict(name=(manifest.get("metadata") or {}).get("name"), type=manifest.get("type"), data=data))
    return view


def _facts(cert):
    facts = certificate_facts(cert)
    return {key: facts[key] for key in ("subject", "dns_names", "ip_addresses", "not_after", "fingerprint_sha256")}


def load_manifests(text, path):
    """The documents of a Secret manifests file, for the diff's before view."""
    try:
        return [document for document in yaml.safe_load_all(text) if document]
    except yaml.YAMLError as exc:
        raise PKIError("kubernetes.secrets_path", "{0} is not valid YAML: {1}".format(path, str(exc).splitlines()[0]))


def check_kubernetes(params, findings):
    """What the Helm outputs cannot carry, found with the other checks: inline PEM (a key in the values, or data that no
    Secret mounts), the entries mounted under names the user picks (host overrides, remote clusters), and a dialler
    (a peer node, the client profile) without the name it checks, since in a cluster it dials an address no
    certificate names ahead of time."""
    options = ["remote_clusters"] if params.get("remote_clusters") else []
    if (params.get("frontend") or {}).get("host_overrides"):
        options.append("frontend.host_overrides")
    if params.get("embed"):
        options.append("embed")
    for group in ("internode", "frontend", "system_worker"):
        block = params.get(group) or {}
        for where, side in [(group, block)] + [("{0}.{1}".format(group, name), block.get(name) or {}) for name in ("server", "client")]:
            options += ["{0}.{1}".format(where, option) for option in ("cert_data", "key_data", "client_ca_data", "root_ca_data") if side.get(option)]
    client = params.get("client") or {}
    if client.get("embed"):
        options.append("client.embed")
    if options:
        findings.error("kubernetes", "the Helm outputs mount files from Secrets, so they take *_file options only, without host overrides "
                                     "or remote clusters; unset {0}".format(", ".join(options)))
    internode = params.get("internode") or {}
    if (internode.get("server") or {}).get("key_file") and not (internode.get("client") or {}).get("server_name"):
        findings.error("internode.client.server_name", "in Kubernetes, peers dial each other's pod IP addresses, which no certificate can "
                                                       "list ahead of time, so the Helm outputs need the name they check")
    if client and params["kubernetes"]["clients"] and not client.get("server_name"):
        findings.error("client.server_name", "the chart's web and admin tools pods dial the frontend by the chart's own service address, "
                                             "so the Helm outputs need the name they check in its certificate")


def server_in_pods(params, layout):
    """params with every server-side file replaced by where the server pods see it."""
    pods = copy.deepcopy({key: params.get(key) for key in ("internode", "frontend", "system_worker", "refresh_interval", "expiration_checks")})
    for role, path in SERVER_IDENTITIES:
        block = _dig(pods, path)
        if not block or not (block.get("cert_file") or block.get("key_file")):
            continue
        option = ".".join(path)
        if not (block.get("cert_file") and block.get("key_file")):
            raise PKIError(option, "a kubernetes.io/tls Secret holds a certificate and its key, so the Helm outputs need both cert_file and key_file")
        block["cert_file"], block["key_file"] = layout.pair(role, block["cert_file"], block["key_file"], option)
    for group, side, ca_option in SERVER_CAS:
        block = _dig(pods, (group, side))
        if block and block.get(ca_option):
            where = "{0}.{1}.{2}".format(group, side, ca_option)
            block[ca_option] = [layout.ca(path, "{0}[{1}]".format(where, index)) for index, path in enumerate(block[ca_option])]
    return pods


def client_in_pods(client, layout):
    """The client profile with its files replaced by where the web and admin tools pods see them."""
    pods = dict(client)
    if client.get("cert_file"):
        pods["cert_file"], pods["key_file"] = layout.pair(CLIENT_ROLE, client["cert_file"], client.get("key_file"), "client")
    if client.get("ca_file"):
        pods["ca_file"] = layout.ca(client["ca_file"], "client.ca_file")
    return pods


def _env_list(env):
    return [dict(name=name, value=str(value)) for name, value in env.items()]


def _set(values, path, value):
    for key in path[:-1]:
        values = values.setdefault(key, {})
    values[path[-1]] = value


def helm_outputs(params):
    """(values, values file text, Secret manifests); check_kubernetes has passed."""
    options = params["kubernetes"]
    layout = SecretLayout(options)
    values = {}
    server_wanted = any(params.get(key) for key in ("internode", "frontend", "system_worker"))
    if server_wanted:
        pods = server_in_pods(params, layout)
        # The checks ran on the files themselves; this render only names the paths in the pods.
        tls, _renderer = render_global_tls(pods, Findings(list(TRAPS)))
        volumes, mounts = layout.volumes([role for role, _path in SERVER_IDENTITIES] + [CA_ROLE])
        _set(values, HELM_SERVER_TLS, tls)
        _set(values, ("server", HELM_VOLUMES), volumes)
        _set(values, ("server", HELM_MOUNTS), mounts)
        if server_enabled((tls.get(KEY["internode"]) or {}).get("server")):
            _set(values, HELM_DYNAMIC_CONFIG + (RINGPOP_TLS,), RINGPOP_TLS_ON)
    client = params.get("client")
    if client and options["clients"]:
        pods = client_in_pods(client, layout)
        volumes, mounts = layout.volumes([CLIENT_ROLE, CA_ROLE])
        # The chart sets each component's address itself (TEMPORAL_ADDRESS, and TEMPORAL_CLI_ADDRESS for tdbg).
        envs = dict(web=lambda: ui_env(pods, "client", address=False), admintools=lambda: admin_tools_env(pods, "client", address=False))
        for component in options["clients"]:
            # Copies, since a shared list would be dumped as a YAML anchor and alias.
            values[component] = {HELM_ENV: _env_list(envs[component]()), HELM_VOLUMES: copy.deepcopy(volumes), HELM_MOUNTS: copy.deepcopy(mounts)}
    if not values:
        raise PKIError("kubernetes", "needs at least one of internode, frontend, system_worker, or client with kubernetes.clients")
    return values, MANAGED_HEADER + dump_block(values), layout.manifests()


def manifests_text(manifests):
    return MANAGED_HEADER + "".join("---\n" + dump_block(manifest) for manifest in manifests)
