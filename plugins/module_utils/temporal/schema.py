# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Temporal's TLS configuration schema, as the server (1.30+) and its clients read it. The one place
these names live. Private to this collection: not a public API.

Server: ``global.tls`` in the static config (common/config/config.go: RootTLS, GroupTLS, ServerTLS,
ClientTLS, WorkerTLS, CertExpirationValidation); ``*Data`` fields hold base64 of the PEM.
Image template: the TEMPORAL_TLS_* variables of config_template_embedded.yaml.
Clients: temporal.toml ``[profile.NAME]`` and the TEMPORAL_* variables of the CLI and SDK envconfig;
their ``*_data`` fields hold the PEM text itself."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

# module option -> server YAML key, per block type. Order is the order keys are written in.
SERVER_KEYS = (
    ("cert_file", "certFile"),
    ("key_file", "keyFile"),
    ("cert_data", "certData"),
    ("key_data", "keyData"),
    ("client_ca_files", "clientCaFiles"),
    ("client_ca_data", "clientCaData"),
    ("require_client_auth", "requireClientAuth"),
)
CLIENT_KEYS = (
    ("server_name", "serverName"),
    ("disable_host_verification", "disableHostVerification"),
    ("root_ca_files", "rootCaFiles"),
    ("root_ca_data", "rootCaData"),
    ("force_tls", "forceTLS"),
)
WORKER_KEYS = (
    ("cert_file", "certFile"),
    ("key_file", "keyFile"),
    ("cert_data", "certData"),
    ("key_data", "keyData"),
)
EXPIRATION_KEYS = (
    ("warning_window", "warningWindow"),
    ("error_window", "errorWindow"),
    ("check_interval", "checkInterval"),
)
ROOT_KEYS = (
    ("internode", "internode"),
    ("frontend", "frontend"),
    ("system_worker", "systemWorker"),
    ("remote_clusters", "remoteClusters"),
    ("expiration_checks", "expirationChecks"),
    ("refresh_interval", "refreshInterval"),
)
# Every key of global.tls by the module option it renders from.
KEY = dict(SERVER_KEYS + CLIENT_KEYS + WORKER_KEYS + EXPIRATION_KEYS + ROOT_KEYS + (("host_overrides", "hostOverrides"),))


class Entries:
    """A mapping of entries the user names (hostOverrides by SNI name, remoteClusters by host), each read as
    level. rendered: whether this collection writes the mapping (else it keeps what the file has)."""

    def __init__(self, level, rendered=True):
        self.level = level
        self.rendered = rendered


def _level(pairs):
    return {key: None for _option, key in pairs}


_SERVER_LEVEL = _level(SERVER_KEYS)
_CLIENT_LEVEL = _level(CLIENT_KEYS)
# GroupTLS: the server reads hostOverrides in every group; this collection writes it for the frontend only.
_GROUP_LEVEL = {"server": _SERVER_LEVEL, "client": _CLIENT_LEVEL, KEY["host_overrides"]: Entries(_SERVER_LEVEL, rendered=False)}
# Every key the server reads under global.tls (common/config/config.go; it ignores any other), level by level:
# key -> None (a value), a nested level, or Entries.
TLS_SCHEMA = {
    KEY["internode"]: _GROUP_LEVEL,
    KEY["frontend"]: dict(_GROUP_LEVEL, **{KEY["host_overrides"]: Entries(_SERVER_LEVEL)}),
    KEY["system_worker"]: dict(_level(WORKER_KEYS), client=_CLIENT_LEVEL),
    KEY["remote_clusters"]: Entries(_GROUP_LEVEL),
    KEY["expiration_checks"]: _level(EXPIRATION_KEYS),
    KEY["refresh_interval"]: None,
}

# Dynamic config (the file of the server config's dynamicConfigClient.filepath): ringpop, the membership protocol,
# runs over internode TLS only when this is true; read once, at start.
RINGPOP_TLS = "system.enableRingpopTLS"
RINGPOP_TLS_ON = [{"value": True}]
DYNAMIC_CONFIG_CLIENT = "dynamicConfigClient"

# Per kind of file, the file option and the data option that may replace it; the server refuses both at once.
FILE_OR_DATA = {
    "cert": ("cert_file", "cert_data"),
    "key": ("key_file", "key_data"),
    "client_ca": ("client_ca_files", "client_ca_data"),
    "root_ca": ("root_ca_files", "root_ca_data"),
}

