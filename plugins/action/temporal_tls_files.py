# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_tls_files: read each file's src (or bundle_srcs) on the controller and hand the module its content.

The content goes to the module only, never into the task's arguments: every host's task result carries the
task's arguments back to the controller, so a fleet would otherwise hold each node's certificates and keys there
until the task is done on every host. The module never sees src.

In check mode a source that does not exist yet (an earlier task, which check mode did not run, would create it) is
not an error: the file is reported as to be written, as the issuing modules report a certificate whose CA is still
to be made."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import ca_bundle_pem


class _SourceNotCreatedYet(Exception):
    pass


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        files = module_args.get("files")
        pending = []
        if isinstance(files, list):
            module_args["files"] = []
            for index, entry in enumerate(files):
                try:
                    module_args["files"].append(self._with_content(index, entry))
                except _SourceNotCreatedYet as exc:
                    pending.append((entry["path"], str(exc)))
        result.update(self._execute_module(module_name="mtls.temporal.temporal_tls_files", module_args=module_args, task_vars=task_vars))
        if pending and not result.get("failed"):
            self._predict(result, pending, module_args.get("compact_result"))
        return result

    def _with_content(self, index, entry):
        if not isinstance(entry, dict) or (entry.get("src") is None and entry.get("bundle_srcs") is None):
            return entry
        if sum(entry.get(option) is not None for option in ("src", "bundle_srcs", "content")) > 1:
            raise AnsibleActionFail("files[{0}]: src, bundle_srcs and content are mutually exclusive".format(index))
        entry = dict(entry)
        src, bundle_srcs = entry.pop("src", None), entry.pop("bundle_srcs", None)
        if src is not None:
            entry["content"] = to_text(self._read(index, src), errors="surrogate_or_strict")
            return entry
        if not isinstance(bundle_srcs, list) or not bundle_srcs:
            raise AnsibleActionFail("files[{0}]: bundle_srcs must be a non-empty list of files".format(index))
        members = [(source, self._read(index, source)) for source in bundle_srcs]
        try:
            entry["content"] = to_text(ca_bundle_pem(members, "files[{0}].bundle_srcs".format(index)))
        except PKIError as exc:
            raise AnsibleActionFail(str(exc))
        return entry

    def _read(self, index, src):
        try:
            path = self._find_needle("files", src)
            with open(path, "rb") as handle:
                return handle.read()
        except (AnsibleError, OSError, UnicodeError) as exc:
            if self._task.check_mode and isinstance(exc, (AnsibleError, FileNotFoundError)):
                raise _SourceNotCreatedYet("files[{0}]: {1} does not exist yet (an earlier task would create it); reported as to be "
                                           "written".format(index, src))
            raise AnsibleActionFail("files[{0}]: cannot read src {1} on the controller: {2}".format(index, to_text(src), exc))

    @staticmethod
    def _predict(result, pending, compact):
        result["changed"] = True
        result.setdefault("warnings", []).extend(message for _path, message in pending)
        result.setdefault("changed_files", []).extend(path for path, _message in pending)
        if not compact:
            result.setdefault("written", []).extend(path for path, _message in pending)
        if "diff" in result:
            result["diff"].extend(dict(before_header=path, after_header=path, before="", after="(a source to be created)\n")
                                  for path, _message in pending)
