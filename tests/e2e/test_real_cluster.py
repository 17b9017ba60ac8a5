"""A real Temporal cluster is the judge: three server processes built from go.temporal.io/server, each on its own
loopback address, configured by the collection's own playbooks (pki, node_certs, server_tls, client_certs), with
internode mTLS between them and ringpop over TLS. Real clients do real work through the collection's outputs, and
what must be refused is seen refused by the server itself."""

from __future__ import annotations

import json
import ssl
import subprocess

import pytest
from cryptography import x509

from conftest import harness

import temporal_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return temporal_cluster.Fleet.deployed(tmp_path_factory.mktemp("cluster"))


def test_the_nodes_form_one_cluster_over_internode_mtls(cluster):
    """Each role is a member at its own node's address: the frontend reached history and matching through
    membership that runs over TLS, with the internode certificates node_certs shipped."""
    members = cluster.members()
    for member in cluster.expected_members():
        assert member in members, (member, members)
    for node in cluster.nodes.values():
        log = node.log()
        assert "bad certificate" not in log and "tls: " not in log.replace("tls: handshake", ""), log[-3000:]


@pytest.mark.parametrize("sdk, key_form", [("python", "profile"), ("typescript", "pem"), ("go", "pem"), ("java", "pem"), ("java", "pfx")])
def test_each_sdk_worker_completes_a_workflow_with_the_collections_files(cluster, fleet, sdk, key_form):
    """Each SDK runs a worker on its own task queue and completes a workflow that calls an activity, through the
    frontend with the files client_certs wrote: the Python SDK through the temporal.toml profile, the others with
    the PEM chain and PKCS#8 key, Java also with the .pfx."""
    task_queue = "{0}-{1}-e2e".format(sdk, key_form)
    result = temporal_cluster.sdk_worker(sdk, fleet, task_queue, key_form=key_form)
    assert result["ok"], result
    assert (result["client"], result["result"]) == (sdk, "hello {0} from {1}".format(task_queue, sdk))


def test_cli_runs_through_the_profile_and_the_env_file(cluster, fleet):
    through_profile = cluster.cli("operator", "namespace", "describe", "--namespace", temporal_cluster.NAMESPACE, "-o", "json")
    assert through_profile.returncode == 0, through_profile.stderr
    assert json.loads(through_profile.stdout)["namespaceInfo"]["name"] == temporal_cluster.NAMESPACE
    variables = dict(line.split("=", 1) for line in open(fleet.identity("cli")["env"]).read().splitlines() if line and not line.startswith("#"))
    proc = subprocess.run([harness.tool("temporal"), "workflow", "list", "--disable-config-file", "-o", "json"],
                          capture_output=True, text=True, timeout=60, env=harness._clean_env(variables), check=False)
    assert proc.returncode == 0, proc.stderr


def test_java_reads_no_key_from_a_pfx_without_a_passphrase(cluster, fleet, leaf_factory, tmp_path):
    """Why the fleet gives its .pfx a passphrase: without one the key is an unencrypted bag, which the JDK's PKCS12
    KeyStore skips, so a Java client would offer the frontend no certificate."""
    clients_ca = {"path": str(fleet.pki / "clients-ca-chain.pem"), "private_key_path": str(fleet.pki / "clients-ca.key")}
    leaf = leaf_factory("open-pfx", "client", clients_ca, common_name=temporal_cluster.NAMESPACE, pkcs12_path=str(tmp_path / "open.pfx"))
    files = dict(fleet.identity("cli"), pfx=leaf["pkcs12_path"])
    result = temporal_cluster.sdk_worker("java", fleet, "java-open-pfx", identity=files, key_form="pfx", pfx_passphrase="", timeout=30)
    assert not result["ok"]
    assert "no private key entry" in result["error"], result


