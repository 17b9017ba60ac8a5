"""Runs one molecule scenario of extensions/molecule with the checkout's collection; one test file per
scenario so pytest-xdist can run two at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_scenario(name, wrap=lambda argv: argv, **env_vars):
    """wrap(argv) is the command that runs molecule (the SSH fleet's runs it in its network namespace); env_vars are
    added to its environment."""
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_NOCOLOR="1", PY_COLORS="0", NO_COLOR="1",
               **env_vars)
    proc = subprocess.run(wrap([str(BIN / "molecule"), "test", "-s", name]), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout + proc.stderr
    # The failing task may be far from the end of a long run: its lines come first.
    failures = [line for line in output.splitlines() if line.startswith(("fatal:", "failed:", "[ERROR]"))]
    assert proc.returncode == 0, "\n".join(failures) + "\n...\n" + output[-8000:]
    for action in ("check", "converge", "idempotence", "verify"):
        assert re.search(r"{0} (?:>|➜) {1}: Executed: Successful".format(name, action), output), output[-3000:]
