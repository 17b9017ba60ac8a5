"""The systemd units docs/renewal.md gives for scheduled renewal pass systemd-analyze verify (with the checkout's
ansible-playbook in place of the example path, which does not exist here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PLAYBOOK = "/srv/temporal-ansible/.venv/bin/ansible-playbook"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_renewal_units_verify(tmp_path):
    units = []
    for block in re.findall(r"```ini\n(.*?)```", (REPO / "docs" / "renewal.md").read_text(), re.S):
        header, body = block.split("\n", 1)
        assert EXAMPLE_PLAYBOOK in body or "[Timer]" in body
        unit = tmp_path / header.rsplit("/", 1)[1]
        unit.write_text(body.replace(EXAMPLE_PLAYBOOK, str(Path(sys.executable).parent / "ansible-playbook")))
        units.append(str(unit))
    assert sorted(Path(u).name for u in units) == ["temporal-mtls-renew.service", "temporal-mtls-renew.timer"]
    proc = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
