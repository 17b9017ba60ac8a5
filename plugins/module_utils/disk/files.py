# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing certificate and key files safely. Private to this collection: not a public API.

A set of files (key, certificate, chain, .pfx) is written as one transaction:
1. every file is staged to a temp file in its target's directory (created 0600 by mkstemp, so a key is
   never readable by others, not even for an instant), fsynced, with the old file's owner kept;
2. backups are linked, then a journal naming every (temp, target) pair is fsynced and renamed into place:
   that rename is the commit point;
3. each temp is renamed over its target, and the journal is removed.
A run that dies before the commit point leaves the old set (and stray temps, which the next run removes);
one that dies after it leaves a journal, and the next run that touches those directories finishes the
renames before it looks at the files. Runs on the same directories take turns through a directory lock."""

from __future__ import annotations

import base64
import binascii
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from contextlib import contextmanager

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

PUBLIC_FILE_MODE = 0o644
JOURNAL_PREFIX = ".mtls-temporal-"
JOURNAL_SUFFIX = ".journal"
TEMP_SUFFIX = ".tmp"
LOCK_TIMEOUT = 300

# Test hook for the fault suite: "N" kills this process with SIGKILL at the N-th fault point of its writes,
# "N:enospc" fails that point with ENOSPC instead. Unset in every real run.
FAULT_ENV = "_MTLS_TEMPORAL_FAULT_POINT"
_fault_state = {"passed": 0}

# One PEM block: its label, its base64 body. Here, with no cryptography, so that node-side code can read PEM too.
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
# In the BEGIN line of every private key PEM: PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY.
PRIVATE_KEY_MARKER = b"PRIVATE KEY-----"


def _fault_point():
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    _fault_state["passed"] += 1
    number, _sep, action = spec.partition(":")
    if int(number) != _fault_state["passed"]:
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    os.kill(os.getpid(), signal.SIGKILL)


def read_optional(path, option):
    """File bytes, or None when it does not exist. Anything else that stops the read is an error."""
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise PKIError(option, "{0} is a directory, not a file".format(path))
    except PermissionError:
        raise PKIError(option, "cannot read {0}: permission denied".format(path))
    except OSError as exc:
        raise PKIError(option, "cannot read {0}: {1}".format(path, exc.strerror))


def check_distinct_files(inputs, outputs):
    """Fail before anything is written when an output names the file of an input or of another output (the same
    path, through symlinks too, or a hard link of one inode): writing it would destroy what the other holds.
    inputs and outputs are (option, path) pairs; a path of None is unset."""
    seen = {}
    for option, path in inputs:
        if path:
            seen.setdefault(_file_identity(path), (option, "which this run reads: writing it would destroy that file"))
    for option, path in outputs:
        if not path:
            continue
        identity = _file_identity(path)
        if identity in seen:
            raise PKIError(option, "{0} is also {1}, {2}; give each option its own file".format(path, *seen[identity]))
        seen[identity] = (option, "and both would be written to that one file")


def _file_identity(path):
    try:
        status = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (status.st_dev, status.st_ino)


def read_required(path, option):
    data = read_optional(path, option)
    if data is None:
        raise PKIError(option, "{0} does not exist".format(path))
    return data


def first_certificate_der(data):
    """The DER of the first PEM block of a file that holds certificates and nothing else, or None for any other file
    (a key, junk, a body that is not base64). Base64 only, no cryptography: nodes that get files need no library."""
    if _PEM_CERTIFICATE not in data or PRIVATE_KEY_MARKER in data:
        return None
    blocks = PEM_BLOCK.findall(data)
    if not blocks or any(label != b"CERTIFICATE" for label, _body in blocks):
        return None
    try:
        return base64.b64decode(b"".join(blocks[0][1].split()), validate=True)
    except binascii.Error:
        return None


def keeps_first_certificate(old, new):
    """Whether new replaces old (both PEM certificates only) with the same first certificate. Temporal's hot reload
    compares only the first certificate of a CA file, so it does not notice such a change of a CA bundle."""
    if old is None or old == new:
        return False
    first = first_certificate_der(new)
    return first is not None and first == first_certificate_der(old)


def check_target(path, option):
    """Fail before anything is written when path cannot be replaced."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise PKIError(option, "directory {0} does not exist".format(directory))
    if os.path.isdir(path):
        raise PKIError(option, "{0} is a directory, not a file".format(path))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PKIError(option, "cannot write to directory {0}: permission denied".format(directory))


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _directory_of(path):
    return os.path.dirname(os.path.abspath(path))


class StagedFile:
    def __init__(self, option, path, data, secret):
        self.option = option
        self.path = path
        self.data = data
        self.secret = secret
        self.temp = None


def _temp_prefix(path):
    return "." + os.path.basename(path) + "."


def _keep_owner(fd, item):
    """Give the temp file the owner and group of the file it replaces, or refuse to replace it."""
    try:
        current = os.stat(item.path)
    except FileNotFoundError:
        return
    if (current.st_uid, current.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(fd, current.st_uid, current.st_gid)
    except PermissionError:
        raise PKIError(item.option, "{0} is owned by uid {1} gid {2}; this run (uid {3}) cannot replace it and keep that owner: "
                       "run it as that user or with become".format(item.path, current.st_uid, current.st_gid, os.geteuid()))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _stage(item, umask):
    fd, item.temp = tempfile.mkstemp(dir=_directory_of(item.path), prefix=_temp_prefix(item.path), suffix=TEMP_SUFFIX)
    try:
        if not item.secret:
            os.fchmod(fd, PUBLIC_FILE_MODE & ~umask)
        _keep_owner(fd, item)
        half = len(item.data) // 2
        _write_all(fd, item.data[:half])
        _fault_point()
        _write_all(fd, item.data[half:])
        os.fsync(fd)
    finally:
        os.close(fd)
    _fault_point()


def backup_path(path):
    return "{0}.{1}@{2}~".format(path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))


