# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guarded import of cryptography. Private to this collection: not a public API."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

MINIMUM_CRYPTOGRAPHY_VERSION = "44.0.0"

try:
    import cryptography
    from cryptography import x509  # noqa: F401 pylint: disable=unused-import
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_VERSION = None
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_VERSION = cryptography.__version__
    CRYPTOGRAPHY_IMPORT_ERROR = None


def _version_tuple(version):
    parts = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def assert_required_cryptography_version(module):
    """Fail the module cleanly when cryptography is missing or too old."""
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(
            msg=missing_required_lib("cryptography >= {0}".format(MINIMUM_CRYPTOGRAPHY_VERSION)),
            exception=CRYPTOGRAPHY_IMPORT_ERROR,
        )
    if _version_tuple(CRYPTOGRAPHY_VERSION) < _version_tuple(MINIMUM_CRYPTOGRAPHY_VERSION):
        module.fail_json(
            msg="cryptography {0} is installed; mtls.temporal needs cryptography >= {1}".format(
                CRYPTOGRAPHY_VERSION, MINIMUM_CRYPTOGRAPHY_VERSION
            )
        )
