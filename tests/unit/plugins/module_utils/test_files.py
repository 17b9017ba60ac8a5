from __future__ import annotations

import base64
import os
import stat

import pytest

from ansible_collections.mtls.temporal.plugins.module_utils.disk import files as _files
from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import (
    StagedFile,
    first_certificate_der,
    keeps_first_certificate,
    read_optional,
    remove_files,
    write_files,
)
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_secret_files_are_0600_before_the_first_byte(tmp_path, monkeypatch):
    seen = []
    real_write = os.write

    def spying_write(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(_files.os, "write", spying_write)
    write_files([StagedFile("private_key_path", str(tmp_path / "k.key"), b"KEY", True)])
    assert seen and set(seen) == {0o600}
    assert mode_of(tmp_path / "k.key") == 0o600


def test_public_files_follow_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_files([StagedFile("path", str(tmp_path / "c.pem"), b"CERT", False)])
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "c.pem") == 0o640


def test_failure_while_staging_changes_nothing(tmp_path, monkeypatch):
    cert, key = tmp_path / "c.pem", tmp_path / "k.key"
    cert.write_bytes(b"old cert")
    key.write_bytes(b"old key")
    # Fault points: 1 = half of k.key written, 2 = k.key staged, 3 = half of c.pem written.
    monkeypatch.setenv(_files.FAULT_ENV, "3:enospc")
    monkeypatch.setitem(_files._fault_state, "passed", 0)
    with pytest.raises(PKIError, match=r"^path: cannot write .*c\.pem: No space left on device"):
        write_files([StagedFile("private_key_path", str(key), b"new key", True), StagedFile("path", str(cert), b"new cert", False)])
    assert cert.read_bytes() == b"old cert" and key.read_bytes() == b"old key"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pem", "k.key"]


def test_backup_keeps_old_content_and_mode(tmp_path):
    key = tmp_path / "k.key"
    write_files([StagedFile("private_key_path", str(key), b"old", True)])
    backups = write_files([StagedFile("private_key_path", str(key), b"new", True)], backup=True)
    backup = backups["private_key_path"]
    assert open(backup, "rb").read() == b"old" and mode_of(backup) == 0o600
    assert key.read_bytes() == b"new"


@pytest.mark.parametrize("make, why", [("dir", "is a directory"), ("missing_parent", "does not exist")])
def test_unusable_targets_are_refused(tmp_path, make, why):
    target = tmp_path / "x.pem"
    if make == "dir":
        target.mkdir()
    else:
        target = tmp_path / "nope" / "x.pem"
    with pytest.raises(PKIError, match="^path: .*" + why):
        write_files([StagedFile("path", str(target), b"data", False)])


def test_read_optional(tmp_path):
    assert read_optional(str(tmp_path / "missing"), "path") is None
    with pytest.raises(PKIError, match="is a directory"):
        read_optional(str(tmp_path), "path")


def test_remove_files_with_backup(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_bytes(b"x")
    removed, backups = remove_files([str(cert), str(tmp_path / "absent")], backup=True)
    assert removed == [str(cert)] and not cert.exists()
    assert open(backups[str(cert)], "rb").read() == b"x"


def _pem(der, width=64):
    body = base64.b64encode(der)
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"


def test_first_certificate_is_compared_as_der_and_only_for_certificate_files():
    first, second = _pem(b"first certificate DER" * 4), _pem(b"second certificate DER" * 4)
    assert keeps_first_certificate(first + second, first)
    # Wrapped at another width, the PEM text differs but the certificate the server parses does not.
    assert keeps_first_certificate(first + second, _pem(b"first certificate DER" * 4, width=76))
    assert not keeps_first_certificate(first, second + first)
    assert not keeps_first_certificate(first, first) and not keeps_first_certificate(None, first)
    key = b"-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"
    assert not keeps_first_certificate(first + key, first + key.replace(b"MIGH", b"MIGI"))
    assert first_certificate_der(b"-----BEGIN X509 CRL-----\nMIGH\n-----END X509 CRL-----\n" + first) is None
    assert first_certificate_der(b"-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n") is None
    assert first_certificate_der(b"no PEM here") is None


def test_recover_removes_only_the_temp_files_of_its_paths_listing_each_directory_twice(tmp_path, monkeypatch):
    # benchmarks/batch.py: 10,000 identities in one directory made recover list it once per file, 20,000 times.
    paths = [str(tmp_path / name) for name in ("a.pem", "a.key", "b.pem")]
    strays = [".a.pem.k3j9x_.tmp", ".a.key.q8_2ab.tmp", ".b.pem.zz91ab.tmp", _files.JOURNAL_PREFIX + "x1" + _files.JOURNAL_SUFFIX + ".tmp"]
    # Another file's temp (a.pem.bak's), an unlisted path's, and a user's file that only looks like one.
    kept = [".a.pem.bak.k3j9x_.tmp", ".c.pem.k3j9x_.tmp", "a.pem.tmp", "a.pem"]
    for name in strays + kept:
        (tmp_path / name).write_text("x")
    listings = []
    real_listdir = os.listdir

    def counting_listdir(directory):
        listings.append(directory)
        return real_listdir(directory)

    monkeypatch.setattr(_files.os, "listdir", counting_listdir)
    assert _files.recover(paths) == []
    assert sorted(real_listdir(tmp_path)) == sorted(kept)
    assert listings == [str(tmp_path)] * 2
