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
  - Made for the M(mtls.temporal.node_certs) role, which ships a node's files with it in one module run instead of
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
          - One of O(files[].src) and O(files[].content) is required.
        type: path
      content:
        description:
          - The file's content, as text. Never shown in results.
        type: str
      mode:
        description:
          - Mode of the file. Without it, V(0600) for O(files[].secret) files and O(mode) (default V(0644)) for the others.
        type: str
      secret:
        description: The file holds key material. It is created readable by its owner only and never shown in diffs.
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

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._files import StagedFile, exclusive, keeps_first_certificate, read_optional, write_files
from ansible_collections.mtls.temporal.plugins.module_utils._results import apply_file_attributes, short_invocation

HIDDEN = "<hidden>\n"


def _describe(data, secret):
    """What a diff shows of a file: never its content, which the results mask anyway (content is no_log)."""
    if data is None:
        return ""
    if secret:
        return HIDDEN
    return "{0} PEM block(s), {1} bytes, sha256 {2}\n".format(data.count(b"-----BEGIN "), len(data), hashlib.sha256(data).hexdigest())


def _plan(files):
    """StagedFile for each file whose content differs from what is there, the diff of each, and the paths of those
    whose first certificate stays (see keeps_first_certificate)."""
    staged, diffs, same_first = [], [], []
    seen = set()
    for index, entry in enumerate(files):
        option = "files[{0}]".format(index)
        path = entry["path"]
        if os.path.abspath(path) in seen:
            raise PKIError(option, "{0} is listed twice".format(path))
        seen.add(os.path.abspath(path))
        if entry["src"] is not None:
            raise PKIError(option, "src is read on the controller by the action plugin; this module takes content")
        if not entry["content"]:
            raise PKIError(option, "content of {0} is empty".format(path))
        data = entry["content"].encode("utf-8")
        current = read_optional(path, option)
        if current == data:
            continue
        staged.append(StagedFile(option, path, data, entry["secret"]))
        if not entry["secret"] and keeps_first_certificate(current, data):
            same_first.append(path)
        diffs.append(dict(before_header=path, after_header=path,
                          before=_describe(current, entry["secret"]), after=_describe(data, entry["secret"])))
    return staged, diffs, same_first


def _directories(module, files):
    """Create the files' missing directories, with their missing parents, and set the mode, owner and group of each
    directory and of each parent created; the directories that changed, and the diff of each one created."""
    changed, diffs = [], []
    for directory in sorted({os.path.dirname(os.path.abspath(entry["path"])) for entry in files}):
        missing = []
        path = directory
        while not os.path.isdir(path):
            missing.insert(0, path)
            path = os.path.dirname(path)
        if missing:
            diffs.append(dict(before_header=directory, after_header=directory, before="",
                              after="directory, mode {0}\n".format(module.params["directory_mode"])))
            if module.check_mode:
                changed.append(directory)
                continue
        for path in missing:
            try:
                os.mkdir(path, 0o700)
            except OSError as exc:
                raise PKIError("directory_mode", "cannot create {0}: {1}".format(path, exc))
        for path in missing[:-1] + [directory]:
            file_args = module.load_file_common_arguments(module.params, path=path)
            file_args["mode"] = module.params["directory_mode"]
            if module.set_fs_attributes_if_different(file_args, bool(missing)) and path == directory:
                changed.append(directory)
    return changed, diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                src=dict(type="path"),
                content=dict(type="str", no_log=True),
                mode=dict(type="str"),
                secret=dict(type="bool", default=False),
            ), mutually_exclusive=[("src", "content")], required_one_of=[("src", "content")]),
            backup=dict(type="bool", default=False),
            directory_mode=dict(type="str"),
            compact_result=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        add_file_common_args=True,
    )
    files = module.params["files"]
    backups = {}
    changed_files = []
    try:
        with exclusive([entry["path"] for entry in files], module.check_mode) as completed:
            staged, diffs, same_first = _plan(files)
            if module.params["directory_mode"]:
                changed_files, directory_diffs = _directories(module, files)
                diffs = directory_diffs + diffs
            if staged and not module.check_mode:
                backups = write_files(staged, module.params["backup"])
    except PKIError as exc:
        module.fail_json(msg=str(exc))

    written = [item.path for item in staged]
    for entry in files:
        path = entry["path"]
        changed = path in written or os.path.abspath(path) in completed
        mode = entry["mode"] or ("0600" if entry["secret"] else module.params["mode"] or "0644")
        if apply_file_attributes(module, [(path, mode)], changed):
            changed_files.append(path)
    result = dict(changed=bool(changed_files), changed_files=changed_files, unchanged_first_certificate=same_first)
    if not module.params["compact_result"]:
        result["written"] = written
    else:
        short_invocation(module, result, compact_result=True)
    if backups:
        # write_files keys backups by each StagedFile's option; report them by the replaced path.
        paths = {item.option: item.path for item in staged}
        result["backup_files"] = {paths[option]: backup for option, backup in backups.items()}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
