# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module would do, as every backend returns it: the runner (door/runner.py) does it unless in check mode,
and reports it. Private to this collection: not a public API."""

from __future__ import annotations

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import StagedFile


class Plan:
    """Everything a backend decided, nothing done.

    files        StagedFile list, written as one transaction; a secret file is created 0600 and never shown
    removals     paths to remove
    directories  (path, mode) to create, with missing parents, before the files are written; with a mode, that
                 mode and the owner and group options are kept on it, as ansible.builtin.file would
    effects      callables that change something other than files (a Vault setting), run in order
    attributes   (path, mode) whose owner, group and mode are set after writing; mode None means the mode option
    result       what the module returns besides changed, diff and backup_files
    diff         the --diff view (parsed facts, never key material)
    warnings     said to the user
    invocation   the options the argument echo keeps below -vvv, or None to echo them all
    pending      check mode only: a change is certain but cannot be built yet (its input is still to be made)
    """

    def __init__(self):
        self.files = []
        self.removals = []
        self.directories = []
        self.effects = []
        self.attributes = []
        self.result = {}
        self.diff = None
        self.warnings = []
        self.invocation = None
        self.pending = False

    def write(self, option, path, data, secret=False):
        self.files.append(StagedFile(option, path, data, secret))

    @property
    def changed(self):
        return bool(self.files or self.removals or self.effects or self.pending)


class Backend:
    """What the runner needs of a module's backend, built as backend_class(params, check_mode)."""

    # Libraries the runner checks before building the backend: "cryptography", "hvac", "azure".
    needs = ("cryptography",)
    # The files the run reads and the files it writes, as (option, path) pairs (a path of None is unset): the runner
    # refuses an output that is also an input or another output, and locks the outputs' directories while it plans
    # and writes.
    inputs = ()
    outputs = ()

    @property
    def paths(self):
        return [path for _option, path in self.outputs]

    @staticmethod
    def secrets(params):
        """Values to mask in every result that no_log does not reach (those inside free-form dict options)."""
        return ()

    def plan(self):
        """A Plan; reads, never writes. Bad input raises PKIError, before anything is written."""
        raise NotImplementedError

    def report(self, result, touched):
        """Add to result what depends on the files the run touched (the directories that changed, then the
        files written or whose attributes changed)."""
