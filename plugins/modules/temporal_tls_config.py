#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_tls_config
short_description: Render and validate Temporal's server TLS config and client profiles
version_added: 0.1.0
description:
  - Builds the server's C(global.tls) block from structured options and merges it into an existing Temporal
    config file (every other key, its order and its comments stay as they were), or writes a standalone one.
  - Or renders the C(TEMPORAL_TLS_*) env file that the official server image's embedded config template
    reads, failing on whatever that template cannot express instead of dropping it.
  - Renders a client profile into C(temporal.toml) (the Temporal CLI and SDKs read it) without losing the
    file's other profiles, and the same settings as C(TEMPORAL_*) client env variables.
  - Renders the same profile for the other clients of the frontend, checked the same way, namely the admin-tools
    image's env file (the C(temporal) CLI and C(tdbg)) and the Web UI server's env file or config file C(tls) block.
  - Renders Helm values for the Temporal chart (C(server.config.tls) naming the mounted files, the volumes that mount
    them, and the web and admin tools pods' env) and the C(kubernetes.io/tls) and Opaque Secret manifests they mount.
  - Before writing anything, refuses what the server rejects at startup (a file and its data both set, empty
    CA entries, an empty host override key) and, unless relaxed with O(relaxed_checks), what it accepts
    silently but does not do what it seems to (a listener without a key stays plaintext, internode clients
    without root CAs dial plaintext, client auth without client CAs trusts the host's store,
    C(disableHostVerification) turns off all verification, a zero C(refreshInterval) never reloads).
  - Checks the certificate and key files the config names, where they are readable. The key must match the
    certificate, each certificate must chain (leaf, then the intermediates of its own file) to the configured CAs,
    usages must fit their role, server names must be in the SANs, and nothing may be expired or not yet valid.
    Host overrides and remote cluster entries are checked too. Multi-CA bundles must list the newest CA first,
    since hot reload only notices a bundle's first certificate (the C(ca_bundle_order) trap).
  - Durations are accepted as V(30d), V(1h) or V(720h) and written as Go durations (V(720h)), since Temporal
    has no day unit.
author:
  - mtls.temporal developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._writer
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Diffs show the rendered blocks with key material replaced by C(<hidden>).
options:
  internode:
    description:
      - C(global.tls.internode), the TLS of history, matching, worker and internal-frontend services and of their
        clients. The server certificate is also the client certificate nodes present to each other, so it needs
        extendedKeyUsage serverAuth and clientAuth (or none).
    type: dict
    suboptions:
      server:
        description: The listener side (C(server)).
        type: dict
        suboptions: &server
          cert_file:
            description: C(certFile), the PEM certificate, optionally followed by intermediates.
            type: path
          key_file:
            description: C(keyFile), the unencrypted PEM key. Server TLS is on only when a key is set.
            type: path
          cert_data:
            description: The certificate as PEM text, written as C(certData) (base64). Not with O(internode.server.cert_file).
            type: str
          key_data:
            description: The key as PEM text, written as C(keyData) (base64). Not with O(internode.server.key_file).
            type: str
          client_ca_files:
            description: C(clientCaFiles), CA bundles that verify client certificates. Newest CA first in each file.
            type: list
            elements: path
          client_ca_data:
            description: CA bundles as PEM text, written as C(clientCaData). Not with O(internode.server.client_ca_files).
            type: list
            elements: str
          require_client_auth:
            description: C(requireClientAuth), mutual TLS.
            type: bool
            default: false
      client:
        description: The dialling side (C(client)).
        type: dict
        suboptions: &client
          server_name:
            description:
              - C(serverName), sent as SNI and checked against the server certificate's SANs.
              - Without it, internode peers dial IP addresses, so their certificates need IP SANs.
            type: str
          disable_host_verification:
            description: C(disableHostVerification). Turns off all verification of the server certificate (a trap).
            type: bool
            default: false
          root_ca_files:
            description: C(rootCaFiles), CA bundles that verify the server. Client TLS is on only with these or O(internode.client.force_tls).
            type: list
            elements: path
          root_ca_data:
            description: CA bundles as PEM text, written as C(rootCaData).
            type: list
            elements: str
          force_tls:
            description: C(forceTLS), TLS against the host's trust store when no root CAs are set.
            type: bool
            default: false
  frontend:
    description:
      - C(global.tls.frontend), the public frontend listener, and (legacy) how system workers dial it.
    type: dict
    suboptions:
      server:
        description: The listener side (C(server)).
        type: dict
        suboptions: *server
      client:
        description: The legacy system-worker dialling side (C(client)), used when O(system_worker) is not set.
        type: dict
        suboptions: *client
      host_overrides:
        description:
          - C(hostOverrides), per-SNI server settings keyed by the exact host name clients send. Each value takes the
            options of O(frontend.server). Names are written lower-cased, as the server compares them.
        type: dict
  system_worker:
    description:
      - C(global.tls.systemWorker), the identity and trust of the server's system workers dialling the frontend.
    type: dict
    suboptions:
      cert_file:
        description: C(certFile), the client certificate.
        type: path
      key_file:
        description: C(keyFile).
        type: path
      cert_data:
        description: Certificate PEM text, written as C(certData).
        type: str
      key_data:
        description: Key PEM text, written as C(keyData).
        type: str
      client:
        description: How the system worker verifies the frontend.
        type: dict
        suboptions: *client
  remote_clusters:
    description:
      - C(remoteClusters), keyed by the remote cluster's host name (or a glob). Each value takes O(internode)'s
        C(server) and C(client) blocks. The server does not validate these at startup; this module does.
      - This cluster only dials a remote one, so an entry's C(server) block is the client certificate it presents
        (only with C(require_client_auth)); its client CAs are never used.
    type: dict
  refresh_interval:
    description:
      - C(refreshInterval), how often the server re-reads certificate, key and CA files. V(0s) means never
        (the C(refresh_disabled) trap).
    type: str
    default: 1m
  expiration_checks:
    description: C(expirationChecks), expiry logging and metrics of the server's certificates.
    type: dict
    suboptions:
      warning_window:
        description: C(warningWindow).
        type: str
      error_window:
        description: C(errorWindow).
        type: str
      check_interval:
        description: C(checkInterval); V(0s) turns the checks off.
        type: str
  embed:
    description:
      - Write the C(*Data) fields (base64 of each file's PEM, read where the module runs) instead of file paths.
      - Files then hold key material and are written with mode C(0600).
    type: bool
    default: false
  config_path:
    description:
      - The server config file (C(--config-file)) to merge C(global.tls) into; created with only C(global.tls)
        when missing. A Go template (C(enable-template)) is refused.
      - Everything outside C(global.tls) is kept, comments included. Inside it, the blocks this run renders replace
        the file's; a top-level block whose option is unset (O(remote_clusters), say) and a key the server reads that
        this module never writes (C(internode.hostOverrides)) are kept as they are. A key the server does not read
        (C(cipherSuites), C(minVersion)) is kept and named in a warning, since it has no effect; a key this module
        writes but this run no longer renders is removed and named in a warning.
    type: path
  env_path:
    description:
      - Write the C(TEMPORAL_TLS_*) env file for the official server image's embedded config template.
    type: path
  dynamic_config_path:
    description:
      - The server's dynamic config file, into which C(system.enableRingpopTLS) is merged (true) whenever
        O(internode) has server TLS, since without it membership (ringpop) gossips in plaintext. The file's other keys and
        comments are kept. Turning it on asks for a restart, of every node at once, since the server reads it only at
        start and a ring cannot mix TLS and plaintext peers.
      - Without it, the file named by O(config_path)'s C(dynamicConfigClient.filepath) (when absolute). When neither
        is known and internode TLS is on, the trap V(ringpop_plaintext) fails the run.
    type: path
    version_added: 0.1.0
  node_addresses:
    description:
      - This node's addresses. Without O(internode.client.server_name), peers dial these, so each must be a
        SAN of the internode certificate; they are checked when given.
      - The address O(config_path)'s membership advertises (C(global.membership.broadcastAddress), else each
        service's C(rpc.bindOnIP)) is checked the same way, whether given here or not.
    type: list
    elements: str
  check_files:
    description: Check the referenced files that are readable where the module runs.
    type: bool
    default: true
  relaxed_checks:
    description: Traps to report as warnings instead of failing.
    type: list
    elements: str
    default: []
    choices:
      - server_cert_without_key
      - plaintext_internode_client
      - client_auth_without_ca
      - host_verification_disabled
      - refresh_disabled
      - system_worker_ignored
      - system_worker_plaintext
      - frontend_client_plaintext
      - ringpop_plaintext
      - client_ip_without_server_name
      - cloud_private_server_ca
      - ca_bundle_order
      - ringpop_rolling_restart
  rolling_restart:
    description:
      - The nodes restart batch by batch (a rolling run, such as P(mtls.temporal.server_tls#role) under
        C(mtls_temporal_serial)). Turning C(system.enableRingpopTLS) on in O(dynamic_config_path) for a node whose
        O(config_path) or O(env_path) already existed then fails before anything is written (the trap
        C(ringpop_rolling_restart)), since a node restarted with it cannot join the plaintext peers still running.
    type: bool
    default: false
  changed_files:
    description:
      - Files changed earlier in this run (for example the paths of certificate tasks that reported a change).
        They decide RV(restart_required) for changes hot reload cannot pick up.
    type: list
    elements: path
    default: []
  unchanged_first_certificate:
    description:
      - Files changed earlier in this run whose first certificate stayed the same, as
        RV(mtls.temporal.temporal_tls_files#module:unchanged_first_certificate) returns them.
      - Hot reload compares only the first certificate of a CA file, so a change behind it (a CA removed from the end
        of a bundle, or a client group's CA from its middle) goes unnoticed until the server restarts. When the config
        names one of these files as client CAs or root CAs, RV(restart_required) is set.
      - They count as changed files too; they need not be repeated in O(changed_files).
    type: list
    elements: path
    default: []
  client:
    description:
      - A client profile for the Temporal CLI and SDKs.
      - Checked before anything is written, with O(check_files) for the file checks. The client certificate must be
        readable, unexpired, match its key and allow clientAuth; the frontend certificate it dials (see
        O(client.server_cert_file)) must carry the name it checks and chain to O(client.ca_file). The traps
        V(host_verification_disabled), V(client_ip_without_server_name) and V(cloud_private_server_ca) fail the
        run unless relaxed.
    type: dict
    suboptions:
      profile:
        description: Profile name, C([profile.NAME]); letters, digits, C(-) and C(_).
        type: str
        default: default
      address:
        description: C(address), host:port of the frontend.
        type: str
        required: true
      namespace:
        description: C(namespace).
        type: str
        default: default
      server_name:
        description: C(tls.server_name), SNI and the name checked in the server certificate.
        type: str
      cert_file:
        description: C(tls.client_cert_path), the client certificate (or chain).
        type: path
      key_file:
        description: C(tls.client_key_path).
        type: path
      ca_file:
        description: C(tls.server_ca_cert_path), the CA that verifies the server.
        type: path
      server_cert_file:
        description:
          - The frontend certificate this profile dials (the chain the frontend serves), checked and never written.
            O(client.server_name) (or the host of O(client.address)) must be one of its SANs, and O(client.ca_file)
            must verify it. Without it, this run's O(frontend.server) certificate is checked, when there is one.
          - Skipped when the file is not readable where the module runs.
        type: path
        version_added: 0.1.0
      disable_host_verification:
        description: C(tls.disable_host_verification).
        type: bool
        default: false
      embed:
        description: Write C(client_cert_data), C(client_key_data) and C(server_ca_cert_data) (PEM text) instead of paths.
        type: bool
        default: false
      toml_path:
        description: The temporal.toml to merge the profile into; other profiles are kept.
        type: path
      env_path:
        description: Write the profile as C(TEMPORAL_*) variables (paths only).
        type: path
      admin_tools_env_path:
        description:
          - Write the profile as the admin-tools image's variables (paths only), the C(TEMPORAL_*) variables of
            the C(temporal) CLI and the C(TEMPORAL_CLI_*) variables C(tdbg) reads.
          - The CLI's legacy C(TEMPORAL_TLS_CERT), C(TEMPORAL_TLS_KEY) and C(TEMPORAL_TLS_CA) are never written,
            since they override any profile when set.
        type: path
        version_added: 0.1.0
      ui_env_path:
        description:
          - Write the profile as the Web UI server image's variables (paths only), namely C(TEMPORAL_ADDRESS),
            C(TEMPORAL_TLS_CA), C(TEMPORAL_TLS_CERT), C(TEMPORAL_TLS_KEY), C(TEMPORAL_TLS_SERVER_NAME) and
            C(TEMPORAL_TLS_ENABLE_HOST_VERIFICATION).
          - Needs O(client.ca_file), since the UI server refuses TLS settings without a CA. Host verification is
            written as V(true) unless O(client.disable_host_verification), because the UI's default skips it.
        type: path
        version_added: 0.1.0
      ui_config_path:
        description:
          - The Web UI server's config file to merge the profile into, as its C(temporalGrpcAddress) and its
            C(tls) block (C(caFile), C(certFile), C(keyFile), C(serverName), C(enableHostVerification); with
            O(client.embed) the C(caData), C(certData) and C(keyData) forms, base64 of the PEM, and the file
            is written with mode C(0600)). Other keys are kept, comments included.
          - Needs O(client.ca_file), as O(client.ui_env_path) does.
        type: path
        version_added: 0.1.0
  kubernetes:
    description:
      - Helm values for the Temporal chart (C(temporalio/helm-charts)) and the Secret manifests they mount, from
        O(internode), O(frontend), O(system_worker), O(refresh_interval), O(expiration_checks) and O(client).
      - Each certificate and key pair (O(internode.server), O(frontend.server), O(system_worker), O(client)) becomes a
        C(kubernetes.io/tls) Secret, and every CA bundle a key of one Opaque Secret named after its file. The values
        mount them with C(additionalVolumes) and C(additionalVolumeMounts) under O(kubernetes.mount_dir), and name
        the mounted paths in C(server.config.tls), rendered and checked as for O(config_path).
      - With internode TLS on, C(server.dynamicConfig) turns on C(system.enableRingpopTLS).
      - The client profile becomes the C(additionalEnv) of the chart's C(web) and C(admintools) pods, which dial
        the chart's frontend service, so O(client.server_name) is required.
      - Takes C(*_file) options only, without O(frontend.host_overrides), O(remote_clusters) or O(embed).
    type: dict
    version_added: 0.1.0
    suboptions:
      values_path:
        description: The values file to write (whole; pass it to C(helm) with C(-f)). It holds paths, never key material.
        type: path
      secrets_path:
        description:
          - The Secret manifests to write, one YAML document each. They hold the keys, so the file is written with
            mode C(0600) and never shown; results and diffs show each certificate's facts.
        type: path
      namespace:
        description: The Secrets' C(metadata.namespace); unset leaves it to C(kubectl apply -n).
        type: str
      name_prefix:
        description: Secret and volume names are V(<prefix>-internode), V(<prefix>-frontend), V(<prefix>-system-worker), V(<prefix>-client) and V(<prefix>-ca).
        type: str
        default: temporal-mtls
      mount_dir:
        description:
          - Where the pods see the Secrets, one directory per Secret (C(<mount_dir>/internode/tls.crt),
            C(<mount_dir>/ca/<file name>)).
          - Apart from the chart's own C(server.tls) mounts (C(/etc/temporal/tls/...)), so both can coexist.
        type: str
        default: /etc/temporal/mtls
      clients:
        description: The chart's components that get O(client) as their TLS env and mounts.
        type: list
        elements: str
        choices: [web, admintools]
        default: [web, admintools]
  backup:
    description: Keep each replaced file as a timestamped copy next to it.
    type: bool
    default: false
  return_rendered:
    description:
      - Return the rendered blocks (RV(tls), RV(server_env), RV(client_profile), RV(client_env), RV(admin_tools_env),
        RV(ui_env), RV(ui_tls), RV(helm_values) and RV(kubernetes_secrets)).
      - V(false) leaves them out, so a result registered for every host of a large fleet stays small; the files
        are written and checked the same either way. Below C(-vvv) it also leaves out the echo of the module's
        arguments (C(invocation)), which the controller would otherwise hold for every host until the task is done.
    type: bool
    default: true
notes:
  - The server reads its static config only at start, so any change to O(config_path) or O(env_path) sets
    RV(restart_required). Changed certificate files need no restart while O(refresh_interval) is above zero,
    except client-side root CAs, which the server caches until it restarts, and CA bundles whose first certificate
    stayed the same (O(unchanged_first_certificate)).
  - Server C(*Data) fields are base64 of the PEM; client C(*_data) fields are the PEM text itself.
  - The server env variables and the client env variables share the C(TEMPORAL_TLS_) prefix; keep the two files apart.
seealso:
  - module: mtls.temporal.temporal_leaf
  - module: mtls.temporal.temporal_ca
"""

EXAMPLES = r"""
---
- name: Merge mTLS for internode and frontend into the node's Temporal config
  mtls.temporal.temporal_tls_config:
    config_path: /etc/temporal/config.yaml
    internode:
      server:
        cert_file: /etc/temporal/tls/internode-chain.pem
        key_file: /etc/temporal/tls/internode.key
        client_ca_files: [/etc/temporal/tls/servers-ca.pem]
        require_client_auth: true
      client:
        server_name: internode.temporal.example.com
        root_ca_files: [/etc/temporal/tls/servers-ca.pem]
    frontend:
      server:
        cert_file: /etc/temporal/tls/frontend-chain.pem
        key_file: /etc/temporal/tls/frontend.key
        client_ca_files: [/etc/temporal/tls/clients-ca.pem, /etc/temporal/tls/servers-ca.pem]
        require_client_auth: true
    system_worker:
      cert_file: /etc/temporal/tls/worker.pem
      key_file: /etc/temporal/tls/worker.key
      client:
        server_name: frontend.temporal.example.com
        root_ca_files: [/etc/temporal/tls/servers-ca.pem]
    refresh_interval: 1m
    expiration_checks:
      warning_window: 30d
      error_window: 7d
      check_interval: 1h
  register: temporal_tls
  notify: Restart temporal

- name: Env file for the official server image
  mtls.temporal.temporal_tls_config:
    env_path: /etc/temporal/tls.env
    internode:
      server:
        cert_file: /etc/temporal/tls/internode.pem
        key_file: /etc/temporal/tls/internode.key
        client_ca_files: [/etc/temporal/tls/ca.pem]
        require_client_auth: true
      client:
        server_name: internode.temporal.example.com
        root_ca_files: [/etc/temporal/tls/ca.pem]
    frontend:
      server:
        cert_file: /etc/temporal/tls/frontend.pem
        key_file: /etc/temporal/tls/frontend.key
        client_ca_files: [/etc/temporal/tls/ca.pem]
        require_client_auth: true
      client:
        root_ca_files: [/etc/temporal/tls/ca.pem]

- name: A temporal.toml profile and env file for a worker
  mtls.temporal.temporal_tls_config:
    client:
      profile: payments
      address: temporal.example.com:7233
      namespace: payments
      server_name: frontend.temporal.example.com
      cert_file: /srv/worker/client-chain.pem
      key_file: /srv/worker/client.key
      ca_file: /srv/worker/servers-ca.pem
      toml_path: /srv/worker/.config/temporalio/temporal.toml
      env_path: /srv/worker/temporal.env

- name: Helm values and Secret manifests for the Temporal chart, the web UI and admin tools included
  mtls.temporal.temporal_tls_config:
    kubernetes:
      values_path: /srv/deploy/temporal-mtls-values.yaml
      secrets_path: /srv/deploy/temporal-mtls-secrets.yaml
      namespace: temporal
    internode:
      server:
        cert_file: /srv/pki/internode-chain.pem
        key_file: /srv/pki/internode.key
        client_ca_files: [/srv/pki/internode-ca.pem]
        require_client_auth: true
      client:
        server_name: internode.temporal.example.com
        root_ca_files: [/srv/pki/internode-ca.pem]
    frontend:
      server:
        cert_file: /srv/pki/frontend-chain.pem
        key_file: /srv/pki/frontend.key
        client_ca_files: [/srv/pki/frontend-clients-ca.pem]
        require_client_auth: true
      client:
        server_name: frontend.temporal.example.com
        root_ca_files: [/srv/pki/internode-ca.pem]
    client:
      address: temporal-frontend:7233
      server_name: frontend.temporal.example.com
      cert_file: /srv/pki/admin-chain.pem
      key_file: /srv/pki/admin.key
      ca_file: /srv/pki/server-roots.pem
"""

RETURN = r"""
tls:
  description: The rendered C(global.tls) mapping, with C(keyData) values replaced by C(<hidden>).
  returned: when a server block is given, unless O(return_rendered=false)
  type: dict
  sample:
    refreshInterval: 1m
    internode:
      server: {certFile: /etc/temporal/tls/internode.pem, keyFile: /etc/temporal/tls/internode.key, requireClientAuth: true}
server_env:
  description: The server image's variables written to O(env_path), key data hidden.
  returned: when O(env_path) is set, unless O(return_rendered=false)
  type: dict
  sample: {TEMPORAL_TLS_SERVER_CERT: /etc/temporal/tls/internode.pem, TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: "true"}
client_profile:
  description: The C([profile.NAME]) mapping, key data hidden.
  returned: when O(client) is set, unless O(return_rendered=false)
  type: dict
  sample: {address: "temporal.example.com:7233", namespace: payments, tls: {client_cert_path: /srv/worker/client.pem}}
client_env:
  description: The client C(TEMPORAL_*) variables.
  returned: when O(client) is set without O(client.embed), unless O(return_rendered=false)
  type: dict
  sample: {TEMPORAL_ADDRESS: "temporal.example.com:7233", TEMPORAL_TLS_CLIENT_CERT_PATH: /srv/worker/client.pem}
admin_tools_env:
  description: The admin-tools variables written to O(client.admin_tools_env_path).
  returned: when O(client.admin_tools_env_path) is set, unless O(return_rendered=false)
  type: dict
  sample: {TEMPORAL_ADDRESS: "temporal.example.com:7233", TEMPORAL_CLI_TLS_CERT: /srv/admin/client.pem}
ui_env:
  description: The Web UI variables written to O(client.ui_env_path).
  returned: when O(client.ui_env_path) is set, unless O(return_rendered=false)
  type: dict
  sample: {TEMPORAL_TLS_CA: /srv/ui/ca.pem, TEMPORAL_TLS_ENABLE_HOST_VERIFICATION: "true"}
ui_tls:
  description: The C(tls) block merged into O(client.ui_config_path), with C(keyData) replaced by C(<hidden>).
  returned: when O(client.ui_config_path) is set, unless O(return_rendered=false)
  type: dict
  sample: {caFile: /srv/ui/ca.pem, serverName: frontend.temporal.example.com, enableHostVerification: true}
helm_values:
  description: The Helm values written to O(kubernetes.values_path) (paths only).
  returned: when O(kubernetes) is set, unless O(return_rendered=false)
  type: dict
  sample: {server: {config: {tls: {refreshInterval: 1m}}}}
kubernetes_secrets:
  description: Each Secret of O(kubernetes.secrets_path) as its name, type and, per key, the certificates' facts or C(<hidden>).
  returned: when O(kubernetes) is set, unless O(return_rendered=false)
  type: list
  elements: dict
  sample: [{name: temporal-mtls-frontend, type: kubernetes.io/tls, data: {tls.key: <hidden>}}]
restart_required:
  description: Whether the Temporal server must restart to apply what changed (hot reload cannot).
  returned: always
  type: bool
  sample: true
restart_reasons:
  description: Why a restart is required, in words.
  returned: always
  type: list
  elements: str
  sample: ["the server's static TLS config changed; it is read only at start"]
config_warnings:
  description: Relaxed traps and other findings that did not stop the run (also emitted as warnings).
  returned: always
  type: list
  elements: str
  sample: ["internode.server: client CAs are set but require_client_auth is false, so they are ignored"]
unchecked_files:
  description: Referenced files that are not readable where the module ran, so were not checked.
  returned: always
  type: list
  elements: str
  sample: []
written:
  description: Options whose files were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: [config_path]
backup_files:
  description: Backups made, by option name.
  returned: when O(backup=true) and a file was replaced
  type: dict
  sample: {config_path: /etc/temporal/config.yaml.1234.2026-11-24@06:00:00~}
"""


from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.config import TLSConfigBackend
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.render import TRAPS
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import (
    CLIENT_PROFILE_SPEC,
    EXPIRATION_SPEC,
    FRONTEND_SPEC,
    GROUP_SPEC,
    KUBERNETES_SPEC,
    WORKER_SPEC,
)


OPTIONS = Options(dict(
    internode=dict(type="dict", options=GROUP_SPEC),
    frontend=dict(type="dict", options=FRONTEND_SPEC),
    system_worker=dict(type="dict", options=WORKER_SPEC),
    remote_clusters=dict(type="dict"),
    refresh_interval=dict(type="str", default="1m"),
    expiration_checks=dict(type="dict", options=EXPIRATION_SPEC),
    embed=dict(type="bool", default=False),
    config_path=dict(type="path"),
    env_path=dict(type="path"),
    dynamic_config_path=dict(type="path"),
    node_addresses=dict(type="list", elements="str"),
    check_files=dict(type="bool", default=True),
    relaxed_checks=dict(type="list", elements="str", default=[], choices=list(TRAPS)),
    rolling_restart=dict(type="bool", default=False),
    changed_files=dict(type="list", elements="path", default=[]),
    unchanged_first_certificate=dict(type="list", elements="path", default=[]),
    client=dict(type="dict", options=CLIENT_PROFILE_SPEC),
    kubernetes=dict(type="dict", options=KUBERNETES_SPEC),
    backup=dict(type="bool", default=False),
    return_rendered=dict(type="bool", default=True),
))


def main():
    run(OPTIONS.module(), TLSConfigBackend)


if __name__ == "__main__":
    main()
