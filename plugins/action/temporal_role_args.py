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
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import strategy_loader
from ansible.plugins.strategy.free import StrategyModule as FreeStrategy


def text_given_a_collection(options, values):
    """Where a str or path option (or such a list element) got a list or dict.

    ArgumentSpecValidator turns any value into its text for these types, so a list would reach the role as "[1]" and
    fail only later, after earlier tasks have already changed files."""
    text = (str, int, float, bool)

    def kind(value):
        return "dict" if isinstance(value, Mapping) else "list" if isinstance(value, (list, tuple, set)) else type(value).__name__

    errors = []
    for name, spec in options.items():
        value = values.get(name)
        if value is None:
            continue
        if spec.get("type", "str") in ("str", "path") and not isinstance(value, text):
            errors.append("{0} is of type {1}, not a string".format(name, kind(value)))
        elif spec.get("type") == "list" and spec.get("elements") in ("str", "path") and isinstance(value, list):
            errors.extend("{0}[{1}] is of type {2}, not a string".format(name, index, kind(element))
                          for index, element in enumerate(value) if not isinstance(element, text))
    return errors


def runs_once_per_host(strategy):
    """Whether the strategy runs a run_once task for every host, each when it gets there: free, and what is built on it
    (host_pinned, a free variant of a third-party strategy). One that cannot be loaded here is given the benefit of
    the doubt, since the play already runs under it."""
    strategy_class = strategy_loader.get(strategy, class_only=True)
    return strategy_class is not None and issubclass(strategy_class, FreeStrategy)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("role_path", "entry_point", "hosts"))

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
        strategy = self._task.get_play().strategy
        if self._task.args.get("hosts") is not None and runs_once_per_host(strategy):
            # Under such a strategy the role's run_once tasks (one batch for the play's hosts) would run once per host,
            # each time before the other hosts have described their part, and write the same files at the same time.
            raise AnsibleActionFail(
                "{0} handles all of the play's hosts in single run_once tasks, which the '{1}' strategy runs again for every "
                "host, each before the others are ready: run this play with the linear strategy (strategy: linear on the "
                "play, or leave ANSIBLE_STRATEGY unset)".format(role, strategy))

        # What ansible.builtin.validate_argument_spec validates: the spec's variables as this host sees them.
        errors = self._errors(options, task_vars)
        # The other hosts, run once for them all: what their hostvars set (inventory, facts, extra vars). Play, role
        # and task vars are set alike for every host, and were checked above.
        here = task_vars.get("inventory_hostname")
        for host in self._task.args.get("hosts") or []:
            if host != here:
                errors += ["{0}: {1}".format(host, error) for error in self._errors(options, task_vars["hostvars"][host])]
        if errors:
            result.update(failed=True, argument_errors=errors, msg="Validation of arguments failed:\n{0}".format("\n".join(errors)))
            return result
        result.update(changed=False, msg="The arg spec validation passed")
        return result

    def _errors(self, options, variables):
        provided = self._templar.template({name: variables[name] for name in options if name in variables})
        validation = ArgumentSpecValidator(options).validate(provided, validate_role_argument_spec=True)
        return text_given_a_collection(options, provided) + list(validation.error_messages)
