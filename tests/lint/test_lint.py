"""ansible-test sanity (every test, empty ignore file) and ansible-lint's production profile must stay clean."""

from __future__ import annotations

import subprocess

import pytest

from conftest import BIN, REPO, tool_env

pytestmark = [pytest.mark.slow, pytest.mark.long]


def run(cmd):
    env = tool_env(VENV=str(BIN.parent))
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)


def test_ansible_test_sanity_is_clean():
    assert (REPO / "tests" / "sanity" / "ignore-2.19.txt").read_text() == ""
    proc = run(["bash", "scripts/sanity.sh"])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert 'Running sanity test "validate-modules"' in proc.stdout


def test_ansible_lint_production_profile_is_clean():
    proc = run([str(BIN / "ansible-lint")])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "production" in (REPO / ".ansible-lint").read_text()
