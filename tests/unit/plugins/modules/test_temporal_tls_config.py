from __future__ import annotations

import copy
import datetime
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import write_files
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.checks import FileChecker
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.render import TRAPS, Findings
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.schema import SERVER_ENV_VARIABLES
from ansible_collections.mtls.temporal.plugins.module_utils.x509.ca import CABackend
from ansible_collections.mtls.temporal.plugins.module_utils.x509.leaf import LeafBackend
from ansible_collections.mtls.temporal.plugins.modules import temporal_tls_config
from conftest import REPO, snapshot

TEMPLATE = yaml.safe_load((REPO / "tests" / "fixtures" / "server-image-tls-template.yaml").read_text())


@pytest.fixture
def material(ca_factory, leaf_factory):
    root = ca_factory("Root", path_length=1)
    servers = ca_factory("Servers", parent=root, path_length=0)
    clients = ca_factory("Clients", parent=root, path_length=0)
    san = dict(dns_names=["internode.temporal.test", "node1.temporal.test"], ip_addresses=["127.0.0.1"])
    return dict(
        root=root,
        servers=servers,
        clients=clients,
        internode=leaf_factory("internode", "internode", servers, **san),
        frontend=leaf_factory("frontend", "frontend", servers, dns_names=["frontend.temporal.test", "acme.temporal.test"]),
        worker=leaf_factory("worker", "worker", servers, common_name="system-worker"),
        client=leaf_factory("client", "client", clients, common_name="payments"),
    )


def full_args(m, tmp_path):
    ca = m["root"]["path"]
    return dict(
        config_path=str(tmp_path / "config.yaml"),
        dynamic_config_path=str(tmp_path / "dynamicconfig.yaml"),
        internode=dict(
            server=dict(cert_file=m["internode"]["chain_path"], key_file=m["internode"]["private_key_path"], client_ca_files=[ca], require_client_auth=True),
            client=dict(server_name="internode.temporal.test", root_ca_files=[ca]),
        ),
        frontend=dict(
            server=dict(cert_file=m["frontend"]["chain_path"], key_file=m["frontend"]["private_key_path"], client_ca_files=[ca], require_client_auth=True),
            client=dict(server_name="frontend.temporal.test", root_ca_files=[ca]),
        ),
        expiration_checks=dict(warning_window="30d", error_window="7d", check_interval="1h"),
    )


