"""What else dials the frontend, and Kubernetes, through real ansible-playbook runs: the admin-tools and Web UI env
files, the UI config's tls block, and the Helm values with the Secret manifests they mount. One run in check mode
with --diff writes nothing and shows facts, never PEM; one run writes; a rerun (also with return_rendered false,
which leaves the rendered outputs out of the results) changes and touches nothing. The manifests and every fragment
of the values that is a Kubernetes object are validated by kubernetes-validate, and each path server.config.tls names
must be a key of a Secret mounted at its directory. Bad input fails naming the option, before anything is written."""

from __future__ import annotations

import base64
import copy
import json
import posixpath
import stat
from pathlib import Path

import kubernetes_validate
import yaml

from conftest import run_cases, snapshot

KUBERNETES_VERSION = "1.37.0"
FRONTEND_NAME = "frontend.temporal.test"
UI_CONFIG = """# the UI's own settings
temporalGrpcAddress: 127.0.0.1:7233
port: 8080
tls:
  caFile: /old/ca.pem
  minVersion: "1.2"
auth:
  enabled: false
"""


def env_of(path):
    return dict(line.split("=", 1) for line in Path(path).read_text().splitlines() if line and not line.startswith("#"))


def make_pki(tmp_path, ca_factory, leaf_factory):
    root = ca_factory("root")
    servers, clients = ca_factory("servers", parent=root), ca_factory("clients", parent=root)
    pki = dict(
        root=root["path"],
        internode=leaf_factory("internode", "internode", servers, dns_names=["internode.temporal.test"]),
        frontend=leaf_factory("frontend", "frontend", servers, dns_names=[FRONTEND_NAME]),
        admin=leaf_factory("admin", "client", clients, common_name="admin"),
        internode_ca=servers["path"],
    )
    bundle = tmp_path / "frontend-clients-ca.pem"
    bundle.write_bytes(Path(clients["path"]).read_bytes() + Path(servers["path"]).read_bytes())
    pki["frontend_clients_ca"] = str(bundle)
    # A CA file elsewhere with the same name as one already in the ca Secret.
    (tmp_path / "other").mkdir()
    pki["same_name_ca"] = str(tmp_path / "other" / "servers.pem")
    Path(pki["same_name_ca"]).write_bytes(Path(root["path"]).read_bytes())
    return pki


def server_blocks(pki):
    return dict(
        internode=dict(server=dict(cert_file=pki["internode"]["chain_path"], key_file=pki["internode"]["private_key_path"],
                                   client_ca_files=[pki["internode_ca"]], require_client_auth=True),
                       client=dict(server_name="internode.temporal.test", root_ca_files=[pki["internode_ca"]])),
        frontend=dict(server=dict(cert_file=pki["frontend"]["chain_path"], key_file=pki["frontend"]["private_key_path"],
                                  client_ca_files=[pki["frontend_clients_ca"]], require_client_auth=True),
                      client=dict(server_name=FRONTEND_NAME, root_ca_files=[pki["internode_ca"]])),
    )


def client_block(pki, **changes):
    client = dict(address="temporal-frontend:7233", namespace="payments", server_name=FRONTEND_NAME, cert_file=pki["admin"]["chain_path"],
                  key_file=pki["admin"]["private_key_path"], ca_file=pki["root"], server_cert_file=pki["frontend"]["chain_path"])
    client.update(changes)
    return {key: value for key, value in client.items() if value is not None}


def good_cases(pki, out):
    worker = dict(cert_file=pki["admin"]["chain_path"], key_file=pki["admin"]["private_key_path"],
                  client=dict(server_name=FRONTEND_NAME, root_ca_files=[pki["internode_ca"]]))
    helm = dict(server_blocks(pki), system_worker=worker, client=client_block(pki), refresh_interval="2m",
                kubernetes=dict(values_path=str(out / "values.yaml"), secrets_path=str(out / "secrets.yaml"), namespace="temporal"))
    return [
        ("companions", "temporal_tls_config", dict(client=client_block(
            pki, admin_tools_env_path=str(out / "admin.env"), ui_env_path=str(out / "ui.env"), ui_config_path=str(out / "ui.yaml")))),
        ("ui_embedded", "temporal_tls_config", dict(client=client_block(pki, embed=True, ui_config_path=str(out / "ui-embedded.yaml")))),
        ("helm", "temporal_tls_config", helm),
    ]


