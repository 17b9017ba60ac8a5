# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

from __future__ import annotations


class ModuleDocFragment(object):
    # Keep in sync with ISSUE in plugins/module_utils/door/options.py.
    DOCUMENTATION = r"""
options:
  path:
    description:
      - Path of the certificate, one PEM certificate.
    type: path
    required: true
  renew_before:
    description:
      - Reissue when the certificate's remaining lifetime falls inside this window.
      - A duration (V(30d), V(720h), V(1y); units y, w, d, h, m, s) or a percentage of the
        certificate's lifetime (V(33%) renews after two thirds of it).
      - A duration must be shorter than O(validity).
    type: str
    default: 33%
  state:
    description:
      - V(present) issues or keeps the certificate; V(absent) removes every file the module manages.
    type: str
    default: present
    choices: [present, absent]
  force:
    description:
      - Reissue even when nothing requires it, and replace unreadable files.
    type: bool
    default: false
  backup:
    description:
      - Keep each replaced or removed file as a timestamped copy next to it (a hard link, so a key
        copy keeps its mode).
    type: bool
    default: false
  private_key_mode:
    description:
      - Mode of files holding a private key. New key files are created C(0600) and only then
        given this mode. O(mode) applies to the certificate files.
    type: str
    default: "0600"
notes:
  - Files are written atomically (a temporary file in the same directory, fsync, rename). All files of
    one run are prepared before the first one is replaced, so a failed run leaves the previous files as
    they were. O(unsafe_writes) is ignored.
  - Whether to reissue is decided from the parsed certificate (validity window, subject, SANs, key
    usages, key match, issuer), never from file timestamps. The return value RV(reason) says why.
  - No private key or passphrase appears in results, logs or diffs. Diffs show parsed facts.
  - Before anything is written, a run refuses an output that is also one of its inputs (the issuing CA's
    certificate or key, a CSR) or another of its outputs, through symlinks and hard links too, and checks that
    O(owner) and O(group) exist and that every mode option is a mode.
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    details:
      - New material is built in memory and discarded, so the facts of the would-be certificate are
        returned, with a serial number and fingerprints that a real run will not reproduce.
  diff_mode:
    support: full
    details:
      - The diff shows parsed certificate facts (subject, SANs, issuer, not_after, serial number,
        SHA-256 fingerprint), never PEM.
"""
