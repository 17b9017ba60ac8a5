"""The expiry report's rows, statuses, flags, failures and table, from temporal_cert_info-shaped facts."""

from __future__ import annotations

import pytest

from ansible_collections.mtls.temporal.plugins.filter.expiry_report import FilterModule
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.report import ReportError, build_report, bundle_order_problem, outlived_issuer


def cert(cn, issuer=None, ca=False, not_before="2026-01-01T00:00:00Z", not_after="2027-01-01T00:00:00Z", days_left=100, key=None, issuer_key=None):
    key = key or "ski-" + cn
    return dict(subject="CN=" + cn, issuer="CN=" + (issuer or cn), is_ca=ca, not_before=not_before, not_after=not_after, days_left=days_left,
                subject_key_identifier=key, authority_key_identifier=(issuer_key or "ski-" + issuer) if issuer else None,
                fingerprint_sha256="fp-{0}-{1}-{2}".format(cn, not_before, not_after))


def pem(path, *certs):
    return dict(path=path, exists=True, certificates=list(certs), issued_by_issuer=None)


ROOT = cert("Root", ca=True, not_after="2035-01-01T00:00:00Z", days_left=3000)
INTER = cert("Inter", issuer="Root", ca=True, not_after="2030-01-01T00:00:00Z", days_left=1200)


def test_rows_are_sorted_by_expiry_with_a_status_each():
    leaf_soon = cert("soon", issuer="Inter", not_after="2026-02-01T00:00:00Z", days_left=10)
    leaf_gone = cert("gone", issuer="Inter", not_after="2025-12-01T00:00:00Z", days_left=-3)
    leaf_warn = cert("warn", issuer="Inter", not_after="2026-02-20T00:00:00Z", days_left=25)
    entries = [
        dict(host="node1", files=[pem("/tls/internode.pem", leaf_soon, INTER), pem("/tls/frontend.pem", leaf_warn)]),
        dict(host="localhost", files=[pem("/pki/root-ca.pem", ROOT), pem("/pki/old.pem", leaf_gone)]),
    ]
    report = build_report(entries, fail_within_days=14, warn_within_days=30)
    assert [(r["host"], r["file"], r["position"]) for r in report["rows"]] == [
        ("localhost", "/pki/old.pem", 1), ("node1", "/tls/internode.pem", 1), ("node1", "/tls/frontend.pem", 1),
        ("node1", "/tls/internode.pem", 2), ("localhost", "/pki/root-ca.pem", 1)]
    assert [r["status"] for r in report["rows"]] == ["expired", "expiring", "warning", "ok", "ok"]
    assert report["failures"] == [
        "localhost:/pki/old.pem: CN=gone expired on 2025-12-01T00:00:00Z",
        "node1:/tls/internode.pem[1/2]: CN=soon expires on 2026-02-01T00:00:00Z (10 days left, within 14)"]
    assert report["summary"] == {"expired": 1, "expiring": 1, "warning": 1, "ok": 2, "flagged": 0}


def test_threshold_is_days_left_strictly_below():
    entries = [dict(host="h", files=[pem("/a.pem", cert("a", days_left=30))])]
    assert build_report(entries, fail_within_days=30)["failures"] == []
    assert len(build_report(entries, fail_within_days=31)["failures"]) == 1
    assert build_report(entries, fail_within_days=0)["rows"][0]["status"] == "ok"


def test_a_leaf_that_outlives_its_ca_is_flagged_and_fails():
    rogue = cert("rogue", issuer="Inter", not_after="2031-01-01T00:00:00Z", days_left=1500)
    entries = [dict(host="localhost", files=[pem("/pki/clients/rogue/client.pem", rogue), pem("/pki/inter.pem", INTER)])]
    report = build_report(entries)
    row = [r for r in report["rows"] if r["subject"] == "CN=rogue"][0]
    assert row["flags"] == ["outlives its issuer CN=Inter (ends 2030-01-01T00:00:00Z)"]
    assert row["status"] == "ok"
    assert report["failures"] == ["localhost:/pki/clients/rogue/client.pem: outlives its issuer CN=Inter (ends 2030-01-01T00:00:00Z)"]
    assert build_report(entries, fail_on_flags=False)["failures"] == []
    assert "ok; outlives its issuer CN=Inter" in "\n".join(report["table"])


