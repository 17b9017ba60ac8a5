"""docs/architecture.md's wings hold: every module_utils file is in one wing, and imports only go downwards."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULE_UTILS = REPO / "plugins" / "module_utils"
# From the top: a file imports from its own wing and the wings after it.
ORDER = ("door", "temporal", "x509", "disk", "base")


def wings():
    table = re.findall(r"^\| (\w+) \| ((?:`[\w.]+` ?)+) \|$", (REPO / "docs" / "architecture.md").read_text(), re.M)
    return {name[:-3]: wing for wing, files in table for name in re.findall(r"`([\w.]+)`", files)}


def imports(path):
    tree = ast.parse(path.read_text())
    prefix = "ansible_collections.mtls.temporal.plugins.module_utils."
    return {node.module[len(prefix):] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(prefix)}


def test_every_module_utils_file_is_in_one_wing():
    files = {path.stem for path in MODULE_UTILS.glob("_*.py")}
    assert set(wings()) == files, "docs/architecture.md lists {0}".format(sorted(set(wings()) ^ files))
    assert set(wings().values()) == set(ORDER)


def test_imports_go_only_downwards():
    wing_of = wings()
    upward = []
    for name, wing in sorted(wing_of.items()):
        for imported in sorted(imports(MODULE_UTILS / (name + ".py"))):
            if ORDER.index(wing_of[imported]) < ORDER.index(wing):
                upward.append("{0} ({1}) imports {2} ({3})".format(name, wing, imported, wing_of[imported]))
    assert upward == []
