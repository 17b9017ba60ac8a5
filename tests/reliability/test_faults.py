"""Faults the way production meets them: a module killed mid-write, a full disk, a directory in the way,
files it may not replace, two runs at once, corrupt material. After each, the files on disk are the old set
or the new one, never a mix, and nothing half-written stays behind.

The module runs as its own process (tests/reliability/module_driver.py), so SIGKILL hits a real module
process; the writer's fault hook picks the point it dies at."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import FAULT_ENV, JOURNAL_SUFFIX
from ansible_collections.mtls.temporal.plugins.modules import temporal_ca, temporal_leaf

from conftest import REPO, tool_env

DRIVER = Path(__file__).with_name("module_driver.py")
NOBODY = 65534
PFX_PASS = "fault-suite-pfx"


def drive(module, args, fault=None, user=None, cwd=None):
    """Run one module as a separate process; returns (returncode, result or None)."""
    env = dict(os.environ)
    env.pop(FAULT_ENV, None)
    if fault is not None:
        env[FAULT_ENV] = str(fault)
    command = [sys.executable, str(DRIVER), module, json.dumps(args)]
    if user is not None:
        command = ["setpriv", "--reuid={0}".format(user), "--regid={0}".format(user), "--clear-groups"] + command
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False, cwd=cwd)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    return proc.returncode, result


def listing(directory):
    return sorted(name for name in os.listdir(directory))


def set_bytes(args):
    return {option: Path(args[option]).read_bytes() for option in ("path", "private_key_path", "chain_path", "pkcs12_path")
            if args.get(option) and os.path.exists(args[option])}


def assert_consistent_set(args):
    """Key, cert, chain and .pfx on disk belong together."""
    cert = x509.load_pem_x509_certificate(Path(args["path"]).read_bytes())
    key = serialization.load_pem_private_key(Path(args["private_key_path"]).read_bytes(), None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, public) == cert.public_key().public_bytes(serialization.Encoding.DER, public)
    assert x509.load_pem_x509_certificates(Path(args["chain_path"]).read_bytes())[0] == cert
    pfx_key, pfx_cert, _extra = pkcs12.load_key_and_certificates(Path(args["pkcs12_path"]).read_bytes(), PFX_PASS.encode())
    assert pfx_cert == cert
    assert pfx_key.public_key().public_bytes(serialization.Encoding.DER, public) == cert.public_key().public_bytes(serialization.Encoding.DER, public)
    for option in ("private_key_path", "pkcs12_path"):
        assert stat.S_IMODE(os.stat(args[option]).st_mode) == 0o600, option


@pytest.fixture
def ca(tmp_path, run_module):
    args = dict(path=str(tmp_path / "ca.pem"), private_key_path=str(tmp_path / "ca.key"), common_name="Fault Suite CA", validity="30d")
    assert not run_module(temporal_ca.main, args).failed
    return args


def leaf_set(directory, ca, names=("node.fault.test",)):
    return dict(profile="internode", path=str(directory / "node.pem"), private_key_path=str(directory / "node.key"),
                chain_path=str(directory / "node-chain.pem"), pkcs12_path=str(directory / "node.pfx"), pkcs12_passphrase=PFX_PASS,
                ca_path=ca["path"], ca_private_key_path=ca["private_key_path"], dns_names=list(names), validity="10d")


def test_sigkill_at_every_write_point_leaves_old_or_new_never_a_mix(tmp_path, ca, run_module, tally):
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    old_args = leaf_set(pristine, ca)
    assert not run_module(temporal_leaf.main, old_args).failed
    old = set_bytes(old_args)
    point, killed_at = 0, []
    while True:
        point += 1
        assert point < 60, "the write never finished: the fault points do not end"
        work = tmp_path / "run{0}".format(point)
        shutil.copytree(pristine, work)
        new_args = leaf_set(work, ca, names=("node.fault.test", "added.fault.test"))  # a SAN change: a new key and a new set
        rc, _result = drive("temporal_leaf", new_args, fault=point)
        if rc == 0:
            break  # past the last fault point: the write completed
        assert rc == -9, "point {0}: the module did not die by SIGKILL (rc {1})".format(point, rc)
        killed_at.append(point)
        tally("faults")
        names = listing(work)
        temps = [name for name in names if name.endswith(".tmp")]
        for name in temps:
            if name.startswith((".node.key.", ".node.pfx.")):
                assert stat.S_IMODE(os.stat(work / name).st_mode) == 0o600, "point {0}: {1} is readable by others".format(point, name)
        if not any(name.endswith(JOURNAL_SUFFIX) for name in names) and set_bytes(new_args) != old:
            # No journal: before the commit point every target holds the old set; after the last rename, the new one.
            assert not temps, "point {0}: files changed before the commit point".format(point)
            assert_consistent_set(new_args)
        # Still to do: a reissue (old set) or the renames a journal names (temps left); after the last rename, nothing.
        unfinished = bool(temps) or set_bytes(new_args) == old
        first = run_module(temporal_leaf.main, new_args)
        assert not first.failed and first.changed is unfinished, (point, first.result)
        assert_consistent_set(new_args)
        assert listing(work) == ["node-chain.pem", "node.key", "node.pem", "node.pfx"], "point {0}: leftovers {1}".format(point, listing(work))
        second = run_module(temporal_leaf.main, new_args)
        assert not second.failed and second.changed is False, (point, second.result)
    # Half of each of the 4 files, each staged, the commit, 4 renames, the journal's removal.
    assert len(killed_at) == 14, killed_at


def batch_args(directory, ca, extra_name=None):
    entries = []
    for host in ("node1", "node2"):
        names = [host + ".fault.test"] + ([extra_name] if extra_name else [])
        entries.append(dict(profile="internode", path=str(directory / (host + ".pem")), private_key_path=str(directory / (host + ".key")),
                            dns_names=names, validity="10d"))
    return dict(certificates=entries, ca_path=ca["path"], ca_private_key_path=ca["private_key_path"])


def entry_consistent(entry):
    cert = x509.load_pem_x509_certificate(Path(entry["path"]).read_bytes())
    key = serialization.load_pem_private_key(Path(entry["private_key_path"]).read_bytes(), None)
    return key.public_key() == cert.public_key()


def test_sigkill_during_a_fleet_batch_leaves_each_host_whole(tmp_path, ca, run_module, tally):
    """temporal_leaf_batch (what the fleet roles run) writes the certificates of one directory as one transaction."""
    from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf_batch

    pristine = tmp_path / "pristine"
    pristine.mkdir()
    assert not run_module(temporal_leaf_batch.main, batch_args(pristine, ca)).failed
    old = {name: (pristine / name).read_bytes() for name in listing(pristine)}
    point = 0
    while True:
        point += 1
        assert point < 60, "the batch never finished"
        work = tmp_path / "run{0}".format(point)
        shutil.copytree(pristine, work)
        args = batch_args(work, ca, extra_name="added.fault.test")
        rc, _result = drive("temporal_leaf_batch", args, fault=point)
        if rc == 0:
            break
        assert rc == -9, (point, rc)
        tally("faults")
        for entry in args["certificates"]:
            journal = any(name.endswith(JOURNAL_SUFFIX) for name in listing(work))
            pair = [Path(entry[option]).read_bytes() for option in ("path", "private_key_path")]
            same_as_old = pair == [old[os.path.basename(entry[option])] for option in ("path", "private_key_path")]
            assert same_as_old or entry_consistent(entry) or journal, "point {0}: {1} is a mix".format(point, entry["path"])
        rerun = run_module(temporal_leaf_batch.main, args)
        assert not rerun.failed, rerun.msg
        assert all(entry_consistent(entry) for entry in args["certificates"])
        assert listing(work) == ["node1.key", "node1.pem", "node2.key", "node2.pem"], listing(work)
        assert not run_module(temporal_leaf_batch.main, args).changed
    # Half and all of each certificate's key and cert, the commit, their four renames, the journal's removal.
    assert point - 1 == 2 * 2 * 2 + 1 + 4 + 1


def test_a_failed_write_in_a_batch_writes_none_of_its_transaction(tmp_path, ca, tally):
    """The second certificate's key cannot be staged: its transaction (both certificates) is not written, and the
    message says so and names the file."""
    work = tmp_path / "batch"
    work.mkdir()
    args = batch_args(work, ca)
    # Fault points 1-4 stage the first certificate's key and cert, 5 and 6 the second's key.
    rc, result = drive("temporal_leaf_batch", args, fault="6:enospc")
    tally("faults")
    assert rc == 1, result
    assert result["msg"].startswith("none of the 2 certificates from {0} on was written: ".format(work / "node1.pem")), result["msg"]
    assert "cannot write {0}: No space left on device".format(work / "node2.key") in result["msg"]
    assert listing(work) == [] and result["certificates"] == []


def test_committed_set_is_finished_by_the_next_run_even_in_another_task(tmp_path, ca, run_module):
    """A kill after the commit point leaves a journal; the next run's result says it completed the set."""
    args = leaf_set(tmp_path, ca)
    rc, _result = drive("temporal_leaf", args, fault=10)  # 8 staging points, the commit (9), then the first rename (10)
    assert rc == -9
    assert any(name.endswith(JOURNAL_SUFFIX) for name in listing(tmp_path))
    rerun = run_module(temporal_leaf.main, args)
    assert not rerun.failed and rerun.changed and rerun["reason"] is None
    assert_consistent_set(args)
    assert not any(name.endswith((JOURNAL_SUFFIX, ".tmp")) for name in listing(tmp_path))


