# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What temporal_ca and temporal_leaf share as Ansible modules: options, the run, the result.
Private to this collection: not a public API."""

from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.mtls.temporal.plugins.module_utils._certs import certificate_facts
from ansible_collections.mtls.temporal.plugins.module_utils._cryptography_dep import assert_required_cryptography_version
from ansible_collections.mtls.temporal.plugins.module_utils._errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils._files import exclusive, remove_files, write_files
from ansible_collections.mtls.temporal.plugins.module_utils._issuance import DIFF_FACTS
from ansible_collections.mtls.temporal.plugins.module_utils._keys import KEY_TYPES, PRIVATE_KEY_FORMATS
from ansible_collections.mtls.temporal.plugins.module_utils._profiles import LEAF_PROFILES
from ansible_collections.mtls.temporal.plugins.module_utils._results import apply_file_attributes
from ansible_collections.mtls.temporal.plugins.module_utils._vault import VAULT_ARGS

# Keep in sync with plugins/doc_fragments/_subject.py.
SUBJECT_ARGS = dict(
    common_name=dict(type="str"),
    organization=dict(type="str"),
    organizational_unit=dict(type="str"),
    country=dict(type="str"),
    state_or_province=dict(type="str"),
    locality=dict(type="str"),
)

# Keep in sync with plugins/doc_fragments/_issue.py.
ISSUE_ARGS = dict(
    path=dict(type="path", required=True),
    renew_before=dict(type="str", default="33%"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    force=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    # A file mode, not a secret.
    private_key_mode=dict(type="str", default="0600", no_log=False),
)


def issue_argument_spec(key_type_default, validity_default, reuse_key_default, **module_args):
    spec = dict(SUBJECT_ARGS)
    spec.update(ISSUE_ARGS)
    spec.update(
        key_type=dict(type="str", default=key_type_default, choices=list(KEY_TYPES)),
        validity=dict(type="str", default=validity_default),  # None: the backend's default_validity
        reuse_key=dict(type="bool", default=reuse_key_default),
    )
    spec.update(module_args)
    return spec


def leaf_argument_spec():
    """temporal_leaf's options; temporal_leaf_batch validates each of its certificates against them."""
    return issue_argument_spec(
        key_type_default="ecdsa-p256",
        validity_default="365d",
        reuse_key_default=False,
        profile=dict(type="str", required=True, choices=list(LEAF_PROFILES)),
        private_key_path=dict(type="path"),
        private_key_format=dict(type="str", default="pkcs8", choices=list(PRIVATE_KEY_FORMATS)),
        chain_path=dict(type="path"),
        ca_path=dict(type="path"),
        ca_private_key_path=dict(type="path"),
        ca_private_key_passphrase=dict(type="str", no_log=True),
        dns_names=dict(type="list", elements="str", default=[]),
        ip_addresses=dict(type="list", elements="str", default=[]),
        csr_path=dict(type="path"),
        csr_content=dict(type="str"),
        pkcs12_path=dict(type="path"),
        pkcs12_passphrase=dict(type="str", default="", no_log=True),
    )


LEAF_MUTUALLY_EXCLUSIVE = [("csr_path", "csr_content"), ("private_key_path", "csr_path"), ("private_key_path", "csr_content")]
# The issuer's own options (ca_path for a local CA, vault_* for Vault) are the issuer's to check: the backend does.
LEAF_REQUIRED_IF = [
    ("state", "present", ("private_key_path", "csr_path", "csr_content"), True),
]


def _diff_view(facts):
    if facts is None:
        return {}
    return {name: facts[name] for name in DIFF_FACTS}


def _file_modes(params, path_options):
    """(path, mode) of each output option: keys and PKCS#12 files get private_key_mode, the rest the mode option."""
    return [(params.get(option), params["private_key_mode"] if secret else None) for option, secret in path_options.items()]


def _completed_warning(completed):
    return "finished writing {0}, which an interrupted earlier run had left half-replaced".format(", ".join(completed))


def commit_outcome(outcome, backup, create_dirs=False):
    """Write the files a plan staged and remove those it removes; returns {path: backup path}."""
    backups = {}
    if outcome.files:
        if create_dirs:
            for staged in outcome.files:
                os.makedirs(os.path.dirname(os.path.abspath(staged.path)), mode=0o700, exist_ok=True)
        backups = write_files(outcome.files, backup)
    if outcome.removals:
        backups.update(remove_files(outcome.removals, backup)[1])
    return backups


def _write_outcome(module, outcome):
    """Write (unless check mode) what the plan staged; returns backup paths."""
    if module.check_mode:
        return {}
    try:
        return commit_outcome(outcome, module.params["backup"])
    except OSError as exc:
        module.fail_json(msg="writing files failed: {0}".format(exc))


def run_issue_module(module, backend_class):
    """Plan, write (unless check mode), and exit with the result. Keys and passphrases never appear in it."""
    assert_required_cryptography_version(module)
    params = module.params
    try:
        with exclusive([params.get(option) for option in backend_class.path_options], module.check_mode) as completed:
            backend = backend_class(params, module.check_mode)
            outcome = backend.plan()
            backups = _write_outcome(module, outcome)
    except PKIError as exc:
        module.fail_json(msg=str(exc))

    changed = outcome.changed or bool(completed)
    if completed:
        outcome.warnings.append(_completed_warning(completed))
    result = dict(reason=outcome.reason, reason_detail="; ".join(outcome.details) or None)
    if params["state"] == "present":
        changed = apply_file_attributes(module, _file_modes(params, backend.path_options), changed)
        if outcome.certificate is not None:
            result.update(certificate_facts(outcome.certificate))
    else:
        result["removed"] = outcome.removals
    if backups:
        result["backup_files"] = backups
    for option in backend.path_options:
        result[option] = params.get(option)
    if module._diff:
        after = certificate_facts(outcome.certificate) if outcome.certificate is not None else None
        result["diff"] = dict(before=_diff_view(outcome.before), after=_diff_view(after))
    for warning in outcome.warnings:
        module.warn(warning)
    module.exit_json(changed=changed, **result)


