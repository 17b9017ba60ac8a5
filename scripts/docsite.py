"""Writes the docsite's pages, docs/docsite/rst/<guide>.rst, from the guides docs/<guide>.md, which stay the one
source (they read well where the repository is browsed, and tests read them). antsibull-docs takes only RST extra
docs. Usage: .venv/bin/python scripts/docsite.py [--check]; --check writes nothing and fails if a page is not what it would write.

It knows the Markdown the guides use (headings, paragraphs, lists, tables, fenced code, inline code, emphasis and
links) and fails on anything else, so a guide never renders half-converted."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parent.parent
GUIDES = REPO / "docs"
PAGES = REPO / "docs" / "docsite" / "rst"
LABEL = "ansible_collections.mtls.temporal.docsite."
ADORNMENT = {1: "=", 2: "-", 3: "^", 4: '"'}
# Fence languages Pygments cannot lex as the guides write them: its HCL lexer stops at a Vault policy's first word.
PLAIN = {"hcl"}
# Characters RST could read as markup in running text.
SPECIAL = re.compile(r"([\\`*_|\[\]])")
# What may stand right before and after inline markup without an escaped space (docutils' inline markup rules).
OPENERS = set(" \n-:/'\"<([{")
CLOSERS = set(" \n-.,:;!?\\/'\")]}>")


class Unsupported(Exception):
    pass


def label(guide):
    return LABEL + guide.replace("-", "_")


def slug(heading):
    """The anchor GitHub gives a Markdown heading, which the guides' in-page links use."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def link_target(href, source):
    if re.match(r"https?://", href):
        return href, False
    path, _hash, anchor = href.partition("#")
    target = (source.parent / path).resolve() if path else source.resolve()
    if target.parent == GUIDES and target.suffix == ".md" and target.exists():
        # A heading's label is its page's label and its anchor; Sphinx fails the build on one that does not exist.
        return label(target.stem) + ("__" + anchor if anchor else ""), True
    if target.name == "README.md" and target.parent.parent == REPO / "roles":
        # A role's README points at its entry points, which are the role's page on the site.
        return "ansible_collections.mtls.temporal.{0}_role".format(target.parent.name), True
    raise Unsupported("{0}: link to {1}, which is not a guide in docs/ nor a web address".format(source.name, href))


def join(pieces):
    """pieces: (is_markup, text). Markup gets an escaped space where a neighbour would stop RST from seeing it."""
    out = ""
    for index, (markup, text) in enumerate(pieces):
        if markup:
            if out and out[-1] not in OPENERS:
                out += "\\ "
            out += text
            following = pieces[index + 1][1][:1] if index + 1 < len(pieces) else ""
            if following and following not in CLOSERS:
                out += "\\ "
        else:
            out += text
    return out


def inline(token, source):
    pieces, strong, emphasis, link = [], False, False, None
    for child in token.children:
        kind = child.type
        if kind == "text":
            text = SPECIAL.sub(r"\\\1", child.content)
            if link is not None:
                link[1].append(child.content)
            elif strong or emphasis:
                # RST nests no markup: each run of text inside **...** is its own strong run, code stays code.
                mark = "**" if strong else "*"
                core = text.strip()
                lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
                if lead:
                    pieces.append((False, lead))
                if core:
                    pieces.append((True, mark + core + mark))
                if trail:
                    pieces.append((False, trail))
            else:
                pieces.append((False, text))
        elif kind == "code_inline":
            if link is not None:
                link[1].append(child.content)
            else:
                pieces.append((True, "``" + child.content + "``"))
        elif kind == "softbreak":
            pieces.append((False, " "))
        elif kind in ("strong_open", "strong_close"):
            strong = kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            emphasis = kind == "em_open"
        elif kind == "link_open":
            link = (child.attrs["href"], [])
        elif kind == "link_close":
            target, is_ref = link_target(link[0], source)
            text = "".join(link[1]).replace("<", "\\<").replace("`", "\\`")
            pieces.append((True, ":ref:`{0} <{1}>`".format(text, target) if is_ref else "`{0} <{1}>`__".format(text, target)))
            link = None
        else:
            raise Unsupported("{0}: inline {1} at line {2}".format(source.name, kind, token.map and token.map[0] + 1))
    return join(pieces)


def indent(lines, prefix):
    return [prefix + line if line else "" for line in lines]


def blocks(tokens, source):
    """RST lines for a run of block tokens (markdown-it's flat stream, nesting by *_open/*_close)."""
    lines, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            text = inline(tokens[i + 1], source)
            if token.tag != "h1":
                lines += [".. _{0}__{1}:".format(label(source.stem), slug(tokens[i + 1].content)), ""]
            lines += [text, ADORNMENT[int(token.tag[1])] * len(text), ""]
            i += 3
        elif kind == "paragraph_open":
            lines += [inline(tokens[i + 1], source), ""]
            i += 3
        elif kind == "fence":
            language = token.info.strip() or "text"
            language = "text" if language in PLAIN else language
            lines += [".. code-block:: " + language, ""] + indent(token.content.rstrip("\n").split("\n"), "  ") + [""]
            i += 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            end = closing(tokens, i)
            lines += list_items(tokens[i + 1:end], source, ordered=kind == "ordered_list_open", start=int(token.attrs.get("start", 1)))
            i = end + 1
        elif kind == "table_open":
            end = closing(tokens, i)
            lines += table(tokens[i + 1:end], source)
            i = end + 1
        else:
            raise Unsupported("{0}: block {1} at line {2}".format(source.name, kind, token.map and token.map[0] + 1))
    return lines


def closing(tokens, start):
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    raise Unsupported("unbalanced " + tokens[start].type)


def list_items(tokens, source, ordered, start):
    lines, i, number = [], 0, start
    while i < len(tokens):
        end = closing(tokens, i)
        marker = "{0}. ".format(number) if ordered else "- "
        body = blocks(tokens[i + 1:end], source)
        while body and not body[-1]:
            body.pop()
        lines += [marker + body[0]] + indent(body[1:], " " * len(marker))
        lines.append("")
        number += 1
        i = end + 1
    return lines


def table(tokens, source):
    rows, row = [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "inline":
            row.append(inline(token, source) or "\\ ")
    lines = [".. list-table::", "  :header-rows: 1", ""]
    for cells in rows:
        lines += ["  * - " + cells[0]] + ["    - " + cell for cell in cells[1:]]
    return lines + [""]


def page(source):
    tokens = MarkdownIt("commonmark").enable("table").parse(source.read_text())
    lines = [".. Written by scripts/docsite.py from docs/{0}: edit that file instead.".format(source.name), "",
             ".. _{0}:".format(label(source.stem)), ""] + blocks(tokens, source)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main(argv):
    check = argv == ["--check"]
    wanted = {PAGES / (source.stem + ".rst"): page(source) for source in sorted(GUIDES.glob("*.md"))}
    stale = sorted(p.name for p in PAGES.glob("*.rst") if p not in wanted)
    differ = sorted(p.name for p, text in wanted.items() if not p.exists() or p.read_text() != text)
    if check:
        if stale or differ:
            print("docs/docsite/rst is not what scripts/docsite.py writes: {0}".format(", ".join(differ + stale)), file=sys.stderr)
            return 1
        return 0
    PAGES.mkdir(parents=True, exist_ok=True)
    for path in stale:
        (PAGES / path).unlink()
    for path, text in wanted.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
