# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' options: named groups, each defined once with its constraints, that a module adds together.
The doc fragments in plugins/doc_fragments document the shared groups; ansible-test's validate-modules checks
that each module's documentation and options agree. Private to this collection: not a public API."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.mtls.temporal.plugins.module_utils.x509.keys import KEY_TYPES, PRIVATE_KEY_FORMATS
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import SUBJECT_OPTIONS
from ansible_collections.mtls.temporal.plugins.module_utils.x509.profiles import LEAF_PROFILES
from ansible_collections.mtls.temporal.plugins.module_utils.x509.vault import VAULT_ARGS


class Options:
    """An argument spec with the constraints between its options."""

    def __init__(self, options, mutually_exclusive=(), required_if=(), required_together=()):
        self.options = dict(options)
        self.mutually_exclusive = list(mutually_exclusive)
        self.required_if = list(required_if)
        self.required_together = list(required_together)

    def __add__(self, other):
        return Options(dict(self.options, **other.options), self.mutually_exclusive + other.mutually_exclusive,
                       self.required_if + other.required_if, self.required_together + other.required_together)

    def defaults(self, **defaults):
        """A copy in which the named options have these defaults."""
        return Options({name: dict(spec, default=defaults[name]) if name in defaults else spec for name, spec in self.options.items()},
                       self.mutually_exclusive, self.required_if, self.required_together)

    def without(self, names):
        """A copy without the named options, nor the constraints that name one of them."""
        def untouched(group):
            return not set(group) & set(names)
        return Options({name: spec for name, spec in self.options.items() if name not in names},
                       [rule for rule in self.mutually_exclusive if untouched(rule)],
                       [rule for rule in self.required_if if rule[0] not in names and untouched(rule[2])],
                       [rule for rule in self.required_together if untouched(rule)])

    def secret_options(self):
        return tuple(sorted(name for name, spec in self.options.items() if spec.get("no_log")))

    def module(self, files=True):
        """The AnsibleModule with these options; files: it takes the file attribute options (owner, mode, ...)."""
        return AnsibleModule(argument_spec=self.options, mutually_exclusive=self.mutually_exclusive, required_if=self.required_if,
                             required_together=self.required_together, supports_check_mode=True, add_file_common_args=files)

    def validator(self):
        return ArgumentSpecValidator(self.options, mutually_exclusive=self.mutually_exclusive, required_if=self.required_if,
                                     required_together=self.required_together)


# Documented by plugins/doc_fragments/_subject.py.
SUBJECT = Options({option: dict(type="str") for option, _oid, _bound in SUBJECT_OPTIONS})

# What every module that writes a key file takes.
KEY_FILE = Options(dict(
    force=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    private_key_mode=dict(type="str", default="0600", no_log=False),  # a file mode, not a secret
    key_type=dict(type="str", choices=list(KEY_TYPES)),
))

