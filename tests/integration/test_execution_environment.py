"""The example execution environment makes a build context, and the collection's EE metadata gives that build what the
modules need: a real ansible-builder create, then the builder stage's own introspection run on the installed tarball
(no image is built: no container engine here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement

from conftest import REPO

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
EE_DIR = REPO / "extensions" / "ee"


def run(args, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def requirement_names(lines):
    return {Requirement(line.split("#", 1)[0].strip()).name for line in lines if line.split("#", 1)[0].strip()}


def test_example_ee_build_context_installs_the_collection_and_its_requirements(tmp_path):
    context = tmp_path / "context"
    run([str(BIN / "ansible-builder"), "create", "--context", str(context), "--output-filename", "Containerfile"], cwd=EE_DIR)
    containerfile = (context / "Containerfile").read_text()
    definition = yaml.safe_load((EE_DIR / "execution-environment.yml").read_text())
    assert 'EE_BASE_IMAGE="{0}"'.format(definition["images"]["base_image"]["name"]) in containerfile
    assert "ansible-core>=2.19,<2.20" in containerfile and "ansible-runner" in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert (context / "_build" / "requirements.yml").read_text() == (EE_DIR / "requirements.yml").read_text()
    introspect_line = next(line for line in containerfile.splitlines() if "introspect.py introspect" in line)

    # The galaxy stage installs the collection; here, the tarball a release publishes.
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(REPO)])
    (tarball,) = tmp_path.glob("mtls-temporal-*.tar.gz")
    installed = tmp_path / "collections"
    # Outside the checkout, whose collections path already holds mtls.temporal.
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(installed)
    run([str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(installed), str(tarball)], cwd=tmp_path, env=env)

    # The builder stage: the context's introspect.py, with the arguments the Containerfile gives it, on that install.
    written_pip, written_bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    assert "--write-pip=/tmp/src/requirements.txt" in introspect_line and "--write-bindep=/tmp/src/bindep.txt" in introspect_line
    report = yaml.safe_load(run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect", str(installed),
                                 "--write-pip=" + str(written_pip), "--write-bindep=" + str(written_bindep)]))
    pip_lines = written_pip.read_text().splitlines()
    assert report["python"] == [line for line in pip_lines if line]
    assert all(line.endswith("# from collection mtls.temporal") for line in report["python"]), report
    # Every requirement of requirements.txt, hvac (the Vault issuer) and cryptography among them, and nothing else.
    ours = requirement_names((REPO / "requirements.txt").read_text().splitlines())
    assert {"cryptography", "hvac"} <= ours and requirement_names(pip_lines) == ours

    bindep_lines = [line for line in written_bindep.read_text().splitlines() if line]
    assert bindep_lines and all(line.endswith("# from collection mtls.temporal") for line in bindep_lines)
    rules = Depends(written_bindep.read_text())
    for platform in ("platform:rpm", "platform:dpkg"):
        # The assemble script installs the compile profile in the builder stage and the default one in the image.
        assert {"gcc", "cargo"} <= {rule[0] for rule in rules.active_rules([platform, "compile"])}
        assert not rules.active_rules([platform])
