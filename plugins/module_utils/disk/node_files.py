# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""temporal_tls_files' backend: which of a host's files differ from what they should hold. Nothing here needs
cryptography, since it runs on the nodes. Private to this collection: not a public API."""

from __future__ import annotations

import hashlib
import os

from ansible_collections.mtls.temporal.plugins.module_utils.disk.attributes import check_mode, others_may_read
from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import PRIVATE_KEY_MARKER, keeps_first_certificate, read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

HIDDEN = "<hidden>\n"


def _describe(data, secret):
    """What a diff shows of a file: never its content, which the results mask anyway (content is no_log)."""
    if data is None:
        return ""
    if secret:
        return HIDDEN
    return "{0} PEM block(s), {1} bytes, sha256 {2}\n".format(data.count(b"-----BEGIN "), len(data), hashlib.sha256(data).hexdigest())


class TLSFilesBackend(Backend):
    needs = ()

    def __init__(self, params, check_mode=False):
        self.params = params
        self.outputs = [("files[{0}]".format(index), entry["path"]) for index, entry in enumerate(params["files"])]

    def plan(self):
        """Each file whose content differs from what is there, and the paths of those whose first certificate stays
        (see keeps_first_certificate)."""
        p = self.params
        plan = Plan()
        plan.diff = []
        same_first = []
        for index, entry in enumerate(p["files"]):
            option, path = "files[{0}]".format(index), entry["path"]
            if entry["src"] is not None or entry["bundle_srcs"] is not None:
                raise PKIError(option, "src and bundle_srcs are read on the controller by the action plugin; this module takes content")
            if not entry["content"]:
                raise PKIError(option, "content of {0} is empty".format(path))
            data = entry["content"].encode("utf-8")
            # A private key is a secret whatever the entry says: created 0600, never shown.
            secret = entry["secret"] or PRIVATE_KEY_MARKER in data
            check_mode(option + ".mode", entry["mode"])
            if secret and others_may_read(entry["mode"]):
                raise PKIError(option + ".mode", "{0} would let every user read the private key in {1}; use 0600 or 0640".format(entry["mode"], path))
            plan.attributes.append((path, entry["mode"] or ("0600" if secret else p["mode"] or "0644")))
            current = read_optional(path, option)
            if current == data:
                continue
            plan.write(option, path, data, secret)
            if not secret and keeps_first_certificate(current, data):
                same_first.append(path)
            plan.diff.append(dict(before_header=path, after_header=path, before=_describe(current, secret), after=_describe(data, secret)))
        if p["directory_mode"]:
            plan.directories = [(os.path.dirname(os.path.abspath(path)), p["directory_mode"]) for path in self.paths]
        plan.result = dict(unchanged_first_certificate=same_first)
        if not p["compact_result"]:
            plan.result["written"] = [staged.path for staged in plan.files]
        else:
            plan.invocation = dict(compact_result=True)
        return plan

    def report(self, result, touched):
        result["changed_files"] = touched
        if "backup_files" in result:
            # write_files keys backups by each file's option (files[N]); report them by the replaced path.
            paths = {"files[{0}]".format(index): entry["path"] for index, entry in enumerate(self.params["files"])}
            result["backup_files"] = {paths[option]: backup for option, backup in result["backup_files"].items()}
