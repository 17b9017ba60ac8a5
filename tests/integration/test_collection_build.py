"""The collection builds into an installable tarball that holds the plugins and none of the dev files."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def run(args, **kwargs):
    proc = subprocess.run([str(BIN / args[0])] + args[1:], capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_build_install_and_document(tmp_path):
    run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), str(REPO)])
    (tarball,) = tmp_path.glob("mtls-temporal-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/temporal_ca.py" in names and "plugins/module_utils/x509/leaf.py" in names
    for unwanted in (".collections", "ansible.cfg", ".venv", "demo-output", ".ci", "scripts", "benchmarks", "tests/harness",
                     "tests/temporal_server", "tests/ui_server", "pyproject.toml", "test-requirements.txt", ".gitignore", ".gitattributes", ".yamllint"):
        assert not any(n == unwanted or n.startswith(unwanted + "/") for n in names), unwanted
    assert not [n for n in names if "__pycache__" in n.split("/") or "node_modules" in n.split("/")]

    install_dir = tmp_path / "installed"
    # Work outside the checkout so its ansible.cfg and .collections link play no part.
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(install_dir)
    run(["ansible-galaxy", "collection", "install", "-p", str(install_dir), str(tarball)], env=env, cwd=tmp_path)
    listing = run(["ansible-doc", "-l", "mtls.temporal"], env=env, cwd=tmp_path)
    assert "mtls.temporal.temporal_ca" in listing and "mtls.temporal.temporal_leaf" in listing
    for module in ("temporal_ca", "temporal_leaf"):
        doc = run(["ansible-doc", "mtls.temporal." + module], env=env, cwd=tmp_path)
        assert "renew_before" in doc and str(install_dir) in doc
