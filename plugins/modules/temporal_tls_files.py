#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_tls_files
short_description: Write a host's certificate, key and CA bundle files in one transaction
version_added: 0.1.0
description:
  - Writes the given files (PEM text) where the module runs, as one transaction, and reports which of them
    changed. Files whose content is already the same are not touched.
  - The files are written as the collection's other modules write theirs. Each one is staged to a temp file next
    to its target (a key is mode C(0600) from the start) and fsynced, then all are renamed into place after a
    journal is committed, so a run that dies leaves either the old set or the new one, and the next run finishes
    an interrupted one. Runs on the same directories take turns.
  - Made for the P(mtls.temporal.node_certs#role) role, which ships a node's files with it in one module run instead of
    one copy per file, and only keeps the list of changed files.
author:
  - mtls.temporal developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - mtls.temporal._writer
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Diffs name each changed file with its size and SHA-256 (content is never shown); for O(files[].secret) files
        only C(<hidden>).
options:
  files:
    description:
      - The files to write. Their directories must exist, unless O(directory_mode) is set.
      - The file attribute options (O(owner), O(group) and so on) apply to every file; O(files[].mode) sets a file's mode.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Where to write the file.
        type: path
        required: true
      src:
        description:
          - A file on the controller to write, read by the action plugin there (a relative path is looked up like
            M(ansible.builtin.copy) looks up its C(src)). Its content goes to the module, not into the task's
            arguments, so results do not carry it back to the controller.
          - In check mode, a O(files[].src) that does not exist yet (an earlier task would create it) is reported as to
            be written, with a warning.
          - One of O(files[].src), O(files[].bundle_srcs) and O(files[].content) is required.
        type: path
      bundle_srcs:
        description:
          - Files on the controller whose certificates make the file, a CA bundle, read by the action plugin there like
            O(files[].src). The certificates are ordered by C(notBefore), the newest first (those that start at the same
            time keep the order given), since Temporal's hot reload notices only a CA file's first certificate.
        type: list
        elements: path
        version_added: 0.1.0
      content:
        description:
          - The file's content, as text. Never shown in results.
        type: str
      mode:
        description:
          - Mode of the file. Without it, V(0600) for O(files[].secret) files and O(mode) (default V(0644)) for the others.
          - A mode that lets every user read a secret file is refused.
        type: str
      secret:
        description:
          - The file holds key material. It is created readable by its owner only and never shown in diffs.
          - A file whose content holds a PEM private key is secret whatever this says.
        type: bool
        default: false
  backup:
    description: Keep each replaced file as a timestamped copy next to it.
    type: bool
    default: false
  directory_mode:
    description:
      - Create each file's directory when it is missing, and keep this mode and O(owner) and O(group) on it, as
        M(ansible.builtin.file) with O(ansible.builtin.file#module:state=directory) would; a directory created or
        changed is listed in RV(changed_files).
      - Missing parent directories are created too and given the same mode, owner and group. Each directory is made
        readable by its owner only and then given this mode, so it is never wider than asked.
      - Without it, the directories must exist and are left as they are.
    type: str
    version_added: 0.1.0
  compact_result:
    description:
      - Leave RV(written) out of the result, which then holds RV(changed_files) and RV(unchanged_first_certificate)
        alone (and RV(backup_files)).
        Below C(-vvv) it also leaves out the echo of the module's arguments (C(invocation)).
      - For fleets, where every host's registered result stays on the controller until the play ends.
    type: bool
    default: false
notes:
  - Reports a file as changed when its content was written or its mode, owner or group was changed.
  - Runs as an action plugin that reads O(files[].src) on the controller, then the module where the files go.
  - Before anything is written, the run refuses a path listed twice (through symlinks and hard links too), an
    O(owner) or O(group) that does not exist on the host, and a mode that is not one.
seealso:
  - module: ansible.builtin.copy
  - module: mtls.temporal.temporal_leaf_batch
"""

EXAMPLES = r"""
---
- name: Ship a node's certificate, key and CA bundle in one transaction
  mtls.temporal.temporal_tls_files:
    owner: temporal
    group: temporal
    files:
      - path: /etc/temporal/tls/internode.pem
        src: /srv/pki/nodes/node1/internode-chain.pem
      - path: /etc/temporal/tls/internode.key
        src: /srv/pki/nodes/node1/internode.key
        secret: true
      - path: /etc/temporal/tls/internode-ca.pem
        content: "{{ internode_ca_bundle }}"
  register: node_files

- name: Show what changed
  ansible.builtin.debug:
    var: node_files.changed_files
"""

RETURN = r"""
changed_files:
  description:
    - The files whose content was (or in check mode would be) written, or whose mode, owner or group changed.
    - With O(directory_mode), also the directories created or changed, before the files.
  returned: always
  type: list
  elements: str
  sample: [/etc/temporal/tls/internode.pem]
written:
  description: The files whose content was (or in check mode would be) written.
  returned: unless O(compact_result=true)
  type: list
  elements: str
  sample: [/etc/temporal/tls/internode.pem]
unchanged_first_certificate:
  description:
    - The files whose content was (or in check mode would be) written, whose old and new content both hold PEM
      certificates and nothing else, and whose first certificate (its DER) is the same in both; for example a CA
      bundle that lost a CA after its first one.
    - Temporal's hot reload compares only the first certificate of a CA file, so it misses such a change of a CA
      bundle; pass these to M(mtls.temporal.temporal_tls_config)'s
      O(mtls.temporal.temporal_tls_config#module:unchanged_first_certificate) to have it ask for a restart.
    - Never a O(files[].secret) file, nor one with a private key in it.
  returned: always
  type: list
  elements: str
  sample: [/etc/temporal/tls/frontend-clients-ca.pem]
backup_files:
  description: Backups made, by path of the replaced file.
  returned: when O(backup=true) and a file was replaced
  type: dict
  sample: {/etc/temporal/tls/internode.pem: /etc/temporal/tls/internode.pem.1234.2026-11-24@06:00:00~}
"""

from ansible_collections.mtls.temporal.plugins.module_utils.disk.node_files import TLSFilesBackend
from ansible_collections.mtls.temporal.plugins.module_utils.door.options import Options
from ansible_collections.mtls.temporal.plugins.module_utils.door.runner import run


OPTIONS = Options(dict(
    files=dict(type="list", elements="dict", required=True, options=dict(
        path=dict(type="path", required=True),
        src=dict(type="path"),
        bundle_srcs=dict(type="list", elements="path"),
        content=dict(type="str", no_log=True),
        mode=dict(type="str"),
        secret=dict(type="bool", default=False),
    ), mutually_exclusive=[("src", "bundle_srcs", "content")], required_one_of=[("src", "bundle_srcs", "content")]),
    backup=dict(type="bool", default=False),
    directory_mode=dict(type="str"),
    compact_result=dict(type="bool", default=False),
))


def main():
    run(OPTIONS.module(), TLSFilesBackend)


if __name__ == "__main__":
    main()
