# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libraries only some runs need (hvac, the Azure SDK), imported when first used. Each takes about a tenth of a
second to import, and every module loads the files that use them, so the runs that never talk to Vault or Key Vault
would pay for them on every task. Private to this collection: not a public API."""

from __future__ import annotations

import importlib
import traceback


class LazyImport:
    """The module name, imported the first time one of its attributes is read."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)


def import_error(name):
    """The traceback of importing the module name, or None when it imports."""
    try:
        importlib.import_module(name)
    except ImportError:
        return traceback.format_exc()
    return None
