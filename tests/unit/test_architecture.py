"""The wings of docs/architecture.md hold: module_utils is its wing packages and errors.py, and imports between
them only go downwards (door, then temporal, then x509, then disk, then errors)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

MODULE_UTILS = Path(__file__).resolve().parents[2] / "plugins" / "module_utils"
COLLECTIONS = Path(__file__).resolve().parents[2] / ".collections"
PREFIX = "ansible_collections.mtls.temporal.plugins.module_utils."
# From the top: a file imports from its own wing and the wings after it.
ORDER = ("door", "temporal", "x509", "disk", "errors")


def wing_of(path):
    relative = path.relative_to(MODULE_UTILS)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_wings(path):
    tree = ast.parse(path.read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX)}
    return {module[len(PREFIX):].split(".")[0] for module in modules}


def test_module_utils_is_the_wings_and_nothing_else():
    assert {wing_of(path) for path in MODULE_UTILS.rglob("*.py") if path.name != "__init__.py"} == set(ORDER)
    assert sorted(path.name for path in MODULE_UTILS.iterdir() if path.name != "__pycache__") == ["disk", "door", "errors.py", "temporal", "x509"]


def test_imports_go_only_downwards():
    upward = []
    for path in sorted(MODULE_UTILS.rglob("*.py")):
        wing = wing_of(path)
        for imported in sorted(imported_wings(path)):
            if ORDER.index(imported) < ORDER.index(wing):
                upward.append("{0} ({1}) imports from {2}".format(path.relative_to(MODULE_UTILS), wing, imported))
    assert upward == []


def test_no_module_imports_an_optional_library_until_a_run_needs_it():
    """hvac, requests and the Azure SDK cost about 0.1 s each to import, in every module run: every module loads
    them only when it talks to Vault or Key Vault (x509/libraries.py)."""
    modules = sorted(path.stem for path in (MODULE_UTILS.parent / "modules").glob("temporal_*.py"))
    probe = "import sys\n" + "".join("import ansible_collections.mtls.temporal.plugins.modules.{0}\n".format(m) for m in modules)
    probe += "print(sorted({name.split('.')[0] for name in sys.modules} & {'hvac', 'requests', 'azure'}))"
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
