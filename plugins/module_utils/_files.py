# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing certificate and key files safely. Private to this collection: not a public API.

Every write goes to a temp file in the target's directory (created 0600 by mkstemp, so a key is never
readable by others, not even for an instant), is fsynced, and is renamed over the target. A set of
files is staged completely before the first rename, so a failure while staging changes nothing."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time

from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError

PUBLIC_FILE_MODE = 0o644


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


def read_required(path, option):
    data = read_optional(path, option)
    if data is None:
        raise PKIError(option, "{0} does not exist".format(path))
    return data


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


class StagedFile:
    def __init__(self, option, path, data, secret):
        self.option = option
        self.path = path
        self.data = data
        self.secret = secret
        self.temp = None


def _stage(item, umask):
    directory = os.path.dirname(os.path.abspath(item.path))
    fd, item.temp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(item.path) + ".", suffix=".tmp")
    try:
        if not item.secret:
            os.fchmod(fd, PUBLIC_FILE_MODE & ~umask)
        view = memoryview(item.data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


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


def write_files(items, backup=False):
    """Stage every file, then rename each into place in the given order. Returns backup paths by option."""
    umask = _current_umask()
    for item in items:
        check_target(item.path, item.option)
    staged = []
    try:
        for item in items:
            _stage(item, umask)
            staged.append(item)
    except OSError as exc:
        for item in staged + [items[len(staged)]]:
            if item.temp and os.path.exists(item.temp):
                os.unlink(item.temp)
        raise PKIError(items[len(staged)].option, "cannot write {0}: {1}".format(items[len(staged)].path, exc.strerror))
    backups = {}
    directories = set()
    for item in items:
        if backup and os.path.isfile(item.path):
            backups[item.option] = make_backup(item.path)
        os.rename(item.temp, item.path)
        item.temp = None
        directories.add(os.path.dirname(os.path.abspath(item.path)))
    for directory in directories:
        _fsync_directory(directory)
    return backups


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
