"""Bad input an operator (or an attacker) gives the modules, through one real ansible-playbook run: every case fails
before the first byte is written, with a message naming the option and the reason, and leaves every file as it was.
Outputs that alias inputs or each other, names a TLS stack would misread, file attributes that do not exist, durations
no certificate or Go duration holds, and inline PEM that is not PEM."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import run_cases, snapshot


@pytest.fixture
def pki(tmp_path, ca_factory, leaf_factory):
    root = ca_factory("root")
    servers = ca_factory("servers", parent=root)
    frontend = leaf_factory("frontend", "frontend", servers, dns_names=["temporal.example.test"])
    return dict(root=root, servers=servers, frontend=frontend)


def assert_failed_with(results, expected):
    """Each case of expected failed, with its message in the error."""
    for name, message in expected.items():
        assert results[name]["failed"] and message in results[name]["msg"], (name, results[name].get("msg"))


def leaf_args(ca, out, **options):
    args = dict(profile="internode", path=str(out / "leaf.pem"), private_key_path=str(out / "leaf.key"), ca_path=ca["chain_path"],
                ca_private_key_path=ca["private_key_path"], dns_names=["node1.temporal.test"])
    args.update(options)
    return args


def every_file(*dirs):
    return sorted(str(p) for d in dirs for p in Path(d).rglob("*") if p.is_file() or p.is_symlink())


def test_outputs_that_alias_inputs_or_each_other_fail_before_anything_is_written(tmp_path, pki):
    root, servers = pki["root"], pki["servers"]
    out = tmp_path / "out"
    out.mkdir()
    (out / "linked.key").symlink_to(servers["private_key_path"])
    os.link(servers["private_key_path"], out / "hardlinked.key")
    (out / "copy-of-ca.key").write_bytes(Path(servers["private_key_path"]).read_bytes())
    before = snapshot(*every_file(tmp_path))
    cases = [
        ("leaf_key_is_ca_key", "temporal_leaf", leaf_args(servers, out, private_key_path=servers["private_key_path"])),
        ("leaf_key_links_to_ca_key", "temporal_leaf", leaf_args(servers, out, private_key_path=str(out / "linked.key"))),
        ("leaf_key_hardlinks_ca_key", "temporal_leaf", leaf_args(servers, out, private_key_path=str(out / "hardlinked.key"))),
        ("leaf_key_reuses_ca_key", "temporal_leaf", leaf_args(servers, out, private_key_path=str(out / "copy-of-ca.key"), reuse_key=True,
                                                              key_type="ecdsa-p384")),
        ("pkcs12_over_key", "temporal_leaf", leaf_args(servers, out, pkcs12_path=str(out / "leaf.key"))),
        ("chain_over_ca", "temporal_leaf", leaf_args(servers, out, chain_path=servers["chain_path"])),
        ("ca_over_parent", "temporal_ca", dict(path=root["path"], private_key_path=str(out / "int.key"), common_name="int",
                                               parent_ca_path=root["path"], parent_ca_private_key_path=root["private_key_path"])),
        ("ca_key_over_parent_key", "temporal_ca", dict(path=str(out / "int.pem"), private_key_path=root["private_key_path"], common_name="int",
                                                       parent_ca_path=root["path"], parent_ca_private_key_path=root["private_key_path"])),
        ("batch_same_path", "temporal_leaf_batch", dict(ca_path=servers["chain_path"], ca_private_key_path=servers["private_key_path"], certificates=[
            dict(profile="internode", path=str(out / "a.pem"), private_key_path=str(out / "a.key"), dns_names=["a.temporal.test"]),
            dict(profile="internode", path=str(out / "a.pem"), private_key_path=str(out / "b.key"), dns_names=["b.temporal.test"])])),
        ("batch_shared_key", "temporal_leaf_batch", dict(ca_path=servers["chain_path"], ca_private_key_path=servers["private_key_path"], certificates=[
            dict(profile="internode", path=str(out / "a.pem"), private_key_path=str(out / "a.key"), dns_names=["a.temporal.test"]),
            dict(profile="internode", path=str(out / "b.pem"), private_key_path=str(out / "a.key"), dns_names=["b.temporal.test"])])),
        ("batch_key_is_ca_key", "temporal_leaf_batch", dict(ca_path=servers["chain_path"], ca_private_key_path=servers["private_key_path"], certificates=[
            dict(profile="internode", path=str(out / "a.pem"), private_key_path=servers["private_key_path"], dns_names=["a.temporal.test"])])),
        ("csr_over_key", "temporal_csr", dict(private_key_path=str(out / "n.key"), csr_path=str(out / "n.key"), common_name="n")),
    ]
    results, _output = run_cases(tmp_path, cases)
    key, linked = servers["private_key_path"], str(out / "linked.key")
    expected = {
        "leaf_key_is_ca_key": "private_key_path: {0} is also ca_private_key_path, which this run reads: writing it would destroy that file".format(key),
        "leaf_key_links_to_ca_key": "private_key_path: {0} is also ca_private_key_path, which this run reads".format(linked),
        "leaf_key_hardlinks_ca_key": "private_key_path: {0} is also ca_private_key_path, which this run reads".format(out / "hardlinked.key"),
        "leaf_key_reuses_ca_key": "private_key_path: holds the key of the issuing CA CN=servers,O=mtls.temporal tests; a leaf needs its own key",
        "pkcs12_over_key": "pkcs12_path: {0} is also private_key_path, and both would be written to that one file".format(out / "leaf.key"),
        "chain_over_ca": "chain_path: {0} is also ca_path, which this run reads".format(servers["chain_path"]),
        "ca_over_parent": "path: {0} is also parent_ca_path, which this run reads".format(root["path"]),
        "ca_key_over_parent_key": "private_key_path: {0} is also parent_ca_private_key_path, which this run reads".format(root["private_key_path"]),
        "batch_same_path": "certificates[1].path: {0} is also certificates[0].path, and both would be written".format(out / "a.pem"),
        "batch_shared_key": "certificates[1].private_key_path: {0} is also certificates[0].private_key_path".format(out / "a.key"),
        "batch_key_is_ca_key": "certificates[0].private_key_path: {0} is also ca_private_key_path, which this run reads".format(key),
        "csr_over_key": "csr_path: {0} is also private_key_path, and both would be written".format(out / "n.key"),
    }
    assert_failed_with(results, expected)
    assert snapshot(*every_file(tmp_path)) == dict(before, **snapshot(str(tmp_path / "cases.yml"), str(tmp_path / "results.json")))


def test_names_a_tls_stack_would_misread_are_refused(tmp_path, pki):
    servers, out = pki["servers"], tmp_path / "out"
    out.mkdir()
    client = dict(profile="payments", address="temporal.example.test:7233", ca_file=pki["root"]["path"], toml_path=str(out / "temporal.toml"))
    cases = [
        ("cn_nul", "temporal_leaf", leaf_args(servers, out, profile="client", common_name="payments\x00admin", dns_names=[])),
        ("cn_newline", "temporal_leaf", leaf_args(servers, out, profile="client", common_name="payments\nadmin", dns_names=[])),
        ("ip_as_dns", "temporal_leaf", leaf_args(servers, out, dns_names=["10.0.0.7"])),
        ("address_scheme", "temporal_tls_config", dict(client=dict(client, address="https://temporal.example.test:7233"))),
        ("address_bracket", "temporal_tls_config", dict(client=dict(client, address="[2001:db8::1:7233"))),
        ("address_bare_ipv6", "temporal_tls_config", dict(client=dict(client, address="2001:db8::1:7233"))),
        ("address_name_in_brackets", "temporal_tls_config", dict(client=dict(client, address="[temporal.example.test]:7233"))),
    ]
    results, _output = run_cases(tmp_path, cases)
    expected = {
        "cn_nul": "common_name: 'payments\\x00admin' holds a control character",
        "cn_newline": "common_name: 'payments\\nadmin' holds a control character",
        "ip_as_dns": "dns_names: '10.0.0.7' is an IP address: give it in ip_addresses",
        "address_scheme": "client.address: 'https://temporal.example.test:7233' has a scheme",
        "address_bracket": "client.address: '[2001:db8::1:7233': an IPv6 host goes in brackets, and a bracket needs its pair",
        "address_bare_ipv6": "client.address: '2001:db8::1:7233': an IPv6 host goes in brackets",
        "address_name_in_brackets": "client.address: '[temporal.example.test]:7233': brackets hold an IPv6 address",
    }
    assert_failed_with(results, expected)
    assert os.listdir(out) == []
    # The bracketed IPv6 form is taken as given.
    ipv6 = dict(client=dict(client, address="[2001:db8::1]:7233", server_name="temporal.example.test"))
    good, _output = run_cases(tmp_path, [("ipv6", "temporal_tls_config", ipv6)])
    assert not good["ipv6"]["failed"], good["ipv6"].get("msg")


def test_file_attributes_are_resolved_before_the_first_byte(tmp_path, pki):
    servers, out = pki["servers"], tmp_path / "out"
    out.mkdir()
    existing = leaf_args(servers, out)
    first, _output = run_cases(tmp_path, [("issue", "temporal_leaf", existing)])
    assert first["issue"]["changed"], first["issue"]
    before = snapshot(*every_file(out))
    key_pem, cert_pem = Path(existing["private_key_path"]).read_text(), Path(existing["path"]).read_text()
    cases = [
        ("owner", "temporal_leaf", dict(existing, owner="no-such-user-mtls", force=True)),
        ("group", "temporal_leaf", dict(existing, group="no-such-group-mtls", force=True)),
        ("private_key_mode", "temporal_leaf", dict(existing, private_key_mode="rw-r", force=True)),
        ("mode", "temporal_tls_files", dict(mode="0999", files=[dict(path=str(out / "new.pem"), content=Path(existing["path"]).read_text())])),
        ("directory_mode", "temporal_tls_files", dict(directory_mode="u=rwz", files=[dict(path=str(out / "sub" / "new.pem"), content=cert_pem)])),
        ("file_mode", "temporal_tls_files", dict(files=[dict(path=str(out / "new.pem"), content=Path(existing["path"]).read_text(), mode="640x")])),
        ("world_readable_key", "temporal_tls_files", dict(files=[dict(path=str(out / "new.key"), content=key_pem, mode="0644")])),
        ("batch_entry_mode", "temporal_leaf_batch", dict(ca_path=servers["chain_path"], ca_private_key_path=servers["private_key_path"], certificates=[
            dict(profile="internode", path=str(out / "a.pem"), private_key_path=str(out / "a.key"), dns_names=["a.temporal.test"],
                 private_key_mode="0x600")])),
    ]
    results, _output = run_cases(tmp_path, cases)
    expected = {
        "owner": "owner: there is no user no-such-user-mtls on this host",
        "group": "group: there is no group no-such-group-mtls on this host",
        "private_key_mode": "private_key_mode: 'rw-r' is not a file mode",
        "mode": "mode: '0999' is not a file mode",
        "directory_mode": "directory_mode: 'u=rwz' is not a file mode",
        "file_mode": "files[0].mode: '640x' is not a file mode",
        "world_readable_key": "files[0].mode: 0644 would let every user read the private key in {0}".format(out / "new.key"),
        "batch_entry_mode": "certificates[0] ({0}): private_key_mode: '0x600' is not a file mode".format(out / "a.pem"),
    }
    assert_failed_with(results, expected)
    assert snapshot(*every_file(out)) == before


def test_a_private_key_is_a_secret_whatever_the_entry_says(tmp_path, pki):
    key_pem = Path(pki["frontend"]["private_key_path"]).read_text()
    out = tmp_path / "out"
    out.mkdir()
    for check in (True, False):
        results, output = run_cases(tmp_path, [("ship", "temporal_tls_files", dict(files=[dict(path=str(out / "frontend.key"), content=key_pem)]))],
                                    check=check)
        assert results["ship"]["changed"] and not results["ship"].get("failed"), results["ship"]
        assert "PRIVATE KEY" not in output + json.dumps(results)
    assert stat.S_IMODE(os.stat(out / "frontend.key").st_mode) == 0o600
    assert (out / "frontend.key").read_text() == key_pem


def test_durations_past_what_certificates_and_go_hold_are_refused_by_name(tmp_path, pki):
    servers, out = pki["servers"], tmp_path / "out"
    out.mkdir()
    frontend = pki["frontend"]
    server = dict(server=dict(cert_file=frontend["path"], key_file=frontend["private_key_path"]))
    cases = [
        ("validity_days", "temporal_leaf", leaf_args(servers, out, validity="99999999999d")),
        ("validity_years", "temporal_ca", dict(path=str(out / "ca.pem"), private_key_path=str(out / "ca.key"), common_name="long", validity="8000y")),
        ("renew_before", "temporal_leaf", leaf_args(servers, out, renew_before="99999999999d")),
        ("refresh_interval", "temporal_tls_config", dict(frontend=server, refresh_interval="99999999999d", relaxed_checks=["frontend_client_plaintext"])),
        ("warning_window", "temporal_tls_config", dict(frontend=server, expiration_checks=dict(warning_window="8000y"),
                                                       relaxed_checks=["frontend_client_plaintext"])),
    ]
    results, _output = run_cases(tmp_path, cases)
    expected = {
        "validity_days": "validity: '99999999999d' is longer than 200y, the longest duration taken",
        "validity_years": "validity: '8000y' is longer than 200y",
        "renew_before": "renew_before: '99999999999d' is longer than 200y",
        "refresh_interval": "refresh_interval: '99999999999d' is longer than 200y",
        "warning_window": "expiration_checks.warning_window: '8000y' is longer than 200y",
    }
    assert_failed_with(results, expected)
    assert os.listdir(out) == []


def test_a_huge_certificate_is_issued_with_a_warning(tmp_path, pki):
    out = tmp_path / "out"
    out.mkdir()
    names = ["node{0:04d}.a-rather-long-cluster-name.temporal.test".format(i) for i in range(600)]
    results, output = run_cases(tmp_path, [("big", "temporal_leaf", leaf_args(pki["servers"], out, dns_names=names))])
    assert results["big"]["changed"] and not results["big"].get("failed")
    assert any("the certificate is" in w and "KiB; every TLS handshake carries it" in w for w in results["big"]["warnings"]), results["big"]
    small, _output = run_cases(tmp_path, [("small", "temporal_leaf", leaf_args(pki["servers"], out, path=str(out / "small.pem"),
                                                                               private_key_path=str(out / "small.key")))])
    assert not small["small"].get("warnings")


def test_inline_pem_is_checked_as_a_file_would_be(tmp_path, pki):
    frontend = pki["frontend"]
    cert, key = Path(frontend["path"]).read_text(), Path(frontend["private_key_path"]).read_text()
    other_key = Path(pki["servers"]["private_key_path"]).read_text()
    relaxed = ["frontend_client_plaintext"]
    cases = [
        ("cert_not_pem", "temporal_tls_config", dict(frontend=dict(server=dict(cert_data="not a pem", key_data=key)), relaxed_checks=relaxed)),
        ("key_not_pem", "temporal_tls_config", dict(frontend=dict(server=dict(cert_data=cert, key_data="not a key")), relaxed_checks=relaxed)),
        ("key_mismatch", "temporal_tls_config", dict(frontend=dict(server=dict(cert_data=cert, key_data=other_key)), relaxed_checks=relaxed)),
        ("ca_not_pem", "temporal_tls_config", dict(frontend=dict(server=dict(cert_data=cert, key_data=key, client_ca_data=["junk"],
                                                                             require_client_auth=True)), relaxed_checks=relaxed)),
    ]
    results, output = run_cases(tmp_path, cases)
    expected = {
        "cert_not_pem": "frontend.server.cert_data",
        "key_not_pem": "frontend.server.key_data",
        "key_mismatch": "frontend.server.key_data does not match the certificate in frontend.server.cert_data",
        "ca_not_pem": "frontend.server.client_ca_data[0]",
    }
    assert_failed_with(results, expected)
    assert "PRIVATE KEY" not in output + json.dumps(results)