# Documented by plugins/doc_fragments/_issue.py; temporal_ca and temporal_leaf set the defaults of the last three.
ISSUE = SUBJECT + KEY_FILE + Options(dict(
    path=dict(type="path", required=True),
    renew_before=dict(type="str", default="33%"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    validity=dict(type="str"),  # None: the backend's default_validity
    reuse_key=dict(type="bool"),
))

CA = ISSUE.defaults(key_type="ecdsa-p384", validity=None, reuse_key=True) + Options(
    dict(
        private_key_path=dict(type="path", required=True),
        private_key_passphrase=dict(type="str", no_log=True),
        path_length=dict(type="int"),
        name_constraints_permitted=dict(type="list", elements="str", default=[]),
        name_constraints_excluded=dict(type="list", elements="str", default=[]),
        parent_ca_path=dict(type="path"),
        parent_ca_private_key_path=dict(type="path"),
        parent_ca_private_key_passphrase=dict(type="str", no_log=True),
        chain_path=dict(type="path"),
    ),
    required_together=[("parent_ca_path", "parent_ca_private_key_path")],
)

# The issuer's own options (ca_path for a local CA, vault_* for Vault) are the issuer's to check: the backend does.
LEAF_CERTIFICATE = ISSUE.defaults(key_type="ecdsa-p256", validity="365d", reuse_key=False) + Options(
    dict(
        profile=dict(type="str", required=True, choices=list(LEAF_PROFILES)),
        private_key_path=dict(type="path"),
        private_key_format=dict(type="str", default="pkcs8", choices=list(PRIVATE_KEY_FORMATS)),
        chain_path=dict(type="path"),
        dns_names=dict(type="list", elements="str", default=[]),
        ip_addresses=dict(type="list", elements="str", default=[]),
        csr_path=dict(type="path"),
        csr_content=dict(type="str"),
        csr_must_match=dict(type="bool", default=False),
        pkcs12_path=dict(type="path"),
        pkcs12_passphrase=dict(type="str", default="", no_log=True),
        not_after_behavior=dict(type="str", default="error", choices=["error", "truncate"]),
    ),
    mutually_exclusive=[("csr_path", "csr_content"), ("private_key_path", "csr_path"), ("private_key_path", "csr_content")],
    required_if=[("state", "present", ("private_key_path", "csr_path", "csr_content"), True)],
)

LOCAL_ISSUER = Options(dict(
    ca_path=dict(type="path"),
    ca_private_key_path=dict(type="path"),
    ca_private_key_passphrase=dict(type="str", no_log=True),
))

# Documented by plugins/doc_fragments/_vault.py.
VAULT_ISSUER = Options(VAULT_ARGS)

LEAF = LEAF_CERTIFICATE + LOCAL_ISSUER + VAULT_ISSUER

CSR = SUBJECT + KEY_FILE.defaults(key_type="ecdsa-p256") + Options(dict(
    private_key_path=dict(type="path", required=True),
    private_key_format=dict(type="str", default="pkcs8", choices=list(PRIVATE_KEY_FORMATS)),
    csr_path=dict(type="path"),
))

# What temporal_leaf_batch takes once for the whole batch, not per certificate: the issuer (a local CA, or one Vault
# mount and role with one login) and what every file shares.
BATCH_SHARED = LOCAL_ISSUER + VAULT_ISSUER + Options({name: LEAF.options[name] for name in ("pkcs12_passphrase", "backup")})
BATCH = BATCH_SHARED + Options(dict(
    certificates=dict(type="list", elements="dict", required=True),
    create_dirs=dict(type="bool", default=False),
    compact_result=dict(type="bool", default=False),
))
_BATCH_ENTRY = LEAF.without(tuple(BATCH_SHARED.options))


def batch_entries(module):
    """(where, temporal_leaf params) of each entry of temporal_leaf_batch's certificates, each checked against
    temporal_leaf's options and completed with the options the batch sets once for all."""
    params = module.params
    validator = _BATCH_ENTRY.validator()
    secrets = LEAF.secret_options()
    entries = []
    for index, entry in enumerate(params["certificates"]):
        where = "certificates[{0}]".format(index)
        if not isinstance(entry, dict):
            module.fail_json(msg="{0}: must be a mapping of temporal_leaf options".format(where))
        entry = {option: value for option, value in entry.items() if value is not None}  # null means unset
        # A secret option in an entry (a token put there by mistake, too) is masked in every result, invocation included.
        module.no_log_values.update(str(entry[option]) for option in secrets if entry.get(option) not in (None, ""))
        shared = sorted(set(entry) & set(BATCH_SHARED.options))
        if shared:
            module.fail_json(msg="{0}: {1} is set once for the whole batch, not per certificate".format(where, ", ".join(shared)))
        checked = validator.validate(entry)
        if checked.error_messages:
            module.fail_json(msg="{0} ({1}): {2}".format(where, entry.get("path"), "; ".join(checked.error_messages)))
        leaf_params = dict(checked.validated_parameters)
        leaf_params.update({option: params[option] for option in BATCH_SHARED.options})
        entries.append((where, leaf_params))
    return entries
