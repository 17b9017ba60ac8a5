# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's file-writing modules do after writing: file attributes, and a short argument echo.
Private to this collection: not a public API."""

from __future__ import annotations

import os


def apply_file_attributes(module, modes, changed):
    """Owner, group and mode from the module's file options on each (path, mode) that exists.

    A mode of None means the module's own mode option; a key file passes its key mode instead."""
    for path, mode in modes:
        if not path or not os.path.exists(path):
            continue
        file_args = module.load_file_common_arguments(module.params, path=path)
        if mode is not None:
            file_args["mode"] = mode
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed


def short_invocation(module, result, **kept):
    """Below -vvv, echo only the options named in kept instead of every argument.

    The controller holds each host's result until the task ends, and on a fleet the echo is most of it."""
    if module._verbosity < 3:
        result["invocation"] = {"module_args": kept}
