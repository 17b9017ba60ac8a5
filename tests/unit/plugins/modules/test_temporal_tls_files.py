"""temporal_tls_files writes a host's files in one transaction and returns only which ones changed; with it,
temporal_leaf_batch's compact_result and temporal_tls_config's return_rendered keep fleet results small."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch, temporal_tls_config, temporal_tls_files
from conftest import snapshot

CERT = "-----BEGIN CERTIFICATE-----\nMIIBcertificatebody\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHsecretkeybodythatmustnotleak\n-----END PRIVATE KEY-----\n"
BUNDLE = CERT + CERT.replace("certificatebody", "secondcertificate")


def node_files(tmp_path, key=KEY, cert=CERT):
    return [
        dict(path=str(tmp_path / "internode.pem"), content=cert, mode="0644"),
        dict(path=str(tmp_path / "internode.key"), content=key, mode="0640", secret=True),
        dict(path=str(tmp_path / "internode-ca.pem"), content=BUNDLE),
    ]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_every_file_once_and_a_rerun_touches_nothing(run_module, tmp_path):
    files = node_files(tmp_path)
    paths = [f["path"] for f in files]
    predicted = run_module(temporal_tls_files.main, dict(files=files), check_mode=True)
    assert predicted.changed and predicted["changed_files"] == paths and not any(os.path.exists(p) for p in paths)

    first = run_module(temporal_tls_files.main, dict(files=files))
    assert not first.failed, first.msg
    assert first["changed_files"] == paths and first["written"] == paths
    assert [open(p).read() for p in paths] == [CERT, KEY, BUNDLE]
    assert [mode(p) for p in paths] == [0o644, 0o640, 0o644]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")], "temps or journals left behind"

    before = snapshot(*paths)
    again = run_module(temporal_tls_files.main, dict(files=files))
    assert not again.changed and again["changed_files"] == [] and again["written"] == []
    assert snapshot(*paths) == before
    assert not run_module(temporal_tls_files.main, dict(files=files), check_mode=True).changed


def test_only_the_changed_file_is_reported_and_rewritten(run_module, tmp_path):
    files = node_files(tmp_path)
    run_module(temporal_tls_files.main, dict(files=files))
    untouched = snapshot(files[0]["path"], files[2]["path"])
    renewed = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path, key=KEY.replace("secret", "newkey"))))
    assert renewed["changed_files"] == [files[1]["path"]] and renewed["written"] == [files[1]["path"]]
    assert snapshot(files[0]["path"], files[2]["path"]) == untouched
    assert mode(files[1]["path"]) == 0o640


def test_compact_result_leaves_written_out_and_still_names_what_changed(run_module, tmp_path):
    files = node_files(tmp_path)
    first = run_module(temporal_tls_files.main, dict(files=files, compact_result=True))
    assert not first.failed and sorted(first.result) == ["changed", "changed_files", "invocation", "unchanged_first_certificate"], first.result
    # Not the echo of every file entry, which the controller would receive from each host.
    assert first["invocation"] == {"module_args": {"compact_result": True}}
    assert first["changed_files"] == [f["path"] for f in files]
    renewed = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path, cert=CERT.replace("certificatebody", "renewedbody")),
                                                       compact_result=True))
    assert renewed["changed_files"] == [files[0]["path"]] and "written" not in renewed.result


def test_unchanged_first_certificate_names_bundles_whose_first_ca_stays(run_module, tmp_path, ca_factory):
    """Hot reload compares only a CA file's first certificate: a bundle that loses a CA behind it must be named."""
    first, second = (Path(ca_factory(name)["path"]).read_text() for name in ("First CA", "Second CA"))
    key = (tmp_path / "First CA.key").read_text()
    paths = {name: str(tmp_path / "node" / name) for name in ("shrinks.pem", "grows.pem", "same.pem", "combined.pem", "secret.pem")}
    os.mkdir(tmp_path / "node")

    def files(shrinks, grows, combined_key, secret):
        return [dict(path=paths["shrinks.pem"], content=shrinks), dict(path=paths["grows.pem"], content=grows),
                dict(path=paths["same.pem"], content=first + second),
                # Not marked secret, but it holds a key: never named, whatever its certificates do.
                dict(path=paths["combined.pem"], content=first + combined_key),
                dict(path=paths["secret.pem"], content=secret, secret=True)]

    before = files(first + second, first, key, first + second)
    created = run_module(temporal_tls_files.main, dict(files=before, compact_result=True))
    assert not created.failed, created.msg
    assert created["unchanged_first_certificate"] == [], "a file that did not exist has no first certificate to keep"

    other_key = KEY.replace("secretkeybody", "anotherkeybody")
    after = files(first, second + first, other_key, first)
    predicted = run_module(temporal_tls_files.main, dict(files=after, compact_result=True), check_mode=True)
    assert predicted["unchanged_first_certificate"] == [paths["shrinks.pem"]]
    assert Path(paths["shrinks.pem"]).read_text() == first + second, "check mode wrote"
    rewritten = run_module(temporal_tls_files.main, dict(files=after, compact_result=True))
    assert rewritten["changed_files"] == [paths[name] for name in ("shrinks.pem", "grows.pem", "combined.pem", "secret.pem")]
    assert rewritten["unchanged_first_certificate"] == [paths["shrinks.pem"]]
    assert "BEGIN" not in json.dumps(rewritten.result)
    again = run_module(temporal_tls_files.main, dict(files=after))
    assert again["changed_files"] == [] and again["unchanged_first_certificate"] == []


