# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_tls_files: read each file's src on the controller and hand the module its content.

The content goes to the module only, never into the task's arguments: every host's task result carries the
task's arguments back to the controller, so a fleet would otherwise hold each node's certificates and keys there
until the task is done on every host. The module never sees src."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        files = module_args.get("files")
        if isinstance(files, list):
            module_args["files"] = [self._with_content(index, entry) for index, entry in enumerate(files)]
        result.update(self._execute_module(module_name="mtls.temporal.temporal_tls_files", module_args=module_args, task_vars=task_vars))
        return result

    def _with_content(self, index, entry):
        if not isinstance(entry, dict) or entry.get("src") is None:
            return entry
        if entry.get("content") is not None:
            raise AnsibleActionFail("files[{0}]: src and content are mutually exclusive".format(index))
        entry = dict(entry)
        src = entry.pop("src")
        try:
            path = self._find_needle("files", src)
            with open(path, "rb") as handle:
                entry["content"] = to_text(handle.read(), errors="surrogate_or_strict")
        except (AnsibleError, OSError, UnicodeError) as exc:
            raise AnsibleActionFail("files[{0}]: cannot read src {1} on the controller: {2}".format(index, src, exc))
        return entry