# Options of temporal_leaf that temporal_leaf_batch takes once for the whole batch, not per certificate:
# the issuer (a local CA, or one Vault mount and role with one login) and what every file shares.
BATCH_SHARED_OPTIONS = ("ca_path", "ca_private_key_path", "ca_private_key_passphrase", "pkcs12_passphrase", "backup") + tuple(VAULT_ARGS)


_SECRET_OPTIONS = tuple(sorted(option for option, spec in dict(leaf_argument_spec(), **VAULT_ARGS).items() if spec.get("no_log")))


def _batch_entry_spec():
    spec = leaf_argument_spec()
    for option in BATCH_SHARED_OPTIONS:
        spec.pop(option, None)  # the vault_* options are not in temporal_leaf's base spec
    return spec


def run_batch_module(module, backend_class):
    """Check every entry, then plan every certificate of the batch (any error writes nothing), then write each
    one's files. Planning may have Vault sign, so no entry is planned before all of them passed the checks."""
    assert_required_cryptography_version(module)
    params = module.params
    spec = _batch_entry_spec()
    validator = ArgumentSpecValidator(spec, mutually_exclusive=LEAF_MUTUALLY_EXCLUSIVE, required_if=LEAF_REQUIRED_IF)
    backends = []
    for index, entry in enumerate(params["certificates"]):
        where = "certificates[{0}]".format(index)
        if not isinstance(entry, dict):
            module.fail_json(msg="{0}: must be a mapping of temporal_leaf options".format(where))
        entry = {option: value for option, value in entry.items() if value is not None}  # null means unset
        # A secret option in an entry (a token put there by mistake, too) is masked in every result, invocation included.
        module.no_log_values.update(str(entry[option]) for option in _SECRET_OPTIONS if entry.get(option) not in (None, ""))
        shared = sorted(set(entry) & set(BATCH_SHARED_OPTIONS))
        if shared:
            module.fail_json(msg="{0}: {1} is set once for the whole batch, not per certificate".format(where, ", ".join(shared)))
        checked = validator.validate(entry)
        if checked.error_messages:
            module.fail_json(msg="{0} ({1}): {2}".format(where, entry.get("path"), "; ".join(checked.error_messages)))
        leaf_params = dict(checked.validated_parameters)
        leaf_params.update({option: params[option] for option in BATCH_SHARED_OPTIONS})
        try:
            backends.append((where, leaf_params, backend_class(leaf_params, module.check_mode)))
        except PKIError as exc:
            module.fail_json(msg="{0} ({1}): {2}".format(where, entry.get("path"), exc))
    paths = [leaf_params.get(option) for _where, leaf_params, _backend in backends for option in backend_class.path_options]
    try:
        with exclusive(paths, module.check_mode) as completed:
            results, diffs, written, changed = _plan_and_write_batch(module, backend_class, backends)
    except PKIError as exc:
        module.fail_json(msg=str(exc))
    if completed:
        changed = True
        module.warn(_completed_warning(completed))
    result = dict(certificates=results, written=written)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(changed=changed, **result)


def _plan_and_write_batch(module, backend_class, backends):
    params = module.params
    planned = []
    for where, leaf_params, backend in backends:
        try:
            planned.append((leaf_params, backend.plan()))
        except PKIError as exc:
            module.fail_json(msg="{0} ({1}): {2}".format(where, leaf_params["path"], exc))

    results, diffs, written = [], [], []
    changed = False
    for leaf_params, outcome in planned:
        if not module.check_mode:
            try:
                commit_outcome(outcome, params["backup"], params["create_dirs"])
            except (PKIError, OSError) as exc:
                module.fail_json(msg="{0}: {1}".format(leaf_params["path"], exc), certificates=results)
        written.extend(f.path for f in outcome.files)
        entry_changed = outcome.changed
        if leaf_params["state"] == "present":
            entry_changed = apply_file_attributes(module, _file_modes(leaf_params, backend_class.path_options), entry_changed)
        changed |= entry_changed
        facts = certificate_facts(outcome.certificate) if outcome.certificate is not None else {}
        result = dict(changed=entry_changed, reason=outcome.reason, reason_detail="; ".join(outcome.details) or None,
                      **{option: leaf_params.get(option) for option in backend_class.path_options})
        result.update({name: facts.get(name) for name in BATCH_RESULT_FACTS})
        if leaf_params["state"] == "absent":
            result["removed"] = outcome.removals
        results.append(result)
        if module._diff and entry_changed:
            diffs.append(dict(before_header=leaf_params["path"], after_header=leaf_params["path"],
                              before=_diff_view(outcome.before), after=_diff_view(facts or None)))
        for warning in outcome.warnings:
            module.warn(warning)
    return results, diffs, written, changed


BATCH_RESULT_FACTS = ("subject", "issuer", "serial_number", "not_before", "not_after", "dns_names", "ip_addresses",
                      "key_type", "public_key_sha256", "fingerprint_sha256", "fingerprint_sha1")