def test_directory_mode_creates_the_directory_and_keeps_its_mode(run_module, tmp_path):
    node = tmp_path / "node" / "tls"
    files = node_files(node)
    args = dict(files=files, directory_mode="0750", compact_result=True)
    predicted = run_module(temporal_tls_files.main, args, check_mode=True, diff=True)
    assert predicted.changed and predicted["changed_files"] == [str(node)] + [f["path"] for f in files]
    assert [d["after_header"] for d in predicted["diff"]] == [str(node)] + [f["path"] for f in files]
    assert predicted["diff"][0]["after"] == "directory, mode 0750\n"
    assert not (tmp_path / "node").exists()

    first = run_module(temporal_tls_files.main, args)
    assert not first.failed, first.msg
    assert first["changed_files"] == [str(node)] + [f["path"] for f in files] and mode(node) == 0o750
    assert mode(tmp_path / "node") == 0o750, "a parent it created has another mode than ansible.builtin.file would give it"
    assert [mode(f["path"]) for f in files] == [0o644, 0o640, 0o644]
    before = snapshot(*[f["path"] for f in files])
    assert not run_module(temporal_tls_files.main, args).changed and snapshot(*[f["path"] for f in files]) == before

    os.chmod(node, 0o755)
    drifted = run_module(temporal_tls_files.main, args)
    assert drifted["changed_files"] == [str(node)] and mode(node) == 0o750


def test_without_directory_mode_a_missing_directory_is_an_error(run_module, tmp_path):
    result = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path / "missing")))
    assert result.failed and not (tmp_path / "missing").exists(), result.result


def test_a_mode_change_is_a_change_without_a_write(run_module, tmp_path):
    files = node_files(tmp_path)
    run_module(temporal_tls_files.main, dict(files=files))
    os.chmod(files[2]["path"], 0o600)
    inode = os.stat(files[2]["path"]).st_ino
    fixed = run_module(temporal_tls_files.main, dict(files=files))
    assert fixed["changed_files"] == [files[2]["path"]] and fixed["written"] == []
    assert mode(files[2]["path"]) == 0o644 and os.stat(files[2]["path"]).st_ino == inode


def test_defaults_modes_keys_private_others_from_mode(run_module, tmp_path):
    files = [dict(path=str(tmp_path / "a.key"), content=KEY, secret=True), dict(path=str(tmp_path / "a.pem"), content=CERT)]
    run_module(temporal_tls_files.main, dict(files=files, mode="0640"))
    assert mode(files[0]["path"]) == 0o600 and mode(files[1]["path"]) == 0o640


def test_key_material_stays_out_of_the_result_and_the_diff(run_module, tmp_path):
    files = node_files(tmp_path)
    run = run_module(temporal_tls_files.main, dict(files=files), diff=True)
    text = json.dumps(run.result)
    assert "secretkeybody" not in text and "certificatebody" not in text
    by_path = {d["after_header"]: d for d in run["diff"]}
    assert by_path[files[1]["path"]]["after"] == "<hidden>\n"
    assert by_path[files[0]["path"]]["before"] == "" and "1 PEM block(s)" in by_path[files[0]["path"]]["after"]
    assert "2 PEM block(s)" in by_path[files[2]["path"]]["after"]
    changed = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path, key=KEY.replace("secret", "other"))), diff=True)
    assert changed["diff"] == [dict(before_header=files[1]["path"], after_header=files[1]["path"], before="<hidden>\n", after="<hidden>\n")]


def test_bad_input_fails_and_writes_nothing(run_module, tmp_path):
    files = node_files(tmp_path)
    files.append(dict(path=str(tmp_path / "missing" / "x.pem"), content=CERT))
    failed = run_module(temporal_tls_files.main, dict(files=files))
    assert failed.failed and "directory {0} does not exist".format(tmp_path / "missing") in failed.msg
    assert not any(os.path.exists(f["path"]) for f in files[:3])

    twice = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path) + [dict(path=str(tmp_path / "internode.pem"), content=CERT)]))
    assert twice.failed and "files[3]: {0} is also files[0], and both would be written".format(tmp_path / "internode.pem") in twice.msg
    empty = run_module(temporal_tls_files.main, dict(files=[dict(path=str(tmp_path / "e.pem"), content="")]))
    assert empty.failed and "content of" in empty.msg and not os.path.exists(tmp_path / "e.pem")


