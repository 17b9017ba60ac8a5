"""The docsite: plugin and role docs lint clean with antsibull-docs, every guide in docs/ is a page of it (written by
scripts/docsite.py, listed in docs/docsite/extra-docs.yml), and the site builds with Sphinx without a warning but
those of the links into docs.ansible.com, which cannot resolve offline."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from conftest import BIN, REPO, tool_env

pytestmark = pytest.mark.slow

GUIDES = sorted(p.stem for p in (REPO / "docs").glob("*.md"))
# Labels of Ansible's own docs, which intersphinx reads from docs.ansible.com's inventory: unreachable here.
ANSIBLE_DOCS_LABEL = re.compile(r"undefined label: '(common_return_values|action_plugins|ansible_configuration_settings|"
                                r"ansible_collections\.ansible\.builtin\.[a-z_]+(__[a-z_-]+)?)'")


def run(cmd, cwd=REPO):
    env = tool_env()
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def test_every_guide_is_a_page_of_the_docsite():
    run([BIN / "python", "scripts/docsite.py", "--check"])
    sections = yaml.safe_load((REPO / "docs" / "docsite" / "extra-docs.yml").read_text())["sections"]
    listed = [page for section in sections for page in section["toctree"]]
    assert sorted(listed) == GUIDES


def test_antsibull_docs_lint_is_clean():
    proc = run([BIN / "antsibull-docs", "lint-collection-docs", "--plugin-docs", "."])
    assert proc.stdout.strip() == "", proc.stdout


def test_docsite_builds_without_warnings(tmp_path):
    run([BIN / "antsibull-docs", "sphinx-init", "--use-current", "--dest-dir", tmp_path, "mtls.temporal"])
    (tmp_path / "rst").chmod(0o700)
    run([BIN / "antsibull-docs", "--config-file", "antsibull-docs.cfg", "collection", "--use-current", "--fail-on-error",
         "--dest-dir", "rst", "mtls.temporal"], cwd=tmp_path)
    # Not -W: the offline intersphinx warnings are sorted out below, every other warning fails the test.
    warnings = tmp_path / "warnings.log"
    run([BIN / "sphinx-build", "-M", "html", "rst", "build", "-c", ".", "-q", "-w", warnings], cwd=tmp_path)
    lines = [line for line in warnings.read_text().splitlines() if "WARNING:" in line]
    unexpected = [line for line in lines if "failed to reach any of the inventories" not in line and not ANSIBLE_DOCS_LABEL.search(line)]
    assert unexpected == [], "\n".join(unexpected)
    site = tmp_path / "build" / "html" / "collections" / "mtls" / "temporal"
    index = (site / "index.html").read_text()
    for guide in GUIDES:
        heading = next(line[2:] for line in (REPO / "docs" / (guide + ".md")).read_text().splitlines() if line.startswith("# "))
        html = (site / "docsite" / (guide + ".html")).read_text()
        assert re.sub(r"`", "", heading).split()[0] in html, guide
        assert "docsite/{0}.html".format(guide) in index, guide
    for page in ("temporal_leaf_module.html", "pki_role.html", "ca_bundle_filter.html"):
        assert (site / page).is_file(), page
