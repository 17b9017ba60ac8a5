"""The changelog is antsibull-changelog's: its fragments and changelog.yaml lint clean, and CHANGELOG.md is what
`antsibull-changelog generate` writes from them (edit fragments, not CHANGELOG.md; changelogs/config.yaml)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import BIN, REPO, tool_env

pytestmark = pytest.mark.slow


def changelog(args, cwd):
    env = tool_env()
    proc = subprocess.run([str(BIN / "antsibull-changelog")] + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout[-3000:] + proc.stderr[-3000:]


def test_fragments_and_changelog_yaml_lint_clean():
    changelog(["lint"], REPO)


def test_changelog_md_is_generated_from_changelog_yaml(tmp_path):
    for name in ("galaxy.yml", "CHANGELOG.md"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "changelogs", tmp_path / "changelogs", ignore=shutil.ignore_patterns(".plugin-cache.yaml"))
    changelog(["generate"], tmp_path)
    assert (tmp_path / "CHANGELOG.md").read_text() == (REPO / "CHANGELOG.md").read_text(), \
        "CHANGELOG.md differs from what antsibull-changelog generate writes: add a fragment instead of editing it"
