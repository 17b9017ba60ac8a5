# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put a ``global.tls`` block into a Temporal config YAML file and leave everything else as it was.
Private to this collection: not a public API.

The block is spliced in as text, so other keys keep their order, comments and formatting. The result
is parsed again and must equal the original document with only global.tls replaced, in meaning and
key order; when the file's layout defeats the splice (flow style, anchors), the document is dumped
whole instead and the caller is told that comments and formatting were not kept."""

from __future__ import annotations

import re

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

try:
    import yaml
except ImportError:
    pass  # ansible-core itself requires PyYAML

_GLOBAL = re.compile(r"^global:[ \t]*(#.*)?$")
# A global (or tls) key in any other form, such as flow style: the splice cannot replace it, and adding a
# second one would leave a duplicate key, which PyYAML reads as "the last wins" but Go's yaml.v3 refuses.
_ANY_GLOBAL = re.compile(r"^global[ \t]*:")


def dump_block(value):
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=4096, indent=2)


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _is_content(line):
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_end(lines, start, indent):
    """Index after the block that starts at lines[start]: up to the next content line indented <= indent,
    leaving trailing blank and comment lines to whatever follows."""
    end = start + 1
    last_content = start
    while end < len(lines):
        line = lines[end]
        if _is_content(line):
            if _indent(line) <= indent or line.startswith(("---", "...")):
                break
            last_content = end
        end += 1
    return last_content + 1


def _tls_text(tls, indent):
    body = dump_block(tls)
    pad = " " * (indent + 2)
    return " " * indent + "tls:\n" + "".join(pad + line + "\n" for line in body.splitlines())


def _splice(text, tls):
    """The text with the tls block replaced or added, or None when its layout does not allow that."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for index, line in enumerate(lines):
        if _GLOBAL.match(line.rstrip("\n")):
            global_end = _block_end(lines, index, 0)
            child_indent = next((_indent(lines[i]) for i in range(index + 1, global_end) if _is_content(lines[i])), 2)
            tls_line = re.compile(r"^ {%d}tls:[ \t]*(#.*)?$" % child_indent)
            any_tls = re.compile(r"^ {%d}tls[ \t]*:" % child_indent)
            for i in range(index + 1, global_end):
                if tls_line.match(lines[i].rstrip("\n")):
                    end = _block_end(lines, i, child_indent)
                    return "".join(lines[:i]) + _tls_text(tls, child_indent) + "".join(lines[end:])
                if any_tls.match(lines[i]):
                    return None
            return "".join(lines[:global_end]) + _tls_text(tls, child_indent) + "".join(lines[global_end:])
    if any(_ANY_GLOBAL.match(line) for line in lines):
        return None
    prefix = "".join(lines)
    if prefix and not prefix.endswith("\n\n"):
        prefix += "\n"
    return prefix + "global:\n" + _tls_text(tls, 2)


def _with_tls(document, tls):
    """The document with global.tls replaced, keys of everything else in their original order."""
    out = dict(document)
    glob = dict(out.get("global") or {})
    glob["tls"] = tls
    out["global"] = glob
    return out


def _same(a, b):
    """Equal in meaning and in key order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def _parse(text, option, path):
    """The YAML document of text, {} when it is empty."""
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise PKIError(option, "{0} is not valid YAML: {1}".format(path, str(exc).splitlines()[0]))
    return {} if document is None else document


def load_config(text, option, path):
    if "enable-template" in text[:1024]:
        raise PKIError(
            option,
            "{0} is a Go template (enable-template); it cannot be merged as YAML. Render env_path for the "
            "image's template, or point config_path at a plain config file".format(path),
        )
    document = _parse(text, option, path)
    if not isinstance(document, dict) or not isinstance(document.get("global") or {}, dict):
        raise PKIError(option, "{0} is not a Temporal config: its top level (and its global key) must be a mapping".format(path))
    return document


def load_mapping(text, option, path):
    """A YAML file whose top level is a mapping (Temporal's dynamic config), {} when empty."""
    document = _parse(text, option, path)
    if not isinstance(document, dict):
        raise PKIError(option, "{0} must hold a mapping at its top level".format(path))
    return document


def merge_top_level(text, key, value, option, path):
    """(new text, kept_layout): the mapping file text with its top-level key set to value, everything else as it
    was; dumped whole (kept_layout false) when the layout defeats the splice."""
    expected = dict(load_mapping(text, option, path), **{key: value})
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = dump_block({key: value})
    key_line = re.compile(r"""^["']?%s["']?[ \t]*:""" % re.escape(key))
    starts = [index for index, line in enumerate(lines) if key_line.match(line)]
    if len(starts) == 1:
        spliced = "".join(lines[:starts[0]]) + block + "".join(lines[_top_level_end(lines, starts[0]):])
    elif not starts:
        spliced = "".join(lines) + block
    else:
        spliced = None
    return _kept_or_dumped(spliced, expected)


def _top_level_end(lines, start):
    """Index after the top-level key at lines[start] and its value, which may be a sequence written at column 0."""
    end = last_content = start
    for end in range(start + 1, len(lines)):
        line = lines[end]
        if _is_content(line):
            if _indent(line) == 0 and not line.startswith("-"):
                break
            last_content = end
    return last_content + 1


def _kept_or_dumped(spliced, expected):
    """(spliced, True) when the spliced text (None: no splice was possible) reads back as expected, in meaning and
    key order; else (expected dumped whole, False)."""
    try:
        reparsed = yaml.safe_load(spliced) if spliced is not None else None
    except yaml.YAMLError:
        reparsed = None
    if reparsed is not None and _same(reparsed, expected):
        return spliced, True
    return dump_block(expected), False


def current_tls(document):
    return (document.get("global") or {}).get("tls")


def merge_tls(text, tls, option, path):
    """(new text, kept_layout). text is the existing file (may be empty)."""
    document = load_config(text, option, path)
    expected = _with_tls(document, tls)
    spliced = _splice(text, tls) if text.strip() else "global:\n" + _tls_text(tls, 2)
    return _kept_or_dumped(spliced, expected)