def bad_cases(pki, out):
    def helm(**changes):
        args = dict(server_blocks(pki), client=client_block(pki), kubernetes=dict(values_path=str(out / "bad-values.yaml")))
        args.update(changes)
        return args

    with_data = server_blocks(pki)
    with_data["internode"]["server"]["key_data"] = Path(pki["internode"]["private_key_path"]).read_text()
    del with_data["internode"]["server"]["key_file"]
    no_internode_name = server_blocks(pki)
    del no_internode_name["internode"]["client"]["server_name"]
    same_name = server_blocks(pki)
    same_name["frontend"]["client"]["root_ca_files"] = [pki["same_name_ca"]]
    return [
        ("ui_without_ca", "temporal_tls_config", dict(client=client_block(pki, ca_file=None, ui_env_path=str(out / "bad-ui.env")))),
        ("ui_wrong_name", "temporal_tls_config", dict(client=client_block(pki, server_name="other.temporal.test", ui_env_path=str(out / "bad-ui.env")))),
        ("admin_embedded", "temporal_tls_config", dict(client=client_block(pki, embed=True, admin_tools_env_path=str(out / "bad-admin.env")))),
        ("helm_without_server_name", "temporal_tls_config", helm(client=client_block(pki, server_name=None))),
        ("helm_key_data", "temporal_tls_config", helm(**with_data)),
        ("helm_without_internode_name", "temporal_tls_config", helm(**no_internode_name)),
        ("helm_same_ca_name", "temporal_tls_config", helm(**same_name)),
        ("helm_bad_prefix", "temporal_tls_config", helm(kubernetes=dict(values_path=str(out / "bad-values.yaml"), name_prefix="Temporal_TLS"))),
    ]