@pytest.fixture
def tiny_disk():
    """A 256 KiB tmpfs (root only); None where mounting is not allowed."""
    mount = tempfile.mkdtemp(prefix="mtls-fault-disk-")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", mount], capture_output=True, check=False)
    if proc.returncode != 0:
        os.rmdir(mount)
        yield None
        return
    try:
        yield Path(mount)
    finally:
        subprocess.run(["umount", mount], check=True)
        os.rmdir(mount)


def test_full_disk_keeps_the_old_set_and_leaves_no_temp(tmp_path, ca, run_module, tiny_disk, tally):
    target = tiny_disk if tiny_disk is not None else tmp_path / "disk"
    target.mkdir(exist_ok=True)
    old_args = leaf_set(target, ca)
    assert not run_module(temporal_leaf.main, old_args).failed
    old, names = set_bytes(old_args), listing(target)
    new_args = leaf_set(target, ca, names=("node.fault.test", "added.fault.test"))
    if tiny_disk is not None:
        free = os.statvfs(target).f_bavail * os.statvfs(target).f_frsize
        (target / "filler").write_bytes(b"\0" * (free - 1024))  # room for less than the new set
        names = listing(target)
        rc, result = drive("temporal_leaf", new_args)
    else:
        rc, result = drive("temporal_leaf", new_args, fault="5:enospc")  # no tmpfs here: the same error, injected
    tally("faults")
    assert rc == 1 and "No space left on device" in result["msg"], result
    assert str(target) in result["msg"]
    assert set_bytes(new_args) == old and listing(target) == names


