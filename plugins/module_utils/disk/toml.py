# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part of TOML that temporal.toml uses: tables, strings, booleans, numbers, arrays.
Reading uses tomllib (Python 3.11+) or tomli. Private to this collection: not a public API."""

from __future__ import annotations

import datetime
import re

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

try:
    import tomllib as _toml_reader
except ImportError:  # Python < 3.11
    try:
        import tomli as _toml_reader
    except ImportError:
        _toml_reader = None

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def loads(text, option, path):
    if _toml_reader is None:
        raise PKIError(option, "reading {0} needs Python 3.11 or the tomli library where the module runs".format(path))
    try:
        return _toml_reader.loads(text)
    except ValueError as exc:
        raise PKIError(option, "{0} is not valid TOML: {1}".format(path, exc))


def _key(key):
    return key if BARE_KEY.match(key) else _basic_string(key)


def _basic_string(text):
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{0:04X}".format(ord(ch)))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _string(text):
    # PEM reads best as a multi-line literal; that form has no escapes, so only plain text qualifies.
    if "\n" in text and "'''" not in text and all(ch == "\n" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) for ch in text):
        return "'''\n" + text + "'''"
    return _basic_string(text)


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError("cannot write {0!r} as TOML".format(value))


def dumps(data):
    lines = []
    _table(lines, [], data)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(lines, path, table):
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    if path and (scalars or not tables):
        lines.append("[" + ".".join(_key(part) for part in path) + "]")
    for key, value in scalars:
        lines.append("{0} = {1}".format(_key(key), _value(value)))
    if path and (scalars or not tables):
        lines.append("")
    for key, value in tables:
        _table(lines, path + [key], value)