def test_outliving_compares_with_the_longest_lived_ca_of_the_same_name_and_key():
    renewed = dict(INTER, not_after="2032-01-01T00:00:00Z", fingerprint_sha256="fp-renewed")
    other_key = dict(INTER, not_after="2040-01-01T00:00:00Z", subject_key_identifier="another key", fingerprint_sha256="fp-other")
    leaf = cert("leaf", issuer="Inter", not_after="2031-01-01T00:00:00Z")
    assert outlived_issuer(leaf, [INTER, renewed]) is None
    assert outlived_issuer(leaf, [INTER, other_key]) is INTER
    assert outlived_issuer(leaf, []) is None  # an unknown issuer is not guessed
    assert outlived_issuer(ROOT, [ROOT]) is None  # a root has no issuer to outlive


def test_a_bundle_whose_first_ca_is_not_the_newest_is_flagged():
    old = cert("Clients old", issuer="Root", ca=True, not_before="2024-01-01T00:00:00Z")
    new = cert("Clients new", issuer="Root", ca=True, not_before="2026-06-01T00:00:00Z")
    assert bundle_order_problem([new, old]) is None
    problem = bundle_order_problem([old, new])
    assert "first CA (CN=Clients old, from 2024-01-01T00:00:00Z) is not the newest (CN=Clients new" in problem
    report = build_report([dict(host="node1", files=[pem("/tls/frontend-clients-ca.pem", old, new)])])
    assert [(r["position"], r["flags"]) for r in report["rows"]] == [(1, [problem]), (2, [])]
    assert report["failures"] == ["node1:/tls/frontend-clients-ca.pem[1/2]: " + problem]


def test_chains_and_files_with_a_leaf_are_not_bundles():
    renewed_root = dict(ROOT, not_before="2027-01-01T00:00:00Z", fingerprint_sha256="fp-root-2")
    assert bundle_order_problem([INTER, renewed_root]) is None  # intermediate, then its issuer: a chain
    assert bundle_order_problem([cert("leaf", issuer="Inter"), INTER]) is None
    assert bundle_order_problem([INTER]) is None


def test_missing_files_and_hosts_without_facts_are_rows_and_failures():
    entries = [dict(host="node1", files=[dict(path="/tls/internode.pem", exists=False, certificates=[], issued_by_issuer=None)])]
    report = build_report(entries, expected_hosts=["node1", "node2"])
    assert [(r["host"], r["status"]) for r in report["rows"]] == [("node1", "missing"), ("node2", "no data")]
    assert report["failures"] == ["node1:/tls/internode.pem: file is missing",
                                  "node2: no certificate facts: the host was unreachable or failed"]
    assert build_report(entries, expected_hosts=["node1", "node2"], fail_on_flags=False)["failures"] == []


def test_table_has_a_header_and_aligned_columns():
    entries = [dict(host="a-long-host-name", files=[pem("/x.pem", cert("x", days_left=5))]), dict(host="b", files=[pem("/y.pem", ROOT)])]
    table = build_report(entries, fail_within_days=1)["table"]
    assert table[0].split() == ["HOST", "FILE", "SUBJECT", "ISSUER", "NOT", "AFTER", "DAYS", "STATUS"]
    assert table[1].startswith("a-long-host-name  /x.pem") and table[1].endswith("WARNING")
    assert table[2].startswith("b                 /y.pem")
    assert len({line.index("DAYS") if i == 0 else None for i, line in enumerate(table)} - {None}) == 1


def test_warning_threshold_never_below_the_failure_threshold():
    report = build_report([dict(host="h", files=[pem("/a.pem", cert("a", days_left=40))])], fail_within_days=60, warn_within_days=30)
    assert report["warn_within_days"] == 60 and report["rows"][0]["status"] == "expiring"


@pytest.mark.parametrize("bad", [[{"files": []}], [{"host": "h"}], ["text"]])
def test_malformed_entries_are_refused(bad):
    with pytest.raises(ReportError, match="each entry needs a host"):
        build_report(bad)


def test_the_filter_wraps_errors_and_passes_options():
    from ansible.errors import AnsibleFilterError

    expiry_report = FilterModule().filters()["expiry_report"]
    report = expiry_report([dict(host="h", files=[pem("/a.pem", cert("a", days_left=3))])], fail_within_days="7", generated_at="now")
    assert report["fail_within_days"] == 7 and report["generated_at"] == "now" and len(report["failures"]) == 1
    with pytest.raises(AnsibleFilterError, match="fail_within_days must be a whole number"):
        expiry_report([], fail_within_days="soon")