# Argument specs (Ansible) of the blocks; keep in sync with temporal_tls_config's DOCUMENTATION.
SERVER_SPEC = dict(
    cert_file=dict(type="path"),
    key_file=dict(type="path"),
    cert_data=dict(type="str"),
    key_data=dict(type="str", no_log=True),
    client_ca_files=dict(type="list", elements="path"),
    client_ca_data=dict(type="list", elements="str"),
    require_client_auth=dict(type="bool", default=False),
)
CLIENT_SPEC = dict(
    server_name=dict(type="str"),
    disable_host_verification=dict(type="bool", default=False),
    root_ca_files=dict(type="list", elements="path"),
    root_ca_data=dict(type="list", elements="str"),
    force_tls=dict(type="bool", default=False),
)
GROUP_SPEC = dict(
    server=dict(type="dict", options=SERVER_SPEC),
    client=dict(type="dict", options=CLIENT_SPEC),
)
FRONTEND_SPEC = dict(GROUP_SPEC, host_overrides=dict(type="dict"))
WORKER_SPEC = dict(
    cert_file=dict(type="path"),
    key_file=dict(type="path"),
    cert_data=dict(type="str"),
    key_data=dict(type="str", no_log=True),
    client=dict(type="dict", options=CLIENT_SPEC),
)
EXPIRATION_SPEC = dict(
    warning_window=dict(type="str"),
    error_window=dict(type="str"),
    check_interval=dict(type="str"),
)

# Server image template variables (config_template_embedded.yaml), by what they set.
SERVER_ENV = dict(
    refresh_interval="TEMPORAL_TLS_REFRESH_INTERVAL",
    warning_window="TEMPORAL_TLS_EXPIRATION_CHECKS_WARNING_WINDOW",
    error_window="TEMPORAL_TLS_EXPIRATION_CHECKS_ERROR_WINDOW",
    check_interval="TEMPORAL_TLS_EXPIRATION_CHECKS_CHECK_INTERVAL",
    require_client_auth="TEMPORAL_TLS_REQUIRE_CLIENT_AUTH",
    internode_cert="TEMPORAL_TLS_SERVER_CERT",
    internode_key="TEMPORAL_TLS_SERVER_KEY",
    internode_ca="TEMPORAL_TLS_SERVER_CA_CERT",
    internode_server_name="TEMPORAL_TLS_INTERNODE_SERVER_NAME",
    internode_disable_host_verification="TEMPORAL_TLS_INTERNODE_DISABLE_HOST_VERIFICATION",
    frontend_cert="TEMPORAL_TLS_FRONTEND_CERT",
    frontend_key="TEMPORAL_TLS_FRONTEND_KEY",
    client1_ca="TEMPORAL_TLS_CLIENT1_CA_CERT",
    client2_ca="TEMPORAL_TLS_CLIENT2_CA_CERT",
    frontend_server_name="TEMPORAL_TLS_FRONTEND_SERVER_NAME",
    frontend_disable_host_verification="TEMPORAL_TLS_FRONTEND_DISABLE_HOST_VERIFICATION",
)
# Every server template variable, for checking an env file against the template's list.
SERVER_ENV_VARIABLES = tuple(sorted(set(SERVER_ENV.values()) | {
    v + "_DATA" for k, v in SERVER_ENV.items() if k.endswith(("_cert", "_key", "_ca"))
}))