def make_backup(path):
    """Keep the current file under a new name. A hard link shares the inode, so a key keeps its mode."""
    target = backup_path(path)
    try:
        os.link(path, target)
    except OSError:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out)
        shutil.copystat(path, target)
    return target


def _write_journal(items):
    """The commit point: after this rename, the set is written even if this process dies."""
    directory = _directory_of(items[0].path)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=JOURNAL_PREFIX, suffix=JOURNAL_SUFFIX + TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump([[item.temp, os.path.abspath(item.path)] for item in items], handle)
            handle.flush()
            os.fsync(handle.fileno())
        journal = temp[:-len(TEMP_SUFFIX)]
        os.rename(temp, journal)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    _fsync_directory(directory)
    _fault_point()
    return journal


def _discard_temps(items):
    for item in items:
        if item.temp and os.path.exists(item.temp):
            os.unlink(item.temp)
        item.temp = None


def write_files(items, backup=False):
    """Write items as one transaction (see the module docstring). Returns backup paths by option."""
    umask = _current_umask()
    for item in items:
        check_target(item.path, item.option)
    current = None
    backups = {}
    try:
        for current in items:
            _stage(current, umask)
        current = None
        if backup:
            for item in items:
                if os.path.isfile(item.path):
                    backups[item.option] = make_backup(item.path)
        journal = _write_journal(items)
    except OSError as exc:
        _discard_temps(items)
        for path in backups.values():
            os.unlink(path)
        failed = current or items[0]
        raise PKIError(failed.option, "cannot write {0}: {1}".format(failed.path if current else _directory_of(failed.path), exc.strerror))
    except BaseException:
        _discard_temps(items)
        raise
    directories = set()
    for item in items:
        os.rename(item.temp, item.path)
        item.temp = None
        directories.add(_directory_of(item.path))
        _fault_point()
    for directory in directories:
        _fsync_directory(directory)
    os.unlink(journal)
    _fault_point()
    return backups


def _finish_journal(journal):
    """Complete the renames an interrupted transaction committed to; returns the targets it replaced."""
    try:
        with open(journal) as handle:
            pairs = json.load(handle)
    except (OSError, ValueError):
        pairs = []  # unreadable: nothing can be completed from it, and the renames are then all done or not begun
    finished, directories = [], set()
    for temp, target in pairs:
        if os.path.isfile(temp):
            os.rename(temp, target)
            finished.append(target)
            directories.add(os.path.dirname(target))
    for directory in directories:
        _fsync_directory(directory)
    os.unlink(journal)
    return finished


def recover(paths):
    """Under the lock: finish committed transactions in the directories of paths, then remove the temp files
    an uncommitted one left for these paths. Returns the targets that were completed. Each directory is listed
    twice however many of the paths it holds: a batch of thousands of files in one directory stays linear."""
    prefixes = {}
    for path in paths:
        if path and os.path.isdir(_directory_of(path)):
            prefixes.setdefault(_directory_of(path), set()).add(_temp_prefix(path))
    finished = []
    for directory in sorted(prefixes):
        for name in sorted(os.listdir(directory)):
            if name.startswith(JOURNAL_PREFIX) and name.endswith(JOURNAL_SUFFIX):
                finished.extend(_finish_journal(os.path.join(directory, name)))
    for directory, wanted in prefixes.items():
        for name in os.listdir(directory):
            if not name.endswith(TEMP_SUFFIX):
                continue
            # A temp file is <prefix><random part without a dot>.tmp, so its prefix ends at the last dot before .tmp.
            stray_temp = name[:-len(TEMP_SUFFIX)].rpartition(".")[0] + "." in wanted
            stray_journal = name.startswith(JOURNAL_PREFIX) and name.endswith(JOURNAL_SUFFIX + TEMP_SUFFIX)
            if stray_temp or stray_journal:
                os.unlink(os.path.join(directory, name))
    return finished


def _lock_directory(path):
    """The directory a lock for path is taken on: its own, or while that is missing, the nearest existing parent."""
    directory = _directory_of(path)
    while not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    return directory


@contextmanager
def exclusive(paths, check_mode=False):
    """Hold an exclusive lock on the directories of paths while a run plans and writes them, so two runs on
    the same files take turns. Yields the targets an interrupted earlier run left half-replaced and this one
    completed (none in check mode, which writes nothing)."""
    handles = []
    try:
        for directory in sorted({_lock_directory(path) for path in paths if path}):
            fd = os.open(directory, os.O_RDONLY)
            handles.append(fd)
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PKIError(None, "another run has held the lock on {0} for {1} s; nothing was written".format(directory, LOCK_TIMEOUT))
                    time.sleep(0.05)
                except OSError as exc:
                    if exc.errno in (errno.ENOLCK, errno.EBADF, errno.EINVAL, errno.EOPNOTSUPP):
                        break  # a filesystem without flock (some network mounts): runs there are not serialised
                    raise
        yield [] if check_mode else recover(paths)
    finally:
        for fd in handles:
            os.close(fd)


def remove_files(paths, backup=False):
    """Remove the files that exist; returns (removed paths, backups by path)."""
    removed, backups = [], {}
    for path in paths:
        if path and os.path.lexists(path):
            if stat.S_ISDIR(os.lstat(path).st_mode):
                raise PKIError(None, "{0} is a directory, not a file".format(path))
            if backup:
                backups[path] = make_backup(path)
            os.unlink(path)
            removed.append(path)
    return removed, backups
