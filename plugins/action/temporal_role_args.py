# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a role's variables against its meta/argument_specs.yml, reading the spec where the task runs.

ansible.builtin.validate_argument_spec (what ansible-core runs before a role's tasks) carries the spec in its
task arguments, and every host's task result brings those arguments back to the controller: with ansible-core
2.19's origin tags, about 100 KiB per host for node_certs, all held until the last host is done. This action
takes only the role's path, so each host's result stays a few hundred bytes; the checks are the same."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("role_path", "entry_point"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        role_path = self._task.args.get("role_path")
        entry_point = self._task.args.get("entry_point") or "main"
        if not role_path:
            raise AnsibleActionFail("role_path is required")
        spec_file = os.path.join(role_path, "meta", "argument_specs.yml")
        specs = (self._loader.load_from_file(spec_file) or {}).get("argument_specs") or {}
        if entry_point not in specs:
            raise AnsibleActionFail("{0} has no entry point {1}".format(spec_file, entry_point))
        options = specs[entry_point].get("options") or {}
        role = os.path.basename(os.path.normpath(role_path))
        result["validate_args_context"] = dict(type="role", name=role, argument_spec_name=entry_point, path=role_path)

        # What ansible.builtin.validate_argument_spec validates: the spec's variables as this host sees them.
        provided = self._templar.template({name: task_vars[name] for name in options if name in task_vars})
        validation = ArgumentSpecValidator(options).validate(provided, validate_role_argument_spec=True)
        if validation.error_messages:
            result.update(failed=True, argument_errors=validation.error_messages,
                          msg="Validation of arguments failed:\n{0}".format("\n".join(validation.error_messages)))
            return result
        result.update(changed=False, msg="The arg spec validation passed")
        return result