def test_directory_in_place_of_the_certificate(tmp_path, ca, tally):
    args = leaf_set(tmp_path, ca)
    Path(args["path"]).mkdir()
    rc, result = drive("temporal_leaf", args)
    tally("faults")
    assert rc == 1 and result["msg"] == "path: {0} is a directory, not a file".format(args["path"])
    assert listing(tmp_path) == ["ca.key", "ca.pem", "node.pem"]


@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can reach (pytest's own tmp dirs are root's, mode 0700)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the module as another user")
    top = Path(tempfile.mkdtemp(prefix="mtls-fault-users-"))
    os.chmod(top, 0o755)
    try:
        yield top
    finally:
        shutil.rmtree(top)


def nobody_ca(top):
    ca_dir = top / "ca"
    ca_dir.mkdir()
    args = dict(path=str(ca_dir / "ca.pem"), private_key_path=str(ca_dir / "ca.key"), common_name="Other User CA", validity="30d")
    os.chown(ca_dir, NOBODY, NOBODY)
    rc, result = drive("temporal_ca", args, user=NOBODY, cwd=str(top))
    assert rc == 0, result
    return args


def test_directory_not_writable(shared_dir, tally):
    ca = nobody_ca(shared_dir)
    target = shared_dir / "root-owned"
    target.mkdir(mode=0o755)
    args = leaf_set(target, ca)
    rc, result = drive("temporal_leaf", args, user=NOBODY, cwd=str(shared_dir))
    tally("faults")
    assert rc == 1 and result["msg"].endswith("cannot write to directory {0}: permission denied".format(target)), result
    assert listing(target) == []


def test_file_owned_by_another_user_is_not_taken_over(shared_dir, tally):
    ca = nobody_ca(shared_dir)
    target = shared_dir / "mine"
    target.mkdir()
    os.chown(target, NOBODY, NOBODY)
    args = leaf_set(target, ca)
    rc, result = drive("temporal_leaf", args, user=NOBODY, cwd=str(shared_dir))
    assert rc == 0 and result["changed"], result
    os.chown(args["path"], 0, 0)  # the operator's cert, now root's: this user may not replace it as root's
    before = set_bytes(args)
    args["dns_names"].append("added.fault.test")
    rc, result = drive("temporal_leaf", args, user=NOBODY, cwd=str(shared_dir))
    tally("faults")
    assert rc == 1 and result["msg"].startswith("path: {0} is owned by uid 0 gid 0".format(args["path"])), result
    assert set_bytes(args) == before and not [name for name in listing(target) if name.startswith(".")]
    # Root may replace every file, and each stays its owner's: the cert root's, the rest the other user's.
    rc, result = drive("temporal_leaf", args)
    assert rc == 0 and result["changed"], result
    owners = {option: os.stat(args[option]).st_uid for option in ("path", "private_key_path", "chain_path", "pkcs12_path")}
    assert owners == dict(path=0, private_key_path=NOBODY, chain_path=NOBODY, pkcs12_path=NOBODY)


