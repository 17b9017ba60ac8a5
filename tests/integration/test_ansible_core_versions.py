"""The built collection on each ansible-core series it claims (meta/runtime.yml) besides the checkout's own 2.19:
installed with that series' ansible-galaxy and its site playbook run in check mode, then for real, then again with
nothing to do. The series' venv is made once in the user's cache by scripts/ansible-core-venv.sh."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from conftest import REPO
from installed_collection import clean_env, run, smoke

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# ansible-core 2.20 needs Python >= 3.12, and the collection targets Python 3.11 (README.md, Requirements).
SERIES = ["2.18"]


def test_requires_ansible_claims_exactly_the_tested_series():
    claimed = SpecifierSet(yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"])
    tested = SERIES + [".".join(version("ansible-core").split(".")[:2])]
    for series in tested:
        assert series + ".0" in claimed and series + ".99" in claimed, series
    major, lowest, highest = 2, min(int(s.split(".")[1]) for s in tested), max(int(s.split(".")[1]) for s in tested)
    assert "{0}.{1}.99".format(major, lowest - 1) not in claimed and "{0}.{1}.0".format(major, highest + 1) not in claimed


@pytest.mark.parametrize("series", SERIES)
def test_site_on_installed_copy(series, tmp_path):
    venv = Path(subprocess.run(["bash", str(REPO / "scripts" / "ansible-core-venv.sh"), series], capture_output=True,
                               text=True, timeout=600, check=True).stdout.strip())
    bin_dir = venv / "bin"
    assert run(bin_dir, ["ansible", "--version"], clean_env(bin_dir, tmp_path), tmp_path).startswith("ansible [core {0}.".format(series))
    run(BIN, ["ansible-galaxy", "collection", "build", "--output-path", tmp_path, REPO], clean_env(BIN, tmp_path), tmp_path)
    (tarball,) = tmp_path.glob("mtls-temporal-*.tar.gz")
    smoke(bin_dir, tarball, tmp_path / "work")
