"""What the collection issues and renders, used by real Temporal clients over real TLS (loopback only).

Positive: the Temporal CLI through the generated temporal.toml profile and through the generated env file,
the Python SDK with the same files, an internode certificate as the client certificate of a peer node, and a
front that does not ask for client certificates. Negative: each refusal a wrong identity or trust setting must
meet, with its reason checked. pkilint checks every certificate the scenarios issue."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import pem_of, sign_certificate
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import generate_private_key, load_private_key, serialize_private_key
from ansible_collections.mtls.temporal.plugins.modules import temporal_tls_config
from conftest import BIN, harness, rendered_tls

pytestmark = pytest.mark.slow

SERVER_NAME = "frontend.temporal.demo"


def files(fleet):
    pki = fleet / "pki"
    return dict(ca=str(pki / "root-ca.pem"), cert=str(pki / "client-default-chain.pem"), key=str(pki / "client-default.key"),
                pfx=str(pki / "client-default.pfx"), toml=pki / "temporal.toml", env=pki / "client.env")


def env_file(path):
    return dict(line.split("=", 1) for line in Path(path).read_text().splitlines() if line and not line.startswith("#"))


# --- every real client connects with what the collection made --------------------------------------------


def test_cli_through_the_generated_toml_profile(fleet, frontend):
    result = harness.cli_describe(frontend.address, profile="demo", config_file=files(fleet)["toml"])
    assert result.ok, result


def test_cli_through_the_generated_env_file(fleet, frontend):
    variables = env_file(files(fleet)["env"])
    assert variables["TEMPORAL_TLS_SERVER_NAME"] == SERVER_NAME
    variables["TEMPORAL_ADDRESS"] = frontend.address  # the profile's address is the node's; the front listens on a free port
    result = harness.cli_describe(frontend.address, env_vars=variables)
    assert result.ok, result


def test_python_sdk_with_the_same_files(fleet, frontend):
    f = files(fleet)
    result = harness.sdk_describe(frontend.address, SERVER_NAME, f["ca"], f["cert"], f["key"])
    assert result.ok, result


def test_internode_certificate_works_as_a_client_certificate(fleet, internode_peer):
    """Node 1 dialling node 2's internode listener with its own internode cert and the configured serverName."""
    tls = __import__("conftest").rendered_tls(fleet, "node1")["internode"]
    result = harness.cli_describe(internode_peer.address, env_vars={
        "TEMPORAL_TLS_CLIENT_CERT_PATH": tls["server"]["certFile"], "TEMPORAL_TLS_CLIENT_KEY_PATH": tls["server"]["keyFile"],
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": tls["client"]["rootCaFiles"][0], "TEMPORAL_TLS_SERVER_NAME": tls["client"]["serverName"]})
    assert result.ok, result
    sdk = harness.sdk_describe(internode_peer.address, tls["client"]["serverName"], tls["client"]["rootCaFiles"][0],
                               tls["server"]["certFile"], tls["server"]["keyFile"])
    assert sdk.ok, sdk


def test_front_without_client_auth_takes_a_call_without_a_client_certificate(fleet, harness_dir, dev_server, run_module, tmp_path):
    """Node 1's frontend certificate in a frontend block temporal_tls_config renders with require_client_auth false and
    no client CAs: the front then asks for no client certificate, so the CLI and the SDK connect without one."""
    served, ca = rendered_tls(fleet)["frontend"]["server"], files(fleet)["ca"]
    config = tmp_path / "config.yaml"
    run = run_module(temporal_tls_config.main, dict(config_path=str(config), frontend=dict(
        server=dict(cert_file=served["certFile"], key_file=served["keyFile"], require_client_auth=False),
        client=dict(server_name=SERVER_NAME, root_ca_files=[ca]))))
    assert not run.failed, run.msg
    block = yaml.safe_load(config.read_text())["global"]["tls"]["frontend"]["server"]
    assert block.get("requireClientAuth") is not True and not block.get("clientCaFiles"), block
    with harness.TLSFront(harness_dir, block, dev_server.address, SERVER_NAME) as open_front:
        result = harness.cli_describe(open_front.address, env_vars={"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca, "TEMPORAL_TLS_SERVER_NAME": SERVER_NAME})
        assert result.ok, result
        sdk = harness.sdk_describe(open_front.address, SERVER_NAME, ca)
        assert sdk.ok, sdk
        log = open_front.log()
    assert "client_authentication" not in open_front.config_path.read_text()
    # The readiness probe connects and closes without a handshake ("EOF"); nothing else may have failed one.
    failed = [line for line in log.splitlines() if "TLS handshake error" in line and not re.search(r"TLS handshake error from [\d.:]+: EOF", line)]
    assert not failed, failed


# --- every wrong identity or trust setting is refused, for its reason ------------------------------------

# The client's words vary with timing (TLS 1.3 can finish the client's side of a handshake before the server's
# rejection arrives), so a refusal of the client's certificate is judged by the reason the front (Go's TLS
# stack) logs for it; refusals of the server's certificate by the client's own verification error.
def _cli_with(frontend, ca, server_name=SERVER_NAME, cert=None, key=None):
    variables = {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca, "TEMPORAL_TLS_SERVER_NAME": server_name}
    if cert:
        variables.update(TEMPORAL_TLS_CLIENT_CERT_PATH=cert, TEMPORAL_TLS_CLIENT_KEY_PATH=key)
    return harness.cli_describe(frontend.address, env_vars=variables)


def _refused_by_front(frontend, call, reason):
    offset = len(frontend.log())
    result = call()
    assert not result.ok, result
    handshake_errors = [line for line in frontend.log_since(offset).splitlines() if "TLS handshake error" in line]
    assert any(re.search(reason, line) for line in handshake_errors), (result, handshake_errors)
    return result


@pytest.fixture
def issued(tmp_path, fleet, ca_factory, leaf_factory):
    """Identities for the negative cases, issued by the collection's own modules (and one signed with the
    collection's signer and backdated, since the modules refuse to issue an expired certificate)."""
    pki = fleet / "pki"
    servers = dict(path=str(pki / "servers-ca-chain.pem"), private_key_path=str(pki / "servers-ca.key"))
    other_ca = ca_factory("Other CA")
    out = dict(
        other_ca=other_ca,
        foreign=leaf_factory("foreign", "client", other_ca, common_name="default"),
        server_only=leaf_factory("server-only", "frontend", servers, common_name="default", dns_names=["default.client.temporal.demo"]),
    )
    issuer = x509.load_pem_x509_certificate((pki / "servers-ca.pem").read_bytes())
    issuer_key = load_private_key((pki / "servers-ca.key").read_bytes(), None, "ca", "servers-ca.key")
    key = generate_private_key("ecdsa-p256")
    now = datetime.datetime.now(datetime.timezone.utc)
    expired = sign_certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "default-expired")]), key.public_key(), issuer_key, issuer,
        now - datetime.timedelta(days=3), now - datetime.timedelta(days=1),
        [(x509.BasicConstraints(ca=False, path_length=None), True), (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )
    (tmp_path / "expired.pem").write_bytes(pem_of([expired]))
    (tmp_path / "expired-chain.pem").write_bytes(pem_of([expired, issuer]))
    (tmp_path / "expired.key").write_bytes(serialize_private_key(key))
    out["expired"] = dict(path=str(tmp_path / "expired.pem"), chain_path=str(tmp_path / "expired-chain.pem"), private_key_path=str(tmp_path / "expired.key"))
    return out


def test_no_client_certificate_is_refused(fleet, frontend):
    f = files(fleet)
    _refused_by_front(frontend, lambda: _cli_with(frontend, f["ca"]), r"client didn't provide a certificate")
    _refused_by_front(frontend, lambda: harness.sdk_describe(frontend.address, SERVER_NAME, f["ca"]), r"client didn't provide a certificate")


def test_client_certificate_from_another_ca_is_refused(fleet, frontend, issued):
    f, foreign = files(fleet), issued["foreign"]
    # Go's client does not even send a certificate the server's CA list does not cover; rustls does, and is refused.
    _refused_by_front(frontend, lambda: _cli_with(frontend, f["ca"], cert=foreign["chain_path"], key=foreign["private_key_path"]),
                      r"client didn't provide a certificate|unknown authority")
    _refused_by_front(frontend, lambda: harness.sdk_describe(frontend.address, SERVER_NAME, f["ca"], foreign["chain_path"], foreign["private_key_path"]),
                      r"certificate signed by unknown authority")


def test_expired_client_certificate_is_refused(fleet, frontend, issued):
    expired = issued["expired"]
    _refused_by_front(frontend, lambda: _cli_with(frontend, files(fleet)["ca"], cert=expired["chain_path"], key=expired["private_key_path"]),
                      r"certificate has expired or is not yet valid")


def test_server_auth_only_certificate_is_refused_as_a_client(fleet, frontend, issued):
    server_only = issued["server_only"]
    _refused_by_front(frontend, lambda: _cli_with(frontend, files(fleet)["ca"], cert=server_only["chain_path"], key=server_only["private_key_path"]),
                      r"certificate specifies an incompatible key usage")


def test_frontend_certificate_without_the_dialled_name_is_refused(fleet, frontend):
    f = files(fleet)
    result = _cli_with(frontend, f["ca"], server_name="billing.temporal.demo", cert=f["cert"], key=f["key"])
    assert not result.ok and re.search(r"certificate is valid for .*not billing\.temporal\.demo", result.detail), result
    sdk = harness.sdk_describe(frontend.address, "billing.temporal.demo", f["ca"], f["cert"], f["key"])
    # rustls: InvalidCertificate(NotValidForNameContext { expected: DnsName("billing.temporal.demo"), presented: [...] })
    assert not sdk.ok and re.search(r'InvalidCertificate\(NotValidForName(Context \{ expected: DnsName\("billing\.temporal\.demo"\)|\))', sdk.detail), sdk


def test_wrong_ca_in_the_client_profile_is_refused(fleet, frontend, issued):
    f = files(fleet)
    result = _cli_with(frontend, issued["other_ca"]["path"], cert=f["cert"], key=f["key"])
    assert not result.ok and re.search(r"certificate signed by unknown authority", result.detail), result
    sdk = harness.sdk_describe(frontend.address, SERVER_NAME, issued["other_ca"]["path"], f["cert"], f["key"])
    assert not sdk.ok and re.search(r"UnknownIssuer|unknown issuer|invalid peer certificate", sdk.detail, re.I), sdk


def test_internode_peer_refuses_a_call_without_a_client_certificate(fleet, internode_peer):
    client = rendered_tls(fleet, "node1")["internode"]["client"]
    ca, name = client["rootCaFiles"][0], client["serverName"]
    _refused_by_front(internode_peer, lambda: _cli_with(internode_peer, ca, server_name=name), r"client didn't provide a certificate")
    _refused_by_front(internode_peer, lambda: harness.sdk_describe(internode_peer.address, name, ca), r"client didn't provide a certificate")


def test_internode_peer_refuses_a_client_certificate_from_another_ca(fleet, internode_peer, issued):
    client, foreign = rendered_tls(fleet, "node1")["internode"]["client"], issued["foreign"]
    ca, name = client["rootCaFiles"][0], client["serverName"]
    # As on the frontend: Go's client keeps back a certificate outside the peer's CA list; rustls sends it and is refused.
    _refused_by_front(internode_peer, lambda: _cli_with(internode_peer, ca, server_name=name, cert=foreign["chain_path"], key=foreign["private_key_path"]),
                      r"client didn't provide a certificate|unknown authority")
    _refused_by_front(internode_peer, lambda: harness.sdk_describe(internode_peer.address, name, ca, foreign["chain_path"], foreign["private_key_path"]),
                      r"certificate signed by unknown authority")


def test_pkilint_has_no_error_on_any_certificate_the_scenarios_issued(fleet, issued):
    lint = shutil.which("lint_pkix_cert", path=str(BIN))
    certs = [p for p in fleet.rglob("*.pem") if not p.name.endswith("-chain.pem")]
    certs += [Path(issued[name]["path"]) for name in ("other_ca", "foreign", "server_only", "expired")]
    for cert in certs:
        proc = subprocess.run([lint, "lint", "-s", "ERROR", str(cert)], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0 and "ERROR" not in proc.stdout and "FATAL" not in proc.stdout, "{0}: {1}".format(cert, proc.stdout)