def test_the_frontend_refuses_a_client_without_a_certificate(cluster, fleet):
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|certificate required"):
        temporal_cluster.tls12_handshake(fleet.frontend_address, fleet.identity("cli")["ca"])
    refused = cluster.cli("operator", "namespace", "describe", "--namespace", temporal_cluster.NAMESPACE,
                          env={"TEMPORAL_TLS_CLIENT_CERT_PATH": "", "TEMPORAL_TLS_CLIENT_KEY_PATH": ""})
    assert refused.returncode != 0


def test_the_frontend_refuses_a_certificate_from_a_foreign_ca(cluster, fleet, ca_factory, leaf_factory):
    foreign = ca_factory("foreign-root")
    stranger = leaf_factory("stranger", "client", foreign, common_name=temporal_cluster.NAMESPACE)
    with pytest.raises(ssl.SSLError, match=temporal_cluster.UNKNOWN_CA):
        temporal_cluster.tls12_handshake(fleet.frontend_address, fleet.identity("cli")["ca"], stranger["chain_path"], stranger["private_key_path"])
    ident = fleet.identity("cli")
    sdk = harness.sdk_describe(fleet.frontend_address, temporal_cluster.FRONTEND_NAME, ident["ca"], stranger["chain_path"], stranger["private_key_path"])
    assert not sdk.ok, sdk


def test_the_frontend_refuses_a_plaintext_client(cluster, fleet):
    proc = subprocess.run([harness.tool("temporal"), "operator", "namespace", "describe", "-n", temporal_cluster.NAMESPACE,
                           "--address", fleet.frontend_address, "--tls=false", "--disable-config-file", "--disable-config-env",
                           "--command-timeout", "10s"], capture_output=True, text=True, timeout=60, env=harness._clean_env(), check=False)
    assert proc.returncode != 0, proc.stdout


def test_the_served_frontend_certificate_is_the_one_node_certs_shipped(cluster, fleet):
    ident = fleet.identity("cli")
    served = x509.load_der_x509_certificate(temporal_cluster.tls12_handshake(fleet.frontend_address, ident["ca"], ident["cert"], ident["key"]))
    shipped = x509.load_pem_x509_certificate((fleet.tls_dir("node1") / "frontend.pem").read_bytes())
    assert served == shipped


