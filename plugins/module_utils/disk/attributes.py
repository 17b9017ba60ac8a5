# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File owners, groups and modes, checked while planning: Ansible's own file attribute code finds a mistyped user
or mode only after the files are written, and then names neither the option nor the file.
Private to this collection: not a public API."""

from __future__ import annotations

import grp
import pwd
import re

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

# The options, wherever a module has them, that hold a mode.
MODE_OPTIONS = ("mode", "private_key_mode", "directory_mode")

_OCTAL = re.compile(r"[0-7]{1,4}")
# One clause of a symbolic mode, as chmod and ansible.builtin.file take it: u=rw, g+r, o-rwx, a=X, g=u.
_SYMBOLIC_CLAUSE = re.compile(r"(?P<who>[ugoa]*)(?P<op>[-+=])(?P<perms>[rwxXst]*|[ugo])")


def check_file_attribute_options(params):
    """owner and group exist on this host, and every mode option is a mode; PKIError naming the option if not."""
    if params.get("owner") and not str(params["owner"]).isdigit():
        try:
            pwd.getpwnam(params["owner"])
        except KeyError:
            raise PKIError("owner", "there is no user {0} on this host".format(params["owner"]))
    if params.get("group") and not str(params["group"]).isdigit():
        try:
            grp.getgrnam(params["group"])
        except KeyError:
            raise PKIError("group", "there is no group {0} on this host".format(params["group"]))
    for option in MODE_OPTIONS:
        check_mode(option, params.get(option))


def check_mode(option, mode):
    """mode (a string, an int from YAML, or None for unset) is one the file modules accept."""
    if mode is None or isinstance(mode, int):
        return
    text = str(mode)
    if _OCTAL.fullmatch(text) or all(_SYMBOLIC_CLAUSE.fullmatch(clause) for clause in text.split(",")):
        return
    raise PKIError(option, "{0!r} is not a file mode: give it in octal (0640) or symbolic form (u=rw,g=r)".format(text))


def others_may_read(mode):
    """Whether mode (checked by check_mode) gives read access to users outside the owner and the group."""
    if mode is None:
        return False
    if isinstance(mode, int):
        return bool(mode & 0o004)
    text = str(mode)
    if _OCTAL.fullmatch(text):
        return bool(int(text, 8) & 0o004)
    for clause in text.split(","):
        parts = _SYMBOLIC_CLAUSE.fullmatch(clause)
        # No who means all; o=u and o=g copy what the owner or the group has, which may be read.
        if parts["op"] != "-" and (not parts["who"] or set(parts["who"]) & {"o", "a"}) and ("r" in parts["perms"] or parts["perms"] in ("u", "g")):
            return True
    return False