def test_renders_go_durations_and_is_idempotent(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    predicted = run_module(temporal_tls_config.main, args, check_mode=True)
    assert predicted.changed and not os.path.exists(args["config_path"])
    first = run_module(temporal_tls_config.main, args)
    assert first.changed and first["written"] == ["config_path", "dynamic_config_path"] and first["restart_required"], first.msg
    assert yaml.safe_load(Path(args["dynamic_config_path"]).read_text()) == {"system.enableRingpopTLS": [{"value": True}]}
    assert any("system.enableRingpopTLS turned on in " + args["dynamic_config_path"] in reason for reason in first["restart_reasons"])
    tls = yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"]
    assert tls["expirationChecks"] == {"warningWindow": "720h", "errorWindow": "168h", "checkInterval": "1h"}
    assert tls["refreshInterval"] == "1m"
    assert tls["internode"]["server"]["requireClientAuth"] is True and tls == first["tls"]
    before = snapshot(args["config_path"])
    again = run_module(temporal_tls_config.main, args)
    assert not again.changed and not again["restart_required"] and snapshot(args["config_path"]) == before


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a, m: a["internode"]["server"].update(cert_data="x"), "internode.server: cert_file and cert_data are both set; the server refuses to start"),
        (lambda a, m: a["internode"]["server"].update(key_data="x"), "internode.server: key_file and key_data are both set"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_data=["x"]), "frontend.server: client_ca_files and client_ca_data are both set"),
        (lambda a, m: a["internode"]["client"].update(root_ca_data=["x"]), "internode.client: root_ca_files and root_ca_data are both set"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=[m["root"]["path"], "  "]), "frontend.server: entry 2 of client_ca_files is empty"),
        (lambda a, m: a["internode"]["client"].update(root_ca_files=None, root_ca_data=[""]), "internode.client: entry 1 of root_ca_data is empty"),
        (lambda a, m: a["frontend"].update(host_overrides={"": {"cert_file": "/x", "key_file": "/y"}}), "frontend.host_overrides: an empty host name key"),
        (lambda a, m: a["frontend"]["server"].update(cert_file=None), "frontend.server: a key without a certificate"),
        (lambda a, m: a["frontend"].update(host_overrides={"a.test": {"cert_file": "/x", "bogus": 1}}), "frontend.host_overrides['a.test']: "),
        (lambda a, m: a.update(refresh_interval="30x"), "refresh_interval: '30x' is not a duration"),
        (lambda a, m: a["expiration_checks"].update(check_interval="-1h"), "expiration_checks.check_interval: '-1h' is not a duration"),
        (lambda a, m: a.update(remote_clusters={" ": dict(client=dict(force_tls=True))}), "remote_clusters: an empty host key"),
        (lambda a, m: a["frontend"].update(host_overrides={"a.temporal.test": "/x.pem"}),
         "frontend.host_overrides['a.temporal.test']: must be a mapping of server options"),
        (lambda a, m: a.update(remote_clusters={"peer.example.com": ["/x.pem"]}),
         "remote_clusters['peer.example.com']: must be a mapping of server and client options"),
    ],
)
def test_startup_rejections_fail_and_write_nothing(run_module, material, tmp_path, mutate, message):
    args = full_args(material, tmp_path)
    mutate(args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and message in run.msg, run.msg
    assert not os.path.exists(args["config_path"])


def _cloud_profile(args, m):
    """A profile for a Cloud namespace beside this cluster's internode config: no frontend here to check it against."""
    args.pop("frontend")
    args.update(client_args(m, Path(args["config_path"]).parent, address="payments.a1b2c.tmprl.cloud:7233", server_name=None))


TRAP_CASES = {
    "server_cert_without_key": lambda a, m: a["frontend"]["server"].update(key_file=None),
    "plaintext_internode_client": lambda a, m: a["internode"].update(client=dict(server_name="internode.temporal.test")),
    "client_auth_without_ca": lambda a, m: a["internode"]["server"].update(client_ca_files=None),
    "host_verification_disabled": lambda a, m: a["internode"]["client"].update(disable_host_verification=True),
    "refresh_disabled": lambda a, m: a.update(refresh_interval="0s"),
    "system_worker_ignored": lambda a, m: a.update(system_worker=dict(client=dict(server_name="frontend.temporal.test"))),
    "system_worker_plaintext": lambda a, m: a.update(
        system_worker=dict(cert_file=m["worker"]["chain_path"], key_file=m["worker"]["private_key_path"], client=dict(server_name="frontend.temporal.test"))
    ),
    "frontend_client_plaintext": lambda a, m: a["frontend"].pop("client"),
    "ca_bundle_order": lambda a, m: a["frontend"]["server"].update(client_ca_files=[_bundle_old_first(m, Path(m["root"]["path"]).parent)]),
    "ringpop_plaintext": lambda a, m: a.pop("dynamic_config_path"),
    # A node configured before may run in a plaintext ring.
    "ringpop_rolling_restart": lambda a, m: (Path(a["config_path"]).write_text("global: {}\n"), a.update(rolling_restart=True)),
    # The internode certificate carries the IP, so only the missing server name is wrong.
    "client_ip_without_server_name": lambda a, m: a.update(client_args(m, Path(a["config_path"]).parent, address="127.0.0.1:7233", server_name=None,
                                                                       server_cert_file=m["internode"]["chain_path"])),
    "cloud_private_server_ca": _cloud_profile,
}


def test_every_trap_has_a_case():
    assert set(TRAP_CASES) == set(TRAPS)


@pytest.mark.parametrize("trap", sorted(TRAP_CASES))
def test_traps_fail_unless_relaxed(run_module, material, tmp_path, trap):
    args = full_args(material, tmp_path)
    TRAP_CASES[trap](args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and "(add {0} to relaxed_checks".format(trap) in run.msg, run.msg
    assert run.msg.count("relaxed_checks") == 1  # nothing else is wrong with the case
    relaxed = run_module(temporal_tls_config.main, dict(args, relaxed_checks=[trap]))
    assert not relaxed.failed and relaxed.changed, relaxed.msg
    assert any("(relaxed: {0})".format(trap) in w for w in relaxed["config_warnings"])


def _old_ca_and_leaf(tmp_path, days_ago, validity, leaf_validity, profile="frontend"):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    ca = dict(path=str(tmp_path / "old-ca.pem"), private_key_path=str(tmp_path / "old-ca.key"), common_name="Old CA", key_type="ecdsa-p256",
              validity=validity, renew_before="1d", state="present", force=False, reuse_key=True, path_length=None,
              name_constraints_permitted=[], name_constraints_excluded=[], parent_ca_path=None, parent_ca_private_key_path=None,
              parent_ca_private_key_passphrase=None, private_key_passphrase=None, chain_path=None, private_key_mode="0600")
    write_files(CABackend(ca, now=now).plan().files)
    leaf = dict(profile=profile, path=str(tmp_path / "old-leaf.pem"), private_key_path=str(tmp_path / "old-leaf.key"), ca_path=ca["path"],
                ca_private_key_path=ca["private_key_path"], ca_private_key_passphrase=None, dns_names=["frontend.temporal.test"], ip_addresses=[],
                key_type="ecdsa-p256", validity=leaf_validity, renew_before="1h", state="present", force=False, reuse_key=False,
                private_key_format="pkcs8", chain_path=None, csr_path=None, csr_content=None, pkcs12_path=None, pkcs12_passphrase="",
                common_name=None, private_key_mode="0600")
    write_files(LeafBackend(leaf, now=now).plan().files)
    return ca, leaf


def pair(m, name, chain=True):
    """cert_file and key_file of one of the material's leaves."""
    return dict(cert_file=m[name]["chain_path" if chain else "path"], key_file=m[name]["private_key_path"])


def _expired_frontend(tmp_path):
    _ca, leaf = _old_ca_and_leaf(tmp_path, 10, "30d", "2d")
    return dict(cert_file=leaf["path"], key_file=leaf["private_key_path"])


def _bundle_old_first(m, tmp_path):
    old, _leaf = _old_ca_and_leaf(tmp_path, days_ago=2, validity="3650d", leaf_validity="1d")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(old["path"]).read_bytes() + Path(m["root"]["path"]).read_bytes())
    return str(bundle)


def _future_frontend(tmp_path):
    """A frontend leaf (and its CA) issued as if three days from now: not valid yet."""
    _ca, leaf = _old_ca_and_leaf(tmp_path, -3, "30d", "10d")
    return dict(cert_file=leaf["path"], key_file=leaf["private_key_path"])


def _with_unrelated_intermediate(m, tmp_path):
    """The internode leaf followed by the Clients intermediate: that one is issued by the right root, the leaf is not issued by it."""
    path = tmp_path / "wrong-chain.pem"
    path.write_bytes(Path(m["internode"]["path"]).read_bytes() + Path(m["clients"]["path"]).read_bytes())
    return str(path)


def file_names(m):
    """Format fields for messages: {name} (the certificate), {name_chain}, {name_key} of each leaf, {name} of each CA."""
    names = {}
    for name, paths in m.items():
        names[name] = paths["path"]
        if "chain_path" in paths:
            names[name + "_chain"] = paths["chain_path"]
        names[name + "_key"] = paths["private_key_path"]
    return names


def worker(m, server_name="frontend.temporal.test", roots=None):
    """A system_worker block with the worker leaf, dialling server_name and trusting roots (default: the root CA)."""
    return dict(pair(m, "worker"), client=dict(server_name=server_name, root_ca_files=roots or [m["root"]["path"]]))


def remote(m, leaf="worker", **server):
    """A remote_clusters entry presenting leaf as this cluster's client certificate."""
    return {"peer.example.com": dict(server=dict(dict(pair(m, leaf), require_client_auth=True), **server),
                                     client=dict(server_name="frontend.peer.example.com", root_ca_files=[m["root"]["path"]]))}


ACME = "frontend.host_overrides['acme.temporal.test']"
PEER = "remote_clusters['peer.example.com']"

FILE_CASES = [
    ("key mismatch", lambda a, m, t: a["internode"]["server"].update(key_file=m["frontend"]["private_key_path"]),
     "internode.server: {frontend_key} does not match the certificate in {internode_chain}"),
    ("wrong CA", lambda a, m, t: a["internode"]["client"].update(root_ca_files=[m["clients"]["path"]]),
     "internode.server: {internode_chain} does not chain to a CA in internode.client.root_ca_files"),
    ("internode EKU", lambda a, m, t: a["internode"]["server"].update(cert_file=m["frontend"]["chain_path"], key_file=m["frontend"]["private_key_path"]),
     "it needs clientAuth and serverAuth"),
    ("frontend EKU", lambda a, m, t: a["frontend"]["server"].update(pair(m, "client")),
     "frontend.server: {client_chain} has extendedKeyUsage ['clientAuth']; it needs serverAuth"),
    ("server name", lambda a, m, t: a["internode"]["client"].update(server_name="other.temporal.test"),
     "{internode_chain} has no SAN for 'other.temporal.test' (internode.client.server_name)"),
    ("node addresses", lambda a, m, t: (a["internode"]["client"].pop("server_name"), a.update(node_addresses=["127.0.0.1", "10.1.2.3"])),
     "has no SAN for '10.1.2.3' (peers dial node addresses"),
    ("expired", lambda a, m, t: a["frontend"]["server"].update(_expired_frontend(t)),
     "CN=frontend.temporal.test expired on"),
    ("bundle order", lambda a, m, t: a["frontend"]["server"].update(client_ca_files=[_bundle_old_first(m, t)]),
     "frontend.server.client_ca_files: {bundle} lists CN=Old CA first, but CN=Root,O=mtls.temporal tests is newer; "
     "a CA bundle that holds several CAs must list the newest first"),
    ("override SNI", lambda a, m, t: a["frontend"].update(host_overrides={"billing.temporal.test": pair(m, "frontend")}),
     "has no SAN for 'billing.temporal.test' (clients reach this override by that SNI name)"),
    ("worker EKU", lambda a, m, t: a.update(system_worker=dict(pair(m, "frontend", chain=False), client=dict(root_ca_files=[m["root"]["path"]]))),
     "system_worker: {frontend} has extendedKeyUsage ['serverAuth']; it needs clientAuth"),
    ("garbage CA file", lambda a, m, t: (Path(t / "junk.pem").write_text("not pem"), a["internode"]["client"].update(root_ca_files=[str(t / "junk.pem")])),
     "junk.pem holds no PEM certificate"),
    ("not yet valid", lambda a, m, t: a["frontend"]["server"].update(_future_frontend(t)),
     "CN=frontend.temporal.test is not valid before"),
    ("unrelated intermediate", lambda a, m, t: a["internode"]["server"].update(cert_file=_with_unrelated_intermediate(m, t)),
     "internode.server: {wrong} does not chain to a CA in internode.client.root_ca_files"),
    ("internode client CAs", lambda a, m, t: a["internode"]["server"].update(client_ca_files=[m["clients"]["path"]]),
     "internode.server: {internode_chain} does not chain to a CA in internode.server.client_ca_files"),
    ("worker vs frontend client CAs", lambda a, m, t: (
        a.update(system_worker=worker(m)), a["frontend"]["server"].update(client_ca_files=[m["clients"]["path"]])),
     "system_worker: {worker_chain} does not chain to a CA in frontend.server.client_ca_files"),
    ("frontend vs worker root CAs", lambda a, m, t: a.update(system_worker=worker(m, roots=[m["clients"]["path"]])),
     "frontend.server: {frontend_chain} does not chain to a CA in system_worker.client.root_ca_files"),
    ("frontend vs worker server name", lambda a, m, t: a.update(system_worker=worker(m, server_name="other.temporal.test")),
     "frontend.server: {frontend_chain} has no SAN for 'other.temporal.test' (system_worker.client.server_name)"),
    ("override bundle order", lambda a, m, t: a["frontend"].update(
        host_overrides={"acme.temporal.test": dict(pair(m, "frontend"), client_ca_files=[_bundle_old_first(m, t)], require_client_auth=True)}),
     ACME + ".client_ca_files: {bundle} lists CN=Old CA first, but CN=Root,O=mtls.temporal tests is newer"),
    ("override client CAs vs worker", lambda a, m, t: (
        a.update(system_worker=worker(m, server_name="ACME.temporal.test")),
        a["frontend"].update(host_overrides={
            "acme.temporal.test": dict(pair(m, "frontend"), client_ca_files=[m["clients"]["path"]], require_client_auth=True)})),
     "system_worker: {worker_chain} does not chain to a CA in " + ACME + ".client_ca_files"),
    ("override vs worker root CAs", lambda a, m, t: (
        a.update(system_worker=worker(m, server_name="acme.temporal.test")),
        a["frontend"].update(host_overrides={"acme.temporal.test": pair(m, "frontend", chain=False)})),
     ACME + ": {frontend} does not chain to a CA in system_worker.client.root_ca_files"),
    ("override expired", lambda a, m, t: a["frontend"].update(host_overrides={"frontend.temporal.test": _expired_frontend(t)}),
     "CN=frontend.temporal.test expired on"),
    ("remote EKU", lambda a, m, t: a.update(remote_clusters=remote(m, "frontend")),
     PEER + ".server: {frontend_chain} has extendedKeyUsage ['serverAuth']; it needs clientAuth (or no extendedKeyUsage): "
     "this cluster presents it as its client certificate"),
    ("remote key mismatch", lambda a, m, t: a.update(remote_clusters=remote(m, key_file=m["client"]["private_key_path"])),
     PEER + ".server: {client_key} does not match the certificate in {worker_chain}"),
    ("remote expired", lambda a, m, t: a.update(remote_clusters=remote(m, **_expired_frontend(t))),
     "CN=frontend.temporal.test expired on"),
    ("remote bundle order", lambda a, m, t: a.update(
        remote_clusters={"peer.example.com": dict(client=dict(server_name="frontend.peer.example.com", root_ca_files=[_bundle_old_first(m, t)]))}),
     PEER + ".client.root_ca_files: {bundle} lists CN=Old CA first, but CN=Root,O=mtls.temporal tests is newer"),
    ("remote garbage CA file", lambda a, m, t: (
        Path(t / "junk.pem").write_text("not pem"), a.update(remote_clusters={"peer.example.com": dict(client=dict(root_ca_files=[str(t / "junk.pem")]))})),
     PEER + ".client.root_ca_files: " + "{junk} holds no PEM certificate"),
]


@pytest.mark.parametrize("case, mutate, message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_checks_name_the_file_and_problem(run_module, material, tmp_path, case, mutate, message):
    args = full_args(material, tmp_path)
    mutate(args, material, tmp_path)
    run = run_module(temporal_tls_config.main, args)
    expected = message.format(bundle=tmp_path / "bundle.pem", wrong=tmp_path / "wrong-chain.pem", junk=tmp_path / "junk.pem", **file_names(material))
    assert run.failed and expected in run.msg, run.msg
    assert not os.path.exists(args["config_path"])
    assert not run_module(temporal_tls_config.main, dict(args, check_files=False)).failed or "garbage CA file" in case


def _issue(name, issuer=None, ca=True, path_length=None, key=None):
    """(certificate, key) named CN=name, signed by issuer (a (certificate, key) pair) or by itself; key: reuse that key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer or (None, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def _chain_errors(tmp_path, chain, anchors):
    ca_file = tmp_path / "anchors.pem"
    ca_file.write_bytes(b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in anchors))
    findings = Findings([])
    FileChecker(findings, datetime.datetime.now(datetime.timezone.utc)).chains_to(chain, [str(ca_file)], "internode.server", "leaf.pem", "ca")
    return findings.errors


@pytest.mark.parametrize(
    "shape, ok",
    [
        ("leaf, intermediate -> root", True),
        ("leaf, unrelated, intermediate -> root", True),
        ("leaf -> intermediate", True),
        ("leaf -> leaf", True),
        ("leaf -> root", False),
        ("leaf, unrelated -> root", False),
        ("leaf, intermediate -> root with pathlen 0", False),
        ("leaf, non-CA issuer -> root", False),
        ("leaf, intermediate, cross -> other root", True),
    ],
)
def test_chain_check_needs_a_signed_path_to_an_anchor(tmp_path, shape, ok):
    """The path must run leaf -> intermediates of the chain file -> a listed CA, each link signed by the next,
    every intermediate a CA that its issuers' pathLenConstraint allows; one chain member merely issued by an anchor
    (the unrelated intermediate) is not enough."""
    root = _issue("Root", path_length=1)
    strict_root = _issue("Root", path_length=0)
    other_root = _issue("Other Root")
    intermediate = _issue("Servers", root, path_length=0)
    strict_intermediate = _issue("Servers", strict_root, path_length=0)
    unrelated = _issue("Clients", root, path_length=0)
    not_a_ca = _issue("Servers", root, ca=False)
    cross = _issue("Servers", other_root, path_length=0, key=intermediate[1])  # intermediate, cross-signed by another root
    leaf = _issue("leaf", intermediate, ca=False)
    cases = {
        "leaf, intermediate -> root": ([leaf, intermediate], [root]),
        "leaf, unrelated, intermediate -> root": ([leaf, unrelated, intermediate], [root]),
        "leaf -> intermediate": ([leaf], [intermediate]),
        "leaf -> leaf": ([leaf], [leaf]),
        "leaf -> root": ([leaf], [root]),
        "leaf, unrelated -> root": ([leaf, unrelated], [root]),
        "leaf, intermediate -> root with pathlen 0": ([_issue("leaf", strict_intermediate, ca=False), strict_intermediate], [strict_root]),
        "leaf, non-CA issuer -> root": ([_issue("leaf", not_a_ca, ca=False), not_a_ca], [root]),
        "leaf, intermediate, cross -> other root": ([leaf, intermediate, cross], [other_root]),
    }
    chain, anchors = cases[shape]
    chain = [cert for cert, _key in chain]
    errors = _chain_errors(tmp_path, chain, [cert for cert, _key in anchors])
    assert errors == ([] if ok else ["internode.server: leaf.pem does not chain to a CA in ca: no path leads from its first certificate "
                                     "through the intermediates in that file to one of those CAs"])


def test_missing_files_are_reported_not_checked(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    args["frontend"]["server"]["client_ca_files"] = ["/etc/temporal/tls/not-here.pem"]
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed and run["unchecked_files"] == ["/etc/temporal/tls/not-here.pem"]


def test_embed_writes_base64_and_keeps_keys_out_of_results(run_module, material, tmp_path):
    args = dict(full_args(material, tmp_path), embed=True)
    run = run_module(temporal_tls_config.main, args, diff=True)
    tls = yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"]
    import base64

    key_pem = Path(material["internode"]["private_key_path"]).read_bytes()
    assert base64.b64decode(tls["internode"]["server"]["keyData"]) == key_pem
    assert "certFile" not in tls["internode"]["server"]
    assert stat.S_IMODE(os.stat(args["config_path"]).st_mode) == 0o600
    text = json.dumps(run.result)
    assert tls["internode"]["server"]["keyData"] not in text and "PRIVATE KEY" not in text
    assert run["tls"]["internode"]["server"]["keyData"] == "<hidden>"


def test_refuses_templated_config(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_text("# enable-template\nlog:\n  level: {{ default \"info\" (env \"LOG_LEVEL\") }}\n")
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and "is a Go template (enable-template)" in run.msg


def test_restart_required_follows_what_hot_reload_cannot_do(run_module, material, tmp_path):
    args = full_args(material, tmp_path)
    run_module(temporal_tls_config.main, args)
    leaf_only = run_module(temporal_tls_config.main, dict(args, changed_files=[material["internode"]["chain_path"]]))
    assert not leaf_only.changed and not leaf_only["restart_required"]
    roots = run_module(temporal_tls_config.main, dict(args, changed_files=[material["root"]["path"]]))
    assert roots["restart_required"] and "client-side root CAs changed" in roots["restart_reasons"][0]
    args0 = dict(args, refresh_interval="0s", relaxed_checks=["refresh_disabled"])
    run_module(temporal_tls_config.main, args0)
    no_reload = run_module(temporal_tls_config.main, dict(args0, changed_files=[material["frontend"]["chain_path"]]))
    assert no_reload["restart_required"] and "refresh_interval is 0" in no_reload["restart_reasons"][0]


def test_restart_required_when_a_ca_bundle_changed_behind_its_first_certificate(run_module, material, tmp_path):
    """Hot reload compares only a CA file's first certificate, so a bundle that lost a CA after it needs a restart."""
    bundle = tmp_path / "frontend-clients-ca.pem"
    bundle.write_bytes(Path(material["clients"]["path"]).read_bytes() + Path(material["servers"]["path"]).read_bytes())
    args = full_args(material, tmp_path)
    args["frontend"]["server"]["client_ca_files"] = [str(bundle)]
    first = run_module(temporal_tls_config.main, args)
    assert not first.failed, first.msg

    hidden = run_module(temporal_tls_config.main, dict(args, unchanged_first_certificate=[str(bundle)]))
    assert not hidden.failed and not hidden.changed, hidden.msg
    assert hidden["restart_required"] and hidden["restart_reasons"] == [
        "CA bundles changed behind an unchanged first certificate ({0}), which hot reload does not notice".format(bundle)]
    both = run_module(temporal_tls_config.main, dict(args, changed_files=[str(bundle)], unchanged_first_certificate=[str(bundle)]))
    assert both["restart_reasons"] == hidden["restart_reasons"]

    elsewhere = run_module(temporal_tls_config.main, dict(args, unchanged_first_certificate=[str(tmp_path / "not-in-the-config.pem")]))
    assert not elsewhere["restart_required"] and elsewhere["restart_reasons"] == []
    # A client-side root CA restarts the server anyway, and its own reason says so: it is not named twice.
    root = run_module(temporal_tls_config.main, dict(args, unchanged_first_certificate=[material["root"]["path"]]))
    assert root["restart_required"] and len(root["restart_reasons"]) == 1 and "client-side root CAs changed" in root["restart_reasons"][0]

    # With reload off no file is re-read at all: that reason covers the bundle.
    args0 = dict(args, refresh_interval="0s", relaxed_checks=["refresh_disabled"])
    run_module(temporal_tls_config.main, args0)
    no_reload = run_module(temporal_tls_config.main, dict(args0, unchanged_first_certificate=[str(bundle)]))
    assert no_reload["restart_reasons"] == ["certificate files changed and refresh_interval is 0, so they are never re-read"]


def _set(tree, path, value):
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def replay_image_template(env):
    """What the official image's template renders under global.tls for these variables."""
    tls = {}
    for var, rule in TEMPLATE.items():
        if "sets" in rule:
            value = env.get(var, rule["default"])
            for path in rule["sets"]:
                _set(tls, path, {"true": True, "false": False}.get(value, value))
        elif "list" in rule and var in env:
            for path in rule["list"]:
                _set(tls, path, [env[var]])
        elif "pair" in rule and var in env:
            _set(tls, rule["pair"], [env[var], env.get(rule["second"], "")])
    return tls


def meaningful(tree):
    """Drop what the server treats as unset (empty strings, false, 0s, empty lists and maps); a CA list
    is a pool, so a repeated entry means nothing either."""
    if isinstance(tree, dict):
        out = {k: meaningful(v) for k, v in tree.items()}
        return {k: v for k, v in out.items() if v not in ("", False, "0s", [], {}, None)}
    if isinstance(tree, list):
        return list(dict.fromkeys(tree))
    return tree


def read_env(path):
    lines = [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("embed", [False, True])
def test_env_file_means_the_same_as_the_config(run_module, material, tmp_path, embed):
    args = dict(full_args(material, tmp_path), env_path=str(tmp_path / "tls.env"), embed=embed)
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed, run.msg
    env = read_env(args["env_path"])
    assert set(env) <= set(TEMPLATE) and set(TEMPLATE) == set(SERVER_ENV_VARIABLES)
    replayed = replay_image_template(env)
    assert all("" not in v for v in _lists(replayed)), "the template would render an empty CA entry"
    assert meaningful(replayed) == meaningful(yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"])
    assert stat.S_IMODE(os.stat(args["env_path"]).st_mode) == (0o600 if embed else 0o644 & ~_umask())
    assert not run_module(temporal_tls_config.main, args).changed


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _lists(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _lists(value)
    elif isinstance(tree, list):
        yield tree


@pytest.mark.parametrize(
    "mutate, what",
    [
        (lambda a, m: a["frontend"].update(host_overrides={"a.temporal.test": pair(m, "frontend")}), "frontend.host_overrides"),
        (lambda a, m: a.update(system_worker=dict(pair(m, "worker"), client=dict(root_ca_files=[m["root"]["path"]]))), "system_worker"),
        (lambda a, m: a.update(remote_clusters={"peer.example.com": dict(client=dict(root_ca_files=[m["root"]["path"]]))}), "remote_clusters"),
        (lambda a, m: a["internode"]["client"].update(force_tls=True), "internode.client.force_tls"),
        (lambda a, m: a["frontend"]["server"].update(require_client_auth=False, client_ca_files=None), "require_client_auth differing"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=[m["root"]["path"]] * 3), "frontend.server has 3 client CAs"),
        (lambda a, m: a["internode"]["client"].update(root_ca_files=[m["servers"]["path"]]), "different CAs for"),
        (lambda a, m: a["frontend"]["client"].update(force_tls=True), "frontend.client.force_tls"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=["", m["root"]["path"]]),
         "a second client CA without a first (frontend.server.client_ca_files): it renders clientCaFiles only when TEMPORAL_TLS_CLIENT1_CA_CERT is set"),
        (lambda a, m: a["frontend"]["server"].update(client_ca_files=None, client_ca_data=[" ", "PEM"]),
         "(frontend.server.client_ca_data): it renders clientCaData only when TEMPORAL_TLS_CLIENT1_CA_CERT_DATA is set"),
    ],
)
def test_env_file_refuses_what_the_template_cannot_express(run_module, material, tmp_path, mutate, what):
    args = dict(full_args(material, tmp_path), env_path=str(tmp_path / "tls.env"), check_files=False)
    mutate(args, material)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and run.msg.startswith("env_path: the server image's config template cannot express") and what in run.msg, run.msg
    assert not os.path.exists(args["env_path"]) and not os.path.exists(args["config_path"])


def client_args(m, tmp_path, **extra):
    client = dict(profile="payments", address="frontend.temporal.test:7233", namespace="payments", server_name="frontend.temporal.test",
                  cert_file=m["client"]["chain_path"], key_file=m["client"]["private_key_path"], ca_file=m["root"]["path"],
                  toml_path=str(tmp_path / "temporal.toml"))
    client.update(extra)
    return dict(client=client)


def test_toml_profile_merges_and_keeps_other_profiles(run_module, material, tmp_path):
    toml = tmp_path / "temporal.toml"
    toml.write_text('[profile.default]\naddress = "localhost:7233"\n\n[profile.payments]\naddress = "old:1"\n\n[profile.payments.grpc_meta]\nteam = "pay"\n')
    args = client_args(material, tmp_path, env_path=str(tmp_path / "client.env"))
    run = run_module(temporal_tls_config.main, args, diff=True)
    assert run.changed and set(run["written"]) == {"client.toml_path", "client.env_path"} and not run["restart_required"]
    data = tomllib.loads(toml.read_text())
    assert data["profile"]["default"] == {"address": "localhost:7233"}
    assert data["profile"]["payments"]["grpc_meta"] == {"team": "pay"}
    assert data["profile"]["payments"]["tls"] == {
        "client_cert_path": material["client"]["chain_path"], "client_key_path": material["client"]["private_key_path"],
        "server_ca_cert_path": material["root"]["path"], "server_name": "frontend.temporal.test",
    }
    env = read_env(tmp_path / "client.env")
    assert env["TEMPORAL_ADDRESS"] == "frontend.temporal.test:7233" and env["TEMPORAL_TLS_SERVER_NAME"] == "frontend.temporal.test"
    assert not run_module(temporal_tls_config.main, args).changed


def test_toml_embed_holds_pem_and_is_private(run_module, material, tmp_path):
    args = client_args(material, tmp_path, embed=True)
    run = run_module(temporal_tls_config.main, args, diff=True)
    data = tomllib.loads((tmp_path / "temporal.toml").read_text())
    assert data["profile"]["payments"]["tls"]["client_key_data"] == Path(material["client"]["private_key_path"]).read_text()
    assert stat.S_IMODE(os.stat(tmp_path / "temporal.toml").st_mode) == 0o600
    assert "PRIVATE KEY" not in json.dumps(run.result)
    bad = run_module(temporal_tls_config.main, client_args(material, tmp_path, embed=True, env_path=str(tmp_path / "e.env")))
    assert bad.failed and bad.msg.startswith("client.env_path: PEM text does not survive env files")


def test_key_data_of_free_form_entries_stays_out_of_results(run_module, material, tmp_path):
    """host_overrides and remote_clusters entries are free-form dicts, which Ansible's no_log does not reach."""
    key = Path(material["frontend"]["private_key_path"]).read_text()
    cert = Path(material["frontend"]["path"]).read_text()
    args = full_args(material, tmp_path)
    args["frontend"]["host_overrides"] = {"acme.temporal.test": {"cert_data": cert, "key_data": key, "require_client_auth": False}}
    # This cluster presents its remote entry's certificate as a client: the internode one has clientAuth.
    remote_cert, remote_key = (Path(material["internode"][name]).read_text() for name in ("path", "private_key_path"))
    args["remote_clusters"] = {"standby": {"server": {"cert_data": remote_cert, "key_data": remote_key, "require_client_auth": True}}}
    for check_mode in (True, False):
        run = run_module(temporal_tls_config.main, args, check_mode=check_mode, diff=True)
        assert not run.failed, run.msg
        assert "PRIVATE KEY" not in json.dumps(run.result)
    # Inline PEM is checked as a file would be: a frontend certificate lacks the clientAuth a remote entry needs.
    args["remote_clusters"]["standby"]["server"].update(cert_data=cert, key_data=key)
    wrong = run_module(temporal_tls_config.main, args)
    assert wrong.failed and "remote_clusters['standby'].server.cert_data has extendedKeyUsage ['serverAuth']" in wrong.msg
    assert "PRIVATE KEY" not in json.dumps(wrong.result)
    broken = dict(args, refresh_interval="soon")
    run = run_module(temporal_tls_config.main, broken)
    assert run.failed and "PRIVATE KEY" not in json.dumps(run.result)


def test_toml_stays_private_while_another_profile_holds_a_key(run_module, material, tmp_path):
    run_module(temporal_tls_config.main, client_args(material, tmp_path, embed=True))
    added = run_module(temporal_tls_config.main, client_args(material, tmp_path, profile="by-path"))
    assert added.changed and set(tomllib.loads((tmp_path / "temporal.toml").read_text())["profile"]) == {"payments", "by-path"}
    assert stat.S_IMODE(os.stat(tmp_path / "temporal.toml").st_mode) == 0o600


@pytest.mark.parametrize("name", ["my profile", "a.b", "ünï", ""])
def test_profile_names_toml_cannot_hold_bare_are_refused(run_module, material, tmp_path, name):
    run = run_module(temporal_tls_config.main, client_args(material, tmp_path, profile=name))
    assert run.failed and run.msg.startswith("client.profile: ")
    assert not (tmp_path / "temporal.toml").exists()


def test_config_merge_keeps_the_rest_of_a_realistic_file(run_module, material, tmp_path):
    original = (REPO / "tests" / "fixtures" / "temporal-config.yaml").read_text()
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_text(original)
    run = run_module(temporal_tls_config.main, args)
    assert run.changed
    merged_text = Path(args["config_path"]).read_text()
    merged, before = yaml.safe_load(merged_text), yaml.safe_load(original)
    assert list(merged) == list(before) and list(merged["global"]) == list(before["global"])
    expected = copy.deepcopy(before)
    expected["global"]["tls"] = run["tls"]
    assert merged == expected
    kept = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert all(line in merged_text.splitlines() for line in kept), "comments were lost"


def _env_without_frontend_client(a, m, t):
    a.update(env_path=str(t / "tls.env"), relaxed_checks=["frontend_client_plaintext"])
    a["frontend"].pop("client")


WARNING_CASES = [
    ("CAs without client auth", lambda a, m, t: a["frontend"]["server"].update(require_client_auth=False),
     "frontend.server: client CAs are set but require_client_auth is false, so they are ignored"),
    ("SNI lower-cased", lambda a, m, t: a["frontend"].update(host_overrides={"ACME.temporal.test": pair(m, "frontend")}),
     "frontend.host_overrides['ACME.temporal.test']: the server compares SNI lower-cased; written as 'acme.temporal.test'"),
    ("template also sets", _env_without_frontend_client,
     "env_path: the template also sets frontend.client.root_ca_files to the internode CA"),
    ("remote client CAs", lambda a, m, t: a.update(remote_clusters=remote(m, client_ca_files=[m["root"]["path"]])),
     PEER + ".server: client CAs of a remote cluster entry are never used; this cluster only dials the remote"),
    ("remote certificate not presented", lambda a, m, t: a.update(remote_clusters=remote(m, require_client_auth=False)),
     PEER + ".server: the certificate is presented to the remote cluster only when require_client_auth is true"),
]


@pytest.mark.parametrize("case, mutate, warning", WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_warnings_are_reported_and_do_not_stop_the_run(run_module, material, tmp_path, case, mutate, warning):
    args = full_args(material, tmp_path)
    mutate(args, material, tmp_path)
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed and run.changed, run.msg
    assert warning in run["config_warnings"], run["config_warnings"]


def test_remote_cluster_client_auth_needs_no_client_cas(run_module, material, tmp_path):
    """requireClientAuth of a remote cluster entry means 'present this certificate'; no client_auth_without_ca trap."""
    run = run_module(temporal_tls_config.main, dict(full_args(material, tmp_path), remote_clusters=remote(material)))
    assert not run.failed, run.msg
    assert not any(PEER in w for w in run["config_warnings"]), run["config_warnings"]


def _no_server_block(a, m, t, option):
    a.clear()
    a[option] = str(t / option)


def _bad_file(a, t, name, text):
    (t / name).write_text(text)


OUTPUT_REFUSALS = [
    ("config_path without a server block", lambda a, m, t: _no_server_block(a, m, t, "config_path"),
     "config_path: config_path and env_path need at least one of internode, frontend, system_worker or remote_clusters"),
    ("env_path without a server block", lambda a, m, t: _no_server_block(a, m, t, "env_path"),
     "env_path: config_path and env_path need at least one of"),
    ("not a Temporal config", lambda a, m, t: _bad_file(a, t, "config.yaml", "- log\n- global\n"),
     "config_path: {config} is not a Temporal config: its top level (and its global key) must be a mapping"),
    ("global not a mapping", lambda a, m, t: _bad_file(a, t, "config.yaml", "global: [tls]\n"),
     "config_path: {config} is not a Temporal config"),
    ("invalid YAML", lambda a, m, t: _bad_file(a, t, "config.yaml", "global:\n  tls: [\n"),
     "config_path: {config} is not valid YAML: "),
    ("invalid TOML", lambda a, m, t: (a.update(client_args(m, t)), _bad_file(a, t, "temporal.toml", "[profile\n")),
     "client.toml_path: {toml} is not valid TOML: "),
    ("env value with a space", lambda a, m, t: (a.update(env_path=str(t / "tls.env")), a["internode"]["server"].update(cert_file="/etc/temporal/my cert.pem")),
     "env_path: the value of TEMPORAL_TLS_SERVER_CERT ('/etc/temporal/my cert.pem') holds whitespace, quotes or shell characters"),
    ("env value with a comment sign", lambda a, m, t: (a.update(env_path=str(t / "tls.env")), a["frontend"]["server"].update(key_file="/etc/tls/front#1.key")),
     "env_path: the value of TEMPORAL_TLS_FRONTEND_KEY ('/etc/tls/front#1.key') holds whitespace, quotes or shell characters"),
    ("client env value with a quote", lambda a, m, t: a.update(client_args(m, t, env_path=str(t / "client.env"), ca_file="/srv/it's-ca.pem")),
     "client.env_path: the value of TEMPORAL_TLS_SERVER_CA_CERT_PATH (\"/srv/it's-ca.pem\") holds whitespace, quotes or shell characters"),
    ("client cert_file without key_file", lambda a, m, t: a.update(client_args(m, t, key_file=None)),
     "client: cert_file and key_file go together: the CLI and SDKs refuse one without the other"),
    ("client key_file without cert_file", lambda a, m, t: a.update(client_args(m, t, cert_file=None)),
     "client: cert_file and key_file go together"),
]


@pytest.mark.parametrize("case, mutate, message", OUTPUT_REFUSALS, ids=[c[0] for c in OUTPUT_REFUSALS])
def test_outputs_that_cannot_be_written_are_refused(run_module, material, tmp_path, case, mutate, message):
    args = dict(full_args(material, tmp_path), check_files=False)
    mutate(args, material, tmp_path)
    outputs = [str(tmp_path / name) for name in ("config.yaml", "config_path", "env_path", "tls.env", "temporal.toml", "client.env")]
    before = snapshot(*outputs)
    run = run_module(temporal_tls_config.main, args)
    assert run.failed and message.format(config=tmp_path / "config.yaml", toml=tmp_path / "temporal.toml") in run.msg, run.msg
    assert snapshot(*outputs) == before


def golden_args(m, tmp_path):
    """Every block at once: system worker (dialling a host override by SNI), host overrides, remote clusters."""
    root = m["root"]["path"]
    args = full_args(m, tmp_path)
    args["frontend"]["host_overrides"] = {
        "ACME.temporal.test": dict(pair(m, "frontend"), client_ca_files=[root], require_client_auth=True),
    }
    args["system_worker"] = worker(m, server_name="acme.temporal.test")
    args["remote_clusters"] = dict(remote(m), **{"*.example.net": dict(client=dict(force_tls=True))})
    return args


def test_golden_output_with_every_block(run_module, material, tmp_path):
    m, root = material, material["root"]["path"]
    args = golden_args(m, tmp_path)
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed, run.msg
    tls = yaml.safe_load(Path(args["config_path"]).read_text())["global"]["tls"]
    server = dict(certFile=m["frontend"]["chain_path"], keyFile=m["frontend"]["private_key_path"], clientCaFiles=[root], requireClientAuth=True)
    expected = {
        "internode": {
            "server": dict(certFile=m["internode"]["chain_path"], keyFile=m["internode"]["private_key_path"], clientCaFiles=[root], requireClientAuth=True),
            "client": dict(serverName="internode.temporal.test", rootCaFiles=[root]),
        },
        "frontend": {
            "server": server,
            "client": dict(serverName="frontend.temporal.test", rootCaFiles=[root]),
            "hostOverrides": {"acme.temporal.test": server},
        },
        "systemWorker": dict(certFile=m["worker"]["chain_path"], keyFile=m["worker"]["private_key_path"],
                             client=dict(serverName="acme.temporal.test", rootCaFiles=[root])),
        "remoteClusters": {
            "peer.example.com": {
                "server": dict(certFile=m["worker"]["chain_path"], keyFile=m["worker"]["private_key_path"], requireClientAuth=True),
                "client": dict(serverName="frontend.peer.example.com", rootCaFiles=[root]),
            },
            "*.example.net": {"client": {"forceTLS": True}},
        },
        "expirationChecks": {"warningWindow": "720h", "errorWindow": "168h", "checkInterval": "1h"},
        "refreshInterval": "1m",
    }
    assert tls == expected and run["tls"] == expected
    assert list(tls) == list(expected) and list(tls["frontend"]) == ["server", "client", "hostOverrides"]
    assert list(tls["systemWorker"]) == ["certFile", "keyFile", "client"]
    assert list(tls["remoteClusters"]["peer.example.com"]) == ["server", "client"]
    assert list(tls["frontend"]["hostOverrides"]["acme.temporal.test"]) == ["certFile", "keyFile", "clientCaFiles", "requireClientAuth"]
    assert "frontend.host_overrides['ACME.temporal.test']: the server compares SNI lower-cased; written as 'acme.temporal.test'" in run["config_warnings"]
    assert not run_module(temporal_tls_config.main, args).changed


def _secrets(m):
    """The base64 opening of every key and certificate file (the form the server's *Data fields take): a diff
    holding any of them leaks PEM."""
    import base64

    out = []
    for paths in m.values():
        for option in ("private_key_path", "path", "chain_path"):
            if option in paths:
                data = Path(paths[option]).read_bytes()
                out.append(base64.b64encode(data).decode("ascii")[:40])
    return out


@pytest.mark.parametrize("embed", [False, True])
def test_check_mode_writes_nothing_and_diffs_show_facts(run_module, material, tmp_path, embed):
    m = material
    client = client_args(m, tmp_path, embed=embed, **({} if embed else dict(env_path=str(tmp_path / "client.env"))))["client"]
    args = dict(full_args(m, tmp_path), env_path=str(tmp_path / "tls.env"), embed=embed, client=client)
    outputs = dict(config_path=args["config_path"], env_path=args["env_path"], dynamic_config_path=args["dynamic_config_path"])
    outputs["client.toml_path"] = client["toml_path"]
    if not embed:
        outputs["client.env_path"] = client["env_path"]

    run = run_module(temporal_tls_config.main, args, check_mode=True, diff=True)
    assert not run.failed and run.changed, run.msg
    assert sorted(run["written"]) == sorted(outputs)
    assert not any(os.path.exists(path) for path in outputs.values()), "check mode wrote a file"
    diffs = {d["after_header"]: d for d in run["diff"]}
    assert set(diffs) == set(outputs.values())
    text = json.dumps(run["diff"])
    assert "-----BEGIN" not in text and "PRIVATE KEY" not in text
    assert not [s for s in _secrets(m) if s in text]
    after = {option: diffs[path]["after"] for option, path in outputs.items()}
    assert after["dynamic_config_path"] == "system.enableRingpopTLS:\n- value: true\n"
    if embed:
        assert "keyData: <hidden>" in after["config_path"] and "certData: <2 certificates, sha256:" in after["config_path"]
        assert "- <1 certificate, sha256:" in after["config_path"]
        assert "TEMPORAL_TLS_SERVER_KEY_DATA=<hidden>" in after["env_path"]
        assert "TEMPORAL_TLS_SERVER_CERT_DATA=<2 certificates, sha256:" in after["env_path"]
        assert 'client_key_data = "<hidden>"' in after["client.toml_path"] and 'server_ca_cert_data = "<1 certificate, sha256:' in after["client.toml_path"]
    else:
        assert "certFile: " + m["internode"]["chain_path"] in after["config_path"]
        assert "TEMPORAL_TLS_SERVER_CERT=" + m["internode"]["chain_path"] in after["env_path"]
        assert 'client_key_path = "{0}"'.format(m["client"]["private_key_path"]) in after["client.toml_path"]
        assert "TEMPORAL_TLS_CLIENT_KEY_PATH=" + m["client"]["private_key_path"] in after["client.env_path"]

    written = run_module(temporal_tls_config.main, args)
    assert written.changed and sorted(written["written"]) == sorted(outputs)
    before = snapshot(*outputs.values())
    again = run_module(temporal_tls_config.main, args, check_mode=True, diff=True)
    assert not again.changed and again["written"] == [] and again["diff"] == [] and snapshot(*outputs.values()) == before


def _without_tls_block(text):
    """The config text with the global.tls block (a two-space 'tls:' line and everything indented under it) cut out."""
    lines = text.splitlines(keepends=True)
    start = lines.index("  tls:\n")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("   ") or lines[end].lstrip().startswith("#")):
        end += 1
    return "".join(lines[:start] + lines[end:])


def test_config_merge_changes_only_the_tls_block_byte_for_byte(run_module, material, tmp_path):
    original = (REPO / "tests" / "fixtures" / "temporal-config.yaml").read_bytes()
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_bytes(original)
    run = run_module(temporal_tls_config.main, args)
    assert run.changed and not any("could not be kept" in w for w in run["config_warnings"])
    merged = Path(args["config_path"]).read_bytes()
    assert _without_tls_block(merged.decode("utf-8")).encode("utf-8") == _without_tls_block(original.decode("utf-8")).encode("utf-8")
    assert yaml.safe_load(merged)["global"]["tls"] == run["tls"]


@pytest.mark.parametrize(
    "fixture",
    [
        "temporal-config-flow.yaml",
        "global:\n  pprof: {port: 7936}\n  tls: {refreshInterval: 0s}\n",
        "log: {level: info}\nglobal: {tls: {refreshInterval: 0s}}\n",
    ],
    ids=["flow-style fixture", "flow-style tls", "flow-style global holding only tls"],
)
def test_config_layout_that_cannot_be_kept_is_rewritten_whole(run_module, material, tmp_path, fixture):
    """A flow-style global (or tls) cannot be spliced: adding a second key would leave a duplicate, which Go's
    YAML refuses; the document is dumped whole instead, with a warning, and means the same."""
    text = (REPO / "tests" / "fixtures" / fixture).read_text() if fixture.endswith(".yaml") else fixture
    args = full_args(material, tmp_path)
    Path(args["config_path"]).write_text(text)
    run = run_module(temporal_tls_config.main, args)
    assert not run.failed and run.changed, run.msg
    assert "config_path: {0}'s layout (flow style or anchors) could not be kept; it was rewritten whole, without its comments".format(
        args["config_path"]) in run["config_warnings"]
    merged_text = Path(args["config_path"]).read_text()
    assert merged_text.count("tls:") == 1 and merged_text.count("global:") == 1
    merged, before = yaml.safe_load(merged_text), yaml.safe_load(text)
    expected = copy.deepcopy(before)
    expected["global"]["tls"] = run["tls"]
    assert merged == expected and list(merged) == list(before) and list(merged["global"]) == list(before["global"])
    assert not run_module(temporal_tls_config.main, args).changed