def test_the_system_worker_runs_a_batch_with_its_own_identity(cluster, fleet):
    """A batch operation runs only in the worker service's system workers, which dial the frontend with
    global.tls.systemWorker: the identity client_certs delivered to that node, not its internode certificate."""
    node = temporal_cluster.SYSTEM_WORKER_NODE
    identity_dir = fleet.node_dir(node) / "clients" / "system-worker"
    system_worker = cluster.config(node)["global"]["tls"]["systemWorker"]
    assert system_worker["certFile"] == str(identity_dir / "client-chain.pem")
    assert "loading certificate from file" in cluster.nodes[node].log_lines(str(identity_dir / "client-chain.pem"))[0]
    ids = ["idle-{0}".format(index) for index in range(3)]
    for workflow_id in ids:
        started = cluster.cli("workflow", "start", "--type", "Idle", "--task-queue", "nobody-polls", "--workflow-id", workflow_id,
                              "--namespace", temporal_cluster.NAMESPACE)
        assert started.returncode == 0, started.stderr
    query = 'TaskQueue="nobody-polls"'
    cluster.until("the idle workflows in visibility", lambda: cluster.cli("workflow", "count", "--query", query, "--namespace",
                                                                          temporal_cluster.NAMESPACE, "-o", "json"),
                  lambda proc: json.loads(proc.stdout)["count"] == str(len(ids)))
    batch = cluster.cli("workflow", "terminate", "--query", query, "--reason", "e2e batch", "--yes", "--namespace",
                        temporal_cluster.NAMESPACE, "-o", "json")
    assert batch.returncode == 0, batch.stderr
    job = json.loads(batch.stdout)["batchJobId"]
    cluster.until("the batch job", lambda: cluster.cli("batch", "describe", "--job-id", job, "--namespace", temporal_cluster.NAMESPACE, "-o", "json"),
                  lambda proc: json.loads(proc.stdout)["state"] == "BATCH_OPERATION_STATE_COMPLETED")
    for workflow_id in ids:
        described = cluster.cli("workflow", "describe", "--workflow-id", workflow_id, "--namespace", temporal_cluster.NAMESPACE, "-o", "json")
        assert json.loads(described.stdout)["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_TERMINATED"


def test_temporal_served_certificate_sees_what_each_listener_serves(cluster, fleet, tmp_path):
    """The module, through ansible-playbook against the running nodes: each listener serves the file node_certs
    shipped; another node's certificate, or a port with no listener, fails naming the address."""
    from conftest import run_cases

    history = "{0}:{1}".format(fleet.addresses["node2"], temporal_cluster.PORTS["history"]["grpcPort"])
    cases = [
        ("frontend", "temporal_served_certificate", dict(address=fleet.frontend_address, server_name=temporal_cluster.FRONTEND_NAME,
                                                         expected_path=str(fleet.tls_dir("node1") / "frontend.pem"))),
        ("internode", "temporal_served_certificate", dict(address=history, expected_path=str(fleet.tls_dir("node2") / "internode.pem"),
                                                          client_cert_path=str(fleet.tls_dir("node2") / "internode.pem"),
                                                          client_key_path=str(fleet.tls_dir("node2") / "internode.key"))),
        ("other_node", "temporal_served_certificate", dict(address=history, expected_path=str(fleet.tls_dir("node1") / "internode.pem"), timeout="3s")),
        ("no_listener", "temporal_served_certificate", dict(address="{0}:7299".format(fleet.addresses["node1"]),
                                                            expected_path=str(fleet.tls_dir("node1") / "frontend.pem"), timeout="3s")),
    ]
    results, _output = run_cases(tmp_path, cases)
    for name in ("frontend", "internode"):
        assert results[name]["matched"] and not results[name].get("failed") and not results[name]["changed"], results[name]
    assert results["other_node"]["failed"]
    assert "expected_path: {0} serves the certificate with SHA-256 ".format(history) in results["other_node"]["msg"]
    assert "not the first certificate of {0}".format(fleet.tls_dir("node1") / "internode.pem") in results["other_node"]["msg"]
    assert results["no_listener"]["failed"] and "address: cannot reach a TLS listener at" in results["no_listener"]["msg"]


def test_check_served_passes_on_the_deployed_cluster_and_names_a_wrong_listener(cluster, fleet, tmp_path):
    """mtls.temporal.check_served against every node's listeners: the deployed cluster passes; a listener said to
    serve the frontend certificate that serves the internode one fails, named by its address."""
    import yaml

    listeners = fleet.listeners

    def inventory(name, listeners_of):
        path = tmp_path / name
        hosts = {node: {"server_tls_served_listeners": listeners_of(node), "server_tls_served_timeout": "5s"} for node in fleet.services}
        path.write_text(yaml.safe_dump({"temporal_servers": {"hosts": hosts}}))
        return str(path)

    proc, hosts = fleet.playbook("mtls.temporal.check_served", "-i", inventory("served.yml", listeners))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(hosts[node]["changed"] == 0 and hosts[node]["failed"] == 0 for node in fleet.services), hosts

    def wrong(node):
        return [dict(entry, certificate="frontend") if node == "node2" else entry for entry in listeners(node)]

    proc, hosts = fleet.playbook("mtls.temporal.check_served", "-i", inventory("wrong.yml", wrong))
    history = "{0}:{1}".format(fleet.addresses["node2"], temporal_cluster.PORTS["history"]["grpcPort"])
    assert proc.returncode != 0 and hosts["node2"]["failed"] == 1 and hosts["node1"]["failed"] == 0, hosts
    assert "{0} serves the certificate with SHA-256".format(history) in proc.stdout
