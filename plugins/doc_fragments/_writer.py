# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

from __future__ import annotations


class ModuleDocFragment(object):
    # What every module that writes files promises alike; check_mode and diff_mode differ, and stay with each module.
    DOCUMENTATION = r"""
attributes:
  safe_file_operations:
    support: full
  vault:
    support: none
  platform:
    platforms: posix
  idempotent:
    description:
      - When run twice in a row with the same inputs, the second run reports no change and writes nothing.
    support: full
"""
