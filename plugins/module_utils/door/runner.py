# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one run of every module: check the libraries, lock the files, plan, carry the plan out unless in check
mode, set file attributes, report. Backends (subclasses of disk.plan.Backend) decide; only this file acts.
Private to this collection: not a public API."""

from __future__ import annotations

import os

from ansible_collections.mtls.temporal.plugins.module_utils.disk.attributes import check_file_attribute_options
from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import check_distinct_files, exclusive, remove_files, write_files
from ansible_collections.mtls.temporal.plugins.module_utils.door.dependencies import assert_required_cryptography_version
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.key_vault import require_azure_key_vault
from ansible_collections.mtls.temporal.plugins.module_utils.x509.vault import require_hvac

_LIBRARY_CHECKS = {"cryptography": assert_required_cryptography_version, "hvac": require_hvac, "azure": require_azure_key_vault}


def run(module, backend_class):
    """Run backend_class(module.params, module.check_mode) as the module and exit with its result."""
    module.no_log_values.update(backend_class.secrets(module.params))
    _check_libraries(module, backend_class)
    try:
        check_file_attribute_options(module.params)
        backend = backend_class(module.params, module.check_mode)
        check_distinct_files(backend.inputs, backend.outputs)
        with exclusive(backend.paths, module.check_mode) as completed:
            plan = backend.plan()
            backups, [made] = _carry_out(module, [plan])
    except PKIError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg="writing files failed: {0}".format(exc))
    if completed:
        plan.warnings.append(_completed_warning(completed))
    touched = made + _set_attributes(module, plan, completed)
    result = dict(plan.result)
    if backups:
        result["backup_files"] = backups
    backend.report(result, touched)
    _exit(module, plan, result, plan.changed or bool(completed) or bool(touched))


def run_batch(module, backend_class, entries):
    """Run one backend per (where, params) entry: every entry is checked, then every one planned (an error in any
    writes nothing, and planning may have Vault sign), then the files are written, each entry's in one transaction
    (see _transactions).
    The result lists each entry's result as backend.entry_result makes it."""
    _check_libraries(module, backend_class)
    backends = [(where, params, _entry(module, where, params, backend_class, params, module.check_mode)) for where, params in entries]
    if module.params.get("compact_result") and not module._diff:
        for _where, _params, backend in backends:
            backend.facts = False
    for where, params, backend in backends:
        _entry(module, where, params, check_file_attribute_options, params)
    paths = [path for _where, _params, backend in backends for path in backend.paths]
    try:
        check_file_attribute_options(module.params)
        # No entry may write what it or another reads or writes (the second would silently win).
        check_distinct_files(_batch_files(module, backends, "inputs"), _batch_files(module, backends, "outputs"))
        with exclusive(paths, module.check_mode) as completed:
            plans = [(params, backend, _entry(module, where, params, backend.plan)) for where, params, backend in backends]
            results, diffs, changed = _carry_out_batch(module, plans)
    except PKIError as exc:
        module.fail_json(msg=str(exc))
    if completed:
        changed = True
        module.warn(_completed_warning(completed))
    result = dict(certificates=results, written=[staged.path for _params, _backend, plan in plans for staged in plan.files])
    if module._diff:
        result["diff"] = diffs
    if module.params.get("compact_result"):
        _compact_batch(module, result)
    module.exit_json(changed=changed, **result)


def _batch_files(module, backends, kind):
    """The (option, path) pairs of every entry's backend.inputs or .outputs, as check_distinct_files takes them: an
    entry's own option named with the entry (certificates[3].path), one the batch sets once (ca_path) by itself, once."""
    pairs = {}
    for where, _params, backend in backends:
        for option, path in getattr(backend, kind):
            pairs.setdefault((option if option in module.params else where + "." + option, path), None)
    return list(pairs)


def _check_libraries(module, backend_class):
    for library in backend_class.needs:
        _LIBRARY_CHECKS[library](module)


def _entry(module, where, params, call, *args):
    """call(*args) for one entry of a batch; an error names the entry."""
    try:
        return call(*args)
    except PKIError as exc:
        module.fail_json(msg="{0} ({1}): {2}".format(where, params.get("path"), exc))


# The most entries one transaction of a batch writes: a run killed before its commit redoes at most these.
BATCH_TRANSACTION_ENTRIES = 500


def _carry_out_batch(module, plans):
    results, diffs, changed = [], [], False
    for group in _transactions(plans):
        for params, _backend, plan in group:
            if module.params.get("create_dirs"):
                plan.directories = [(directory, None) for directory in _file_directories(plan)]
        try:
            _backups, made = _carry_out(module, [plan for _params, _backend, plan in group])
        except (PKIError, OSError) as exc:
            where = group[0][0]["path"] if len(group) == 1 else "none of the {0} certificates from {1} on was written".format(
                len(group), group[0][0]["path"])
            module.fail_json(msg="{0}: {1}".format(where, exc), certificates=results)
        for (params, backend, plan), entry_made in zip(group, made):
            entry_changed = bool(entry_made + _set_attributes(module, plan, [])) or plan.changed
            changed |= entry_changed
            results.append(backend.entry_result(plan, entry_changed))
            if entry_changed and plan.diff is not None:
                diffs.append(dict(before_header=params["path"], after_header=params["path"], **plan.diff))
            for warning in plan.warnings:
                module.warn(warning)
    return results, diffs, changed