# Client side: option -> (temporal.toml key under [profile.X.tls] or [profile.X], env variable).
CLIENT_PROFILE_KEYS = (
    ("address", None, "address", "TEMPORAL_ADDRESS"),
    ("namespace", None, "namespace", "TEMPORAL_NAMESPACE"),
    ("cert_file", "tls", "client_cert_path", "TEMPORAL_TLS_CLIENT_CERT_PATH"),
    ("key_file", "tls", "client_key_path", "TEMPORAL_TLS_CLIENT_KEY_PATH"),
    ("ca_file", "tls", "server_ca_cert_path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
    ("server_name", "tls", "server_name", "TEMPORAL_TLS_SERVER_NAME"),
    ("disable_host_verification", "tls", "disable_host_verification", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"),
)
# The *_data form of a client path key: PEM text, not base64.
CLIENT_DATA_KEYS = dict(
    client_cert_path="client_cert_data",
    client_key_path="client_key_data",
    server_ca_cert_path="server_ca_cert_data",
)

# What else dials the frontend with a client profile's material, by client option. The Web UI server
# (temporalio/ui-server: server/config/config.go TLS, docker/config-template.yaml): its config file key and the image's
# env variable. Its *Data forms hold base64 of the PEM, and enableHostVerification defaults to false, which skips every
# check of the server certificate (InsecureSkipVerify), so it is always written.
UI_ADDRESS = ("temporalGrpcAddress", "TEMPORAL_ADDRESS")
UI_TLS_KEYS = (
    ("ca_file", "caFile", "TEMPORAL_TLS_CA"),
    ("cert_file", "certFile", "TEMPORAL_TLS_CERT"),
    ("key_file", "keyFile", "TEMPORAL_TLS_KEY"),
    ("server_name", "serverName", "TEMPORAL_TLS_SERVER_NAME"),
)
UI_DATA_KEYS = dict(caFile="caData", certFile="certData", keyFile="keyData")
UI_HOST_VERIFICATION = ("enableHostVerification", "TEMPORAL_TLS_ENABLE_HOST_VERIFICATION")
# Every key of the UI config's tls block (anything else there the UI ignores).
UI_TLS_BLOCK = tuple(key for _option, key, _var in UI_TLS_KEYS) + tuple(UI_DATA_KEYS.values()) + (UI_HOST_VERIFICATION[0],)
# The admin-tools image: the temporal CLI reads the envconfig variables of CLIENT_PROFILE_KEYS; tdbg (tools/tdbg/app.go)
# still reads the tctl-era TEMPORAL_CLI_* names. The CLI's own legacy TEMPORAL_TLS_CERT/KEY/CA override its profile
# when set, so they are never written.
TDBG_ENV = (
    ("address", "TEMPORAL_CLI_ADDRESS"),
    ("namespace", "TEMPORAL_CLI_NAMESPACE"),
    ("cert_file", "TEMPORAL_CLI_TLS_CERT"),
    ("key_file", "TEMPORAL_CLI_TLS_KEY"),
    ("ca_file", "TEMPORAL_CLI_TLS_CA"),
    ("server_name", "TEMPORAL_CLI_TLS_SERVER_NAME"),
    ("disable_host_verification", "TEMPORAL_CLI_TLS_DISABLE_HOST_VERIFICATION"),
)

# The Temporal Helm chart (temporalio/helm-charts, charts/temporal, 1.6.0 and main): the values it reads. server.config.tls
# is written as the server's global.tls (merged over what its server.tls stanza generates, on main), server.dynamicConfig
# is the dynamic config file, and each component mounts additionalVolumes by additionalVolumeMounts and adds
# additionalEnv to its container.
HELM_SERVER_TLS = ("server", "config", "tls")
HELM_DYNAMIC_CONFIG = ("server", "dynamicConfig")
HELM_VOLUMES = "additionalVolumes"
HELM_MOUNTS = "additionalVolumeMounts"
HELM_ENV = "additionalEnv"
HELM_CLIENTS = ("web", "admintools")
# A kubernetes.io/tls Secret's keys (the API server requires both).
TLS_SECRET = dict(cert="tls.crt", key="tls.key")
KUBERNETES_SPEC = dict(
    values_path=dict(type="path"),
    secrets_path=dict(type="path"),
    namespace=dict(type="str"),
    name_prefix=dict(type="str", default="temporal-mtls"),
    mount_dir=dict(type="str", default="/etc/temporal/mtls"),
    clients=dict(type="list", elements="str", choices=list(HELM_CLIENTS), default=list(HELM_CLIENTS)),
)

CLIENT_PROFILE_SPEC = dict(
    profile=dict(type="str", default="default"),
    address=dict(type="str", required=True),
    namespace=dict(type="str", default="default"),
    server_name=dict(type="str"),
    cert_file=dict(type="path"),
    key_file=dict(type="path"),
    ca_file=dict(type="path"),
    server_cert_file=dict(type="path"),
    disable_host_verification=dict(type="bool", default=False),
    embed=dict(type="bool", default=False),
    toml_path=dict(type="path"),
    env_path=dict(type="path"),
    admin_tools_env_path=dict(type="path"),
    ui_env_path=dict(type="path"),
    ui_config_path=dict(type="path"),
)

# The free-form entries of frontend.host_overrides ("server") and remote_clusters ("group"), by kind.
ENTRY_SPECS = dict(server=SERVER_SPEC, group=dict(server=dict(type="dict", options=SERVER_SPEC), client=dict(type="dict", options=CLIENT_SPEC)))


def validate_entry(value, where, kind):
    """Type a free-form host override or remote cluster entry with the same spec as its fixed siblings."""
    if not isinstance(value, dict):
        raise PKIError(where, "must be a mapping of {0} options".format("server" if kind == "server" else "server and client"))
    result = ArgumentSpecValidator(ENTRY_SPECS[kind]).validate(value)
    if result.error_messages:
        raise PKIError(where, "; ".join(result.error_messages))
    return result.validated_parameters


def secrets_of_entries(params):
    """The key_data of each host override and remote cluster entry. Those entries are free-form dicts, which
    Ansible's no_log never reaches, so the module masks these values itself before anything can echo them."""
    frontend = params.get("frontend") or {}
    blocks = []
    for entries in (frontend.get("host_overrides"), params.get("remote_clusters")):
        for entry in (entries or {}).values():
            if isinstance(entry, dict):
                blocks += [entry, entry.get("server")]
    secret_options = [option for option, spec in SERVER_SPEC.items() if spec.get("no_log")]
    return [str(block[option]) for block in blocks if isinstance(block, dict) for option in secret_options if block.get(option)]