def validate(manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def pod_of(component):
    """A Pod with a chart component's volumes, mounts and env, so kubernetes-validate checks each fragment."""
    container = dict(name=component.get("name", "c"), image="temporalio/server", env=component.get("additionalEnv", []),
                     volumeMounts=component["additionalVolumeMounts"])
    return dict(apiVersion="v1", kind="Pod", metadata=dict(name="check"), spec=dict(containers=[container], volumes=component["additionalVolumes"]))


def tls_paths(tls):
    for key, value in tls.items():
        if isinstance(value, dict):
            yield from tls_paths(value)
        elif key in ("certFile", "keyFile"):
            yield value
        elif key in ("clientCaFiles", "rootCaFiles"):
            yield from value


def test_companions_and_kubernetes(tmp_path, ca_factory, leaf_factory):
    pki = make_pki(tmp_path, ca_factory, leaf_factory)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ui.yaml").write_text(UI_CONFIG)
    (out / "ui-embedded.yaml").write_text(UI_CONFIG)
    cases = good_cases(pki, out)
    outputs = [str(out / name) for name in ("admin.env", "ui.env", "ui.yaml", "ui-embedded.yaml", "values.yaml", "secrets.yaml")]

    checked, check_output = run_cases(tmp_path, cases + bad_cases(pki, out), check=True, diff=True)
    assert all(checked[name]["changed"] for name, _module, _args in cases), check_output[-3000:]
    assert [path for path in outputs if Path(path).exists()] == [str(out / "ui.yaml"), str(out / "ui-embedded.yaml")]
    assert (out / "ui.yaml").read_text() == UI_CONFIG
    assert "BEGIN" not in check_output and "fingerprint_sha256" in check_output and "<hidden>" in check_output

    results, output = run_cases(tmp_path, cases + bad_cases(pki, out))
    for name, _module, _args in cases:
        assert results[name]["changed"] and not results[name].get("failed"), results[name].get("msg")
    assert not list(out.glob("bad-*"))
    expected_errors = {
        "ui_without_ca": "client.ca_file: the Web UI server refuses TLS settings without a CA",
        "ui_wrong_name": "client.server_name: {0} has no SAN for 'other.temporal.test'".format(pki["frontend"]["chain_path"]),
        "admin_embedded": "client.admin_tools_env_path: PEM text does not survive env files intact",
        "helm_without_server_name": "client.server_name: the chart's web and admin tools pods dial the frontend by the chart's own service address",
        "helm_key_data": "kubernetes: the Helm outputs mount files from Secrets, so they take *_file options only, without host overrides "
                         "or remote clusters; unset internode.server.key_data",
        "helm_without_internode_name": "internode.client.server_name: in Kubernetes, peers dial each other's pod IP addresses",
        "helm_same_ca_name": "frontend.client.root_ca_files[0]: {0} and {1} have the same file name".format(pki["internode_ca"], pki["same_name_ca"]),
        "helm_bad_prefix": "kubernetes.name_prefix: 'Temporal_TLS' makes Secret and volume names",
    }
    for name, message in expected_errors.items():
        assert results[name].get("failed") and message in results[name]["msg"], (name, results[name].get("msg"))

    # The admin tools: the temporal CLI's names and tdbg's, and none of the CLI's legacy overrides.
    assert env_of(out / "admin.env") == {
        "TEMPORAL_ADDRESS": "temporal-frontend:7233", "TEMPORAL_NAMESPACE": "payments",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": pki["admin"]["chain_path"], "TEMPORAL_TLS_CLIENT_KEY_PATH": pki["admin"]["private_key_path"],
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": pki["root"], "TEMPORAL_TLS_SERVER_NAME": FRONTEND_NAME,
        "TEMPORAL_CLI_ADDRESS": "temporal-frontend:7233", "TEMPORAL_CLI_NAMESPACE": "payments",
        "TEMPORAL_CLI_TLS_CERT": pki["admin"]["chain_path"], "TEMPORAL_CLI_TLS_KEY": pki["admin"]["private_key_path"],
        "TEMPORAL_CLI_TLS_CA": pki["root"], "TEMPORAL_CLI_TLS_SERVER_NAME": FRONTEND_NAME,
    }
    assert env_of(out / "ui.env") == {
        "TEMPORAL_ADDRESS": "temporal-frontend:7233", "TEMPORAL_TLS_CA": pki["root"], "TEMPORAL_TLS_CERT": pki["admin"]["chain_path"],
        "TEMPORAL_TLS_KEY": pki["admin"]["private_key_path"], "TEMPORAL_TLS_SERVER_NAME": FRONTEND_NAME, "TEMPORAL_TLS_ENABLE_HOST_VERIFICATION": "true",
    }
    # The UI config: its own keys and comment kept, the address and tls block set, a key the UI does not read kept and named.
    ui_text = (out / "ui.yaml").read_text()
    ui = yaml.safe_load(ui_text)
    assert ui_text.startswith("# the UI's own settings\n") and ui["port"] == 8080 and ui["auth"] == {"enabled": False}
    assert ui["temporalGrpcAddress"] == "temporal-frontend:7233"
    assert ui["tls"] == {"caFile": pki["root"], "certFile": pki["admin"]["chain_path"], "keyFile": pki["admin"]["private_key_path"],
                         "serverName": FRONTEND_NAME, "enableHostVerification": True, "minVersion": "1.2"}
    assert any("tls.minVersion is not a key the Web UI server reads" in w for w in results["companions"]["config_warnings"])
    embedded = yaml.safe_load((out / "ui-embedded.yaml").read_text())["tls"]
    assert base64.b64decode(embedded["keyData"]) == Path(pki["admin"]["private_key_path"]).read_bytes()
    assert base64.b64decode(embedded["caData"]) == Path(pki["root"]).read_bytes() and "keyFile" not in embedded
    assert results["ui_embedded"]["ui_tls"]["keyData"] == "<hidden>"
    for private in ("ui-embedded.yaml", "secrets.yaml"):
        assert stat.S_IMODE((out / private).stat().st_mode) == 0o600, private

    # Kubernetes: every Secret is valid and holds the files themselves.
    manifests = [document for document in yaml.safe_load_all((out / "secrets.yaml").read_text()) if document]
    secrets = {manifest["metadata"]["name"]: manifest for manifest in manifests}
    for manifest in manifests:
        validate(manifest)
        assert manifest["metadata"]["namespace"] == "temporal"
    assert sorted(secrets) == ["temporal-mtls-" + role for role in ("ca", "client", "frontend", "internode", "system-worker")]
    for role, leaf in (("internode", pki["internode"]), ("frontend", pki["frontend"]), ("system-worker", pki["admin"]), ("client", pki["admin"])):
        secret = secrets["temporal-mtls-" + role]
        assert secret["type"] == "kubernetes.io/tls"
        assert base64.b64decode(secret["data"]["tls.crt"]) == Path(leaf["chain_path"]).read_bytes()
        assert base64.b64decode(secret["data"]["tls.key"]) == Path(leaf["private_key_path"]).read_bytes()
    ca = secrets["temporal-mtls-ca"]
    assert ca["type"] == "Opaque"
    assert {key: base64.b64decode(value) for key, value in ca["data"].items()} == {
        Path(path).name: Path(path).read_bytes() for path in (pki["internode_ca"], pki["frontend_clients_ca"], pki["root"])}

    values_text = (out / "values.yaml").read_text()
    assert "&id" not in values_text  # no YAML anchors: each component's mounts written out
    values = yaml.safe_load(values_text)
    assert values == results["helm"]["helm_values"]
    server = values["server"]
    validate(pod_of(server))
    mounts = {mount["mountPath"]: mount["name"] for mount in server["additionalVolumeMounts"]}
    volume_secret = {volume["name"]: volume["secret"]["secretName"] for volume in server["additionalVolumes"]}
    tls = server["config"]["tls"]
    for path in tls_paths(tls):
        directory, key = posixpath.split(path)
        assert key in secrets[volume_secret[mounts[directory]]]["data"], path
    assert tls["refreshInterval"] == "2m" and tls["internode"]["server"]["requireClientAuth"] is True
    assert tls["frontend"]["client"] == {"serverName": FRONTEND_NAME, "rootCaFiles": ["/etc/temporal/mtls/ca/servers.pem"]}
    assert tls["systemWorker"]["certFile"] == "/etc/temporal/mtls/system-worker/tls.crt"
    assert server["dynamicConfig"] == {"system.enableRingpopTLS": [{"value": True}]}
    for component in ("web", "admintools"):
        validate(pod_of(values[component]))
        env = {item["name"]: item["value"] for item in values[component]["additionalEnv"]}
        # The chart sets each pod's address itself.
        assert not {"TEMPORAL_ADDRESS", "TEMPORAL_CLI_ADDRESS"} & set(env)
        assert {volume["secret"]["secretName"] for volume in values[component]["additionalVolumes"]} == {"temporal-mtls-client", "temporal-mtls-ca"}
    web_env = {item["name"]: item["value"] for item in values["web"]["additionalEnv"]}
    assert web_env == {"TEMPORAL_TLS_CA": "/etc/temporal/mtls/ca/root.pem", "TEMPORAL_TLS_CERT": "/etc/temporal/mtls/client/tls.crt",
                       "TEMPORAL_TLS_KEY": "/etc/temporal/mtls/client/tls.key", "TEMPORAL_TLS_SERVER_NAME": FRONTEND_NAME,
                       "TEMPORAL_TLS_ENABLE_HOST_VERIFICATION": "true"}
    # Results show certificate facts and never key material.
    view = {secret["name"]: secret for secret in results["helm"]["kubernetes_secrets"]}
    assert view["temporal-mtls-frontend"]["data"]["tls.key"] == "<hidden>"
    assert view["temporal-mtls-frontend"]["data"]["tls.crt"][0]["dns_names"] == [FRONTEND_NAME]
    keys = [Path(pki[name]["private_key_path"]).read_text() for name in ("internode", "frontend", "admin")]
    shown = json.dumps(results) + output
    assert not any(key in shown or base64.b64encode(key.encode()).decode() in shown for key in keys)

    before = snapshot(*outputs)
    quiet = [(name + "_quiet", module, dict(copy.deepcopy(args), return_rendered=False)) for name, module, args in cases]
    again, _output = run_cases(tmp_path, copy.deepcopy(cases) + quiet)
    assert not any(result["changed"] for result in again.values())
    assert snapshot(*outputs) == before
    rendered = ("admin_tools_env", "ui_env", "ui_tls", "helm_values", "kubernetes_secrets")
    assert all(key in again["helm"] for key in ("helm_values", "kubernetes_secrets"))
    assert not any(key in again[name + "_quiet"] for name, _module, _args in cases for key in rendered)