def module_processes(marker):
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/{0}/cmdline".format(pid), "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        # The module's own Python process, not the shell the connection wraps it in.
        if os.path.basename(argv[0]).startswith(b"python") and any(marker.encode() in arg for arg in argv[1:]):
            found.append(pid)
    return found


PLAYBOOK = """
- name: One leaf set
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Issue it
      mtls.temporal.temporal_leaf:
        profile: internode
        path: {d}/node.pem
        private_key_path: {d}/node.key
        chain_path: {d}/node-chain.pem
        pkcs12_path: {d}/node.pfx
        pkcs12_passphrase: {pfx}
        ca_path: {ca}
        ca_private_key_path: {ca_key}
        dns_names: [node.fault.test]
        validity: 10d
"""


@pytest.mark.slow
def test_two_playbooks_at_once_take_turns(tmp_path, ca, tally):
    target = tmp_path / "node"
    target.mkdir()
    playbook = tmp_path / "leaf.yml"
    playbook.write_text(PLAYBOOK.format(d=target, pfx=PFX_PASS, ca=ca["path"], ca_key=ca["private_key_path"]))
    env = tool_env()
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)]
    # Hold the directory's lock until both module processes are up, so they truly meet, then let them go.
    holder = os.open(target, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        runs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _run in range(2)]
        deadline = time.monotonic() + 120
        while len(module_processes("AnsiballZ_temporal_leaf")) < 2:
            assert time.monotonic() < deadline and all(run.poll() is None for run in runs), "the two runs never met"
            time.sleep(0.1)
        time.sleep(0.5)
        assert listing(target) == [], "a run wrote while another held the lock"
    finally:
        os.close(holder)
    outputs = [run.communicate(timeout=300) for run in runs]
    tally("faults")
    assert [run.returncode for run in runs] == [0, 0], outputs
    changed = [int(re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out).group(1)) for out, _err in outputs]
    # The second waited for the first and then found nothing to do.
    assert sorted(changed) == [0, 1], changed
    args = leaf_set(target, ca)
    assert_consistent_set(args)
    assert listing(target) == ["node-chain.pem", "node.key", "node.pem", "node.pfx"]


def _truncate(args):
    data = Path(args["path"]).read_bytes()
    Path(args["path"]).write_bytes(data[: len(data) // 2])


def _garbage_key(args):
    Path(args["private_key_path"]).write_bytes(b"not a key at all\n")


def _other_key(args):
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    Path(args["private_key_path"]).write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                 serialization.NoEncryption()))


@pytest.mark.parametrize("corrupt, target, message, force", [
    (_truncate, "path", "path: {path} holds no PEM certificate; set force to replace it", True),
    (_garbage_key, "private_key_path", "private_key_path: {private_key_path} is not a readable PEM private key", True),
    (_other_key, "private_key_path", None, False),  # a valid key that is not the cert's: reissued as key_mismatch
])
def test_corrupt_material_is_named_then_replaced_with_a_backup(tmp_path, ca, run_module, corrupt, target, message, force, tally):
    args = leaf_set(tmp_path, ca)
    assert not run_module(temporal_leaf.main, args).failed
    corrupt(args)
    damaged = Path(args[target]).read_bytes()
    tally("faults")
    if message is not None:
        refused = run_module(temporal_leaf.main, args)
        assert refused.failed and refused.msg.startswith(message.format(**args)), refused.msg
        assert Path(args[target]).read_bytes() == damaged
    fixed = run_module(temporal_leaf.main, dict(args, force=force, backup=True))
    assert not fixed.failed and fixed.changed, fixed.msg
    assert fixed["reason"] == ("forced" if force else "key_mismatch")
    assert Path(fixed["backup_files"][target]).read_bytes() == damaged
    assert_consistent_set(args)
    assert not run_module(temporal_leaf.main, args).changed


def test_ca_bundle_with_a_key_block_is_refused(tmp_path, ca, run_module, tally):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(ca["path"]).read_bytes() + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    args = dict(leaf_set(tmp_path, ca), ca_path=str(bundle))
    refused = run_module(temporal_leaf.main, args)
    tally("faults")
    assert refused.failed and refused.msg == "ca_path: {0}: PEM block 2 is a PRIVATE KEY, not a CERTIFICATE".format(bundle)
    assert not os.path.exists(args["path"]) and not os.path.exists(args["private_key_path"])
