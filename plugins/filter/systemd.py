# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values written into systemd unit files, so that systemd reads back exactly what was given (systemd.unit(5)
specifiers, systemd.service(5) command lines). Docs in systemd_value.yml and systemd_command.yml."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# A line break or another control character would end the setting, or start a new one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Inside double quotes, systemd reads backslash escapes; $ starts a variable and % a specifier everywhere.
_EXEC_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "$$", "%": "%%"}
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def _checked(value, name):
    if not isinstance(value, str):
        raise AnsibleFilterError("{0}: {1!r} is not a string".format(name, value))
    if _CONTROL.search(value):
        raise AnsibleFilterError("{0}: {1!r} holds a line break or another control character, which would end the unit's setting".format(name, value))
    return value


def systemd_value(value, name="systemd_value"):
    """A setting's value: its specifiers (%) doubled. name: what an error calls the value."""
    return _checked(value, name).replace("%", "%%")


def systemd_command(argv):
    """An ExecStart= command line that runs exactly argv: each word quoted when it needs it."""
    if not isinstance(argv, list) or not argv:
        raise AnsibleFilterError("systemd_command: {0!r} is not a non-empty list of words".format(argv))
    words = []
    for word in argv:
        _checked(word, "systemd_command")
        if _PLAIN_WORD.match(word) and "%" not in word:
            words.append(word)
        else:
            words.append('"' + "".join(_EXEC_ESCAPES.get(char, char) for char in word) + '"')
    return " ".join(words)


class FilterModule:
    def filters(self):
        return dict(systemd_value=systemd_value, systemd_command=systemd_command)
