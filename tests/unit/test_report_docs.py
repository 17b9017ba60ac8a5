"""The report playbook's variables and the Cloud module's rules are documented where users look for them."""

from __future__ import annotations

import re

from conftest import REPO

PLAYBOOK = (REPO / "playbooks" / "report.yml").read_text()
REPORT_PAGE = (REPO / "docs" / "expiry-report.md").read_text()
CLOUD_PAGE = (REPO / "docs" / "temporal-cloud.md").read_text()
# Names the playbook sets for itself (registered results, play vars), not knobs for users.
INTERNAL = {"report_host_info", "report_host_entry", "report_host_node_dir", "report_host_node_paths", "report_host_identity_paths", "report_controller_info",
            "report_result", "report_pki_dir_used", "report_fleet_hosts"}


def user_variables():
    body = "\n".join(line for line in PLAYBOOK.splitlines() if not line.startswith("#"))
    return set(re.findall(r"\breport_[a-z_]+\b", body)) - INTERNAL


def test_every_user_variable_is_in_the_header_and_the_docs():
    names = user_variables()
    assert names == {"report_fail_within_days", "report_warn_within_days", "report_fail_on_flags", "report_json_path", "report_node_files",
                     "report_controller_globs"}
    header = "\n".join(line for line in PLAYBOOK.splitlines() if line.startswith("#"))
    for name in names:
        assert name in header, name
        assert "| `{0}` |".format(name) in REPORT_PAGE, name


def test_the_cloud_page_walks_through_tcld():
    for command in ("accepted-client-ca list", "accepted-client-ca set", "accepted-client-ca add", "accepted-client-ca remove",
                    "--ca-certificate-file", "--ca-certificate-fingerprint", "--idempotent", "certificate-filters import"):
        assert command in CLOUD_PAGE, command