def _file_directories(plan):
    return {os.path.dirname(os.path.abspath(staged.path)) for staged in plan.files}


def _transactions(plans):
    """The entries of a batch in the groups that are each written as one transaction, in order. Consecutive entries
    that only write files, all in one directory, share one (up to BATCH_TRANSACTION_ENTRIES), as do those with nothing
    to write: each set stays whole, as the group is, and its journal and directory syncs are paid once rather than per
    certificate. A journal is found by the runs that touch its directory, hence one directory per group. An entry that
    removes files, has effects or writes to several directories is its own group."""
    group, directory = [], None
    for entry in plans:
        plan = entry[2]
        directories = _file_directories(plan)
        if plan.removals or plan.effects or len(directories) > 1:
            if group:
                yield group
            yield [entry]
            group, directory = [], None
            continue
        own = directories.pop() if directories else None
        if group and (len(group) == BATCH_TRANSACTION_ENTRIES or (None not in (own, directory) and own != directory)):
            yield group
            group, directory = [], None
        group.append(entry)
        directory = directory or own
    if group:
        yield group


# What compact_result keeps of each changed entry of a batch.
COMPACT_FACTS = ("path", "reason", "reason_detail")


def _compact_batch(module, result):
    result["certificates"] = [{key: entry.get(key) for key in COMPACT_FACTS} for entry in result["certificates"] if entry["changed"]]
    del result["written"]
    # AnsibleModule echoes every parameter unless the result brings its own invocation; secrets in it are still
    # masked, since the masking covers the whole result.
    result["invocation"] = dict(module_args=dict(module.params, certificates="{0} certificates".format(len(module.params["certificates"]))))


def _carry_out(module, plans):
    """Make the directories, write the files of plans as one transaction, remove files and run the effects, unless in
    check mode. Returns the backups made (by option for written files, by path for removed ones) and the directories
    each plan made."""
    made = [_make_directories(module, plan) for plan in plans]
    backups = {}
    if not module.check_mode:
        files = [staged for plan in plans for staged in plan.files]
        if files:
            backups = write_files(files, module.params.get("backup"))
        for plan in plans:
            if plan.removals:
                backups.update(remove_files(plan.removals, module.params.get("backup"))[1])
            for effect in plan.effects:
                effect()
    return backups, made


def _make_directories(module, plan):
    """Create each missing directory with its missing parents, each readable by its owner only until it is given
    its mode; one with a mode then gets that mode, owner and group, and is a change (listed first in the diff).
    Returns the directories that changed."""
    made, diffs = [], []
    for directory, mode in sorted(set(plan.directories), key=lambda item: item[0]):
        missing = []
        path = directory
        while not os.path.isdir(path):
            missing.insert(0, path)
            path = os.path.dirname(path)
        if mode is None:
            if missing and not module.check_mode:
                os.makedirs(directory, mode=0o700, exist_ok=True)
            continue
        if missing:
            diffs.append(dict(before_header=directory, after_header=directory, before="", after="directory, mode {0}\n".format(mode)))
            if module.check_mode:
                made.append(directory)
                continue
        for path in missing:
            try:
                os.mkdir(path, 0o700)
            except OSError as exc:
                raise PKIError("directory_mode", "cannot create {0}: {1}".format(path, exc))
        for path in missing[:-1] + [directory]:
            if _set_path_attributes(module, path, mode, bool(missing)) and path == directory:
                made.append(directory)
    if diffs:
        plan.diff = diffs + (plan.diff or [])
    return made


def _set_path_attributes(module, path, mode, changed):
    file_args = module.load_file_common_arguments(module.params, path=path)
    if mode is not None:
        file_args["mode"] = mode
    return module.set_fs_attributes_if_different(file_args, changed)


def _set_attributes(module, plan, completed):
    """Owner, group and mode on each of plan.attributes that exists; returns the paths that changed (content
    written, finished from an interrupted run, or attributes set)."""
    written = {os.path.abspath(staged.path) for staged in plan.files} | {os.path.abspath(path) for path in completed}
    touched = []
    for path, mode in plan.attributes:
        if not path:
            continue
        changed = os.path.abspath(path) in written  # in check mode, a file to be written may not exist yet
        if os.path.exists(path):
            changed = _set_path_attributes(module, path, mode, changed)
        if changed:
            touched.append(path)
    return touched


def _completed_warning(completed):
    return "finished writing {0}, which an interrupted earlier run had left half-replaced".format(", ".join(completed))


def _exit(module, plan, result, changed):
    if module._diff and plan.diff is not None:
        result["diff"] = plan.diff
    if plan.invocation is not None and module._verbosity < 3:
        # The controller holds each host's result until the task ends, and on a fleet the echo is most of it.
        result["invocation"] = {"module_args": plan.invocation}
    for warning in plan.warnings:
        module.warn(warning)
    module.exit_json(changed=changed, **result)
