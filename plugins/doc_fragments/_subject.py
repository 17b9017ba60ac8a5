# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

from __future__ import annotations


class ModuleDocFragment(object):
    # Keep in sync with SUBJECT in plugins/module_utils/door/options.py.
    DOCUMENTATION = r"""
options:
  common_name:
    description:
      - Subject common name (CN), at most 64 characters.
      - Every level of a chain must have its own distinguished name (Temporal Cloud compares them
        case-insensitively); the module refuses a subject equal to its issuer's.
    type: str
  organization:
    description:
      - Subject organization (O), at most 64 characters.
    type: str
  organizational_unit:
    description:
      - Subject organizational unit (OU), at most 64 characters.
    type: str
  country:
    description:
      - Subject country (C), a two-letter ISO 3166 code.
    type: str
  state_or_province:
    description:
      - Subject state or province (ST).
    type: str
  locality:
    description:
      - Subject locality (L).
    type: str
"""
