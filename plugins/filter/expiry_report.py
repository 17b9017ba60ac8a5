# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expiry_report filter: the mtls.temporal.report playbook's table, JSON and verdict (docs in expiry_report.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.report import ReportError, build_report


def expiry_report(entries, fail_within_days=14, warn_within_days=30, expected_hosts=None, fail_on_flags=True, generated_at=None):
    try:
        return build_report(list(entries), fail_within_days=fail_within_days, warn_within_days=warn_within_days,
                            expected_hosts=list(expected_hosts or []), fail_on_flags=fail_on_flags, generated_at=generated_at)
    except ReportError as exc:
        raise AnsibleFilterError("expiry_report: {0}".format(exc))


class FilterModule:
    def filters(self):
        return {"expiry_report": expiry_report}
