"""The rules of revocation that need no files: which client groups have a CA, which identities the record keeps
out, and the Temporal Cloud filters that admit the identities left and no revoked one."""

from __future__ import annotations

import pytest

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal import layout
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.revocation import cloud_filters, parse_record, revoked_identities


def facts(common_name, *dns_names):
    return dict(common_name=common_name, dns_names=list(dns_names))


def test_own_groups_follow_the_declared_ones_and_revoked_groups_are_left_out():
    identities = [{"name": "ledger", "own_client_group": True}, {"name": "billing", "client_group": "accounting"}, {"name": "cli"}]
    groups = layout.client_groups([{"name": "accounting"}, {"name": "audit"}], identities, revoked_groups={"audit": {}})
    assert [group["name"] for group in groups] == ["accounting", "ledger"]
    assert [layout.identity_group(identity) for identity in identities] == ["ledger", "accounting", ""]


@pytest.mark.parametrize("declared, identities, message", [
    ([{"name": "a b"}], [], "'a b' must be letters"),
    ([{"name": "ledger"}], [{"name": "ledger", "own_client_group": True}], "'ledger' is named twice"),
    ([], [{"name": "x", "own_client_group": True, "client_group": "y"}], "x sets both client_group and own_client_group"),
    ([], [{"name": "bad.name", "own_client_group": True}], "'bad.name' must be letters"),
])
def test_bad_groups_are_refused_by_name(declared, identities, message):
    with pytest.raises(ValueError, match=message):
        layout.client_groups(declared, identities, {})


def test_a_revoked_identity_or_one_of_a_revoked_group_is_named():
    record = parse_record(b'{"client_groups": {"accounting": {"revoked_at": "T1"}}, "identities": {"ledger": '
                          b'{"client_group": "ledger", "revoked_at": "T2"}}}', "revoked.json")
    found = revoked_identities([{"name": "ledger"}, {"name": "clerk", "client_group": "accounting"}, {"name": "cli"}], record)
    assert found == ["ledger: revoked on T2 with client group ledger", "clerk: its client group accounting was revoked on T1"]


@pytest.mark.parametrize("data", [b"[]", b"{not json", b'{"client_groups": []}'])
def test_a_broken_record_is_an_error_not_an_empty_one(data):
    with pytest.raises(PKIError, match="is not a revocation record"):
        parse_record(data, "revoked.json")


def test_cloud_filters_admit_the_identities_left_by_the_most_specific_field_they_need():
    revoked = [facts("payments", "payments.internal")]
    admitted = {"web": facts("web"), "reports": facts("payments", "payments.internal", "reports.internal"), "cli": facts("web")}
    assert cloud_filters(admitted, revoked) == [
        {"common_name": "web"},
        {"common_name": "payments", "subject_alternative_name": "reports.internal"},
    ]


def test_cloud_filters_refuse_an_identity_that_cannot_be_told_from_a_revoked_one():
    with pytest.raises(PKIError, match="twin has the common name 'Payments' of a revoked certificate"):
        cloud_filters({"twin": facts("Payments", "PAYMENTS.internal")}, [facts("payments", "payments.internal")])


def test_cloud_filters_stop_at_cloud_s_limit():
    with pytest.raises(PKIError, match="need 26 certificate filters; Temporal Cloud takes at most 25"):
        cloud_filters({"n{0}".format(number): facts("cn{0}".format(number)) for number in range(26)}, [])
