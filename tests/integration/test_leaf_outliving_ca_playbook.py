"""A leaf asked to outlive its CA, through real ansible-playbook runs: it fails by default, naming both dates; with
not_after_behavior truncate it ends with its CA, says so, and is not reissued on every run for being inside
renew_before (no reissue could end later)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography import x509

from conftest import run_cases, snapshot
from rotation_fleet import inventory, play


def test_a_leaf_outliving_its_ca_fails_or_ends_with_it(tmp_path, ca_factory):
    ca = ca_factory("short-lived", validity="30d")
    ca_end = x509.load_pem_x509_certificate(Path(ca["path"]).read_bytes()).not_valid_after_utc
    out = tmp_path / "out"
    out.mkdir()
    leaf = dict(profile="frontend", path=str(out / "frontend.pem"), private_key_path=str(out / "frontend.key"), ca_path=ca["path"],
                ca_private_key_path=ca["private_key_path"], dns_names=["temporal.example.test"], validity="365d")
    results, _output = run_cases(tmp_path, [("default", "temporal_leaf", leaf)])
    assert results["default"]["failed"], results["default"]
    assert "validity: the frontend certificate would end on" in results["default"]["msg"]
    assert "but its issuer CN=short-lived,O=mtls.temporal tests ends on" in results["default"]["msg"]
    assert list(out.iterdir()) == []

    truncated = dict(leaf, not_after_behavior="truncate")
    results, _output = run_cases(tmp_path, [("truncate", "temporal_leaf", truncated)])
    issued = results["truncate"]
    assert issued["changed"] and not issued.get("failed"), issued
    cert = x509.load_pem_x509_certificate((out / "frontend.pem").read_bytes())
    assert cert.not_valid_after_utc == ca_end
    assert any("would outlive the issuer CN=short-lived,O=mtls.temporal tests; the certificate ends with it" in w for w in issued["warnings"])

    # Inside renew_before from the start (60 days before an end 30 days away), yet a rerun reissues nothing.
    before = snapshot(str(out / "frontend.pem"), str(out / "frontend.key"))
    results, _output = run_cases(tmp_path, [("rerun", "temporal_leaf", dict(truncated, renew_before="60d"))])
    rerun = results["rerun"]
    assert not rerun["changed"] and rerun["reason"] is None, rerun
    assert any("ends with its issuer CN=short-lived,O=mtls.temporal tests" in w and "renew the issuer" in w for w in rerun["warnings"]), rerun
    assert snapshot(str(out / "frontend.pem"), str(out / "frontend.key")) == before


def test_the_roles_can_end_leaves_with_their_ca(tmp_path):
    """node_certs_not_after_behavior and client_certs_not_after_behavior reach the issuing runs: with intermediates
    shorter than the leaves' validity, every node certificate ends with the servers CA and every identity with its
    client CA."""
    spec = inventory(tmp_path)
    spec["all"]["vars"].update(pki_intermediate_validity="60d", node_certs_validity="365d", client_certs_validity="365d",
                               node_certs_not_after_behavior="truncate", client_certs_not_after_behavior="truncate")
    (tmp_path / "inventory.json").write_text(json.dumps(spec))
    proc = play(tmp_path, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-3000:]
    pki = tmp_path / "pki"

    def end(path):
        return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc

    assert {end(pki / "nodes" / node / (profile + ".pem")) for node in ("node1", "node2") for profile in ("internode", "frontend")} == \
        {end(pki / "servers-ca.pem")}
    assert end(pki / "clients" / "payments" / "client.pem") == end(pki / "clients-ca.pem")
    assert end(pki / "clients" / "billing" / "client.pem") == end(pki / "clients-accounting-ca.pem")
