"""Runs one of the collection's modules as its own process, the way Ansible's module wrapper does:
python module_driver.py MODULE 'JSON ARGS'. The result JSON goes to stdout."""

import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".collections"))

from ansible.module_utils.testing import patch_module_args  # noqa: E402

module = importlib.import_module("ansible_collections.mtls.temporal.plugins.modules." + sys.argv[1])
with patch_module_args(json.loads(sys.argv[2])):
    module.main()