def test_backup_keeps_the_replaced_file(run_module, tmp_path):
    files = node_files(tmp_path)
    run_module(temporal_tls_files.main, dict(files=files))
    renewed = run_module(temporal_tls_files.main, dict(files=node_files(tmp_path, cert=BUNDLE), backup=True))
    backup = renewed["backup_files"][files[0]["path"]]
    assert list(renewed["backup_files"]) == [files[0]["path"]] and open(backup).read() == CERT


def test_batch_compact_result_returns_only_what_changed(run_module, tmp_path, ca_factory):
    root = ca_factory("Root", path_length=1)
    servers = ca_factory("Servers", parent=root, path_length=0)
    certificates = [dict(profile="internode", path=str(tmp_path / "n{0}.pem".format(i)), private_key_path=str(tmp_path / "n{0}.key".format(i)),
                         dns_names=["n{0}.temporal.test".format(i)]) for i in range(3)]
    args = dict(ca_path=servers["chain_path"], ca_private_key_path=servers["private_key_path"], certificates=certificates,
                ca_private_key_passphrase="hunter2-passphrase", compact_result=True)
    first = run_module(temporal_leaf_batch.main, args)
    assert not first.failed, first.msg
    assert [c["path"] for c in first["certificates"]] == [c["path"] for c in certificates] and "written" not in first.result
    assert all(set(c) == {"path", "reason", "reason_detail"} and c["reason"] == "created" for c in first["certificates"])
    assert first["invocation"]["module_args"]["certificates"] == "3 certificates"
    assert "hunter2-passphrase" not in json.dumps(first.result)

    certificates[1]["dns_names"] = ["n1.temporal.test", "lb.temporal.test"]
    second = run_module(temporal_leaf_batch.main, args, diff=True)
    assert second.changed and [c["path"] for c in second["certificates"]] == [certificates[1]["path"]]
    # Without --diff a compact batch computes no facts; with it, the diff still shows them.
    [diff] = second["diff"]
    assert diff["before"]["dns_names"] == ["n1.temporal.test"] and diff["after"]["dns_names"] == ["n1.temporal.test", "lb.temporal.test"]
    assert diff["before"]["fingerprint_sha256"] != diff["after"]["fingerprint_sha256"]
    third = run_module(temporal_leaf_batch.main, args)
    assert not third.changed and third["certificates"] == []

    full = run_module(temporal_leaf_batch.main, dict(args, compact_result=False))
    assert full["written"] == [] and len(full["certificates"]) == 3 and full["invocation"]["module_args"]["certificates"][0]["path"] == certificates[0]["path"]
    assert full["certificates"][0]["fingerprint_sha256"] and full["certificates"][0]["subject"]


def test_tls_config_return_rendered_false_leaves_the_blocks_out(run_module, tmp_path, ca_factory, leaf_factory):
    root = ca_factory("Root", path_length=1)
    servers = ca_factory("Servers", parent=root, path_length=0)
    leaf = leaf_factory("internode", "internode", servers, dns_names=["internode.temporal.test"])
    args = dict(
        config_path=str(tmp_path / "config.yaml"),
        dynamic_config_path=str(tmp_path / "dynamicconfig.yaml"),
        internode=dict(server=dict(cert_file=leaf["chain_path"], key_file=leaf["private_key_path"], client_ca_files=[root["path"]], require_client_auth=True),
                       client=dict(server_name="internode.temporal.test", root_ca_files=[root["path"]])),
        return_rendered=False,
    )
    first = run_module(temporal_tls_config.main, args)
    assert not first.failed, first.msg
    assert first.changed and first["restart_required"] and "tls" not in first.result
    assert first["invocation"] == {"module_args": {"return_rendered": False}}
    assert "internode" in open(args["config_path"]).read()
    again = run_module(temporal_tls_config.main, dict(args, return_rendered=True))
    assert not again.changed and again["tls"]["internode"]["server"]["requireClientAuth"] is True
    assert again["invocation"]["module_args"]["internode"]["client"]["server_name"] == "internode.temporal.test"


def test_src_is_for_the_action_plugin_only(run_module, tmp_path):
    (tmp_path / "staged.pem").write_text(CERT)
    direct = run_module(temporal_tls_files.main, dict(files=[dict(path=str(tmp_path / "out.pem"), src=str(tmp_path / "staged.pem"))]))
    assert direct.failed and "src and bundle_srcs are read on the controller by the action plugin" in direct.msg and not os.path.exists(tmp_path / "out.pem")
    both = run_module(temporal_tls_files.main, dict(files=[dict(path=str(tmp_path / "out.pem"), src=str(tmp_path / "staged.pem"), content=CERT)]))
    assert both.failed and "mutually exclusive" in both.msg
    neither = run_module(temporal_tls_files.main, dict(files=[dict(path=str(tmp_path / "out.pem"))]))
    assert neither.failed and "one of the following is required" in neither.msg
