# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expiry report: rows, statuses, flags and the table, built from what temporal_cert_info returned on each host.
Works on those facts only (no cryptography, no clock), so the report plays and its tests need nothing else.
Private to this collection: not a public API."""

from __future__ import annotations

COLUMNS = (("host", "HOST"), ("file_label", "FILE"), ("subject", "SUBJECT"), ("issuer", "ISSUER"), ("not_after", "NOT AFTER"),
           ("days_left", "DAYS"), ("status_label", "STATUS"))
# Rows without a certificate (a missing file, a host that gave nothing) sort after every certificate.
_NEVER = "9999-12-31T23:59:59Z"


class ReportError(ValueError):
    pass


def _self_signed(cert):
    aki = cert.get("authority_key_identifier")
    return cert["subject"] == cert["issuer"] and (not aki or aki == cert.get("subject_key_identifier"))


def _names_issuer(cert, ca):
    """Whether ca's name and key identifier are the ones cert names as its issuer."""
    if ca["subject"] != cert["issuer"] or ca["fingerprint_sha256"] == cert["fingerprint_sha256"]:
        return False
    aki, ski = cert.get("authority_key_identifier"), ca.get("subject_key_identifier")
    return not (aki and ski and aki != ski)


def outlived_issuer(cert, cas):
    """The issuer cert outlives, or None.

    Every known CA certificate with the issuer's name and key counts (a renewed CA keeps its key), and the one that
    lasts longest is compared: a verifier holding it accepts the certificate for as long as anything could."""
    if _self_signed(cert):
        return None
    issuers = [ca for ca in cas if _names_issuer(cert, ca)]
    if not issuers:
        return None
    longest = max(issuers, key=lambda ca: ca["not_after"])
    return longest if cert["not_after"] > longest["not_after"] else None


def is_chain(certs):
    """Each certificate issued by the next one: a chain file (leaf or CA followed by its issuers), not a bundle."""
    return all(_names_issuer(certs[i], certs[i + 1]) for i in range(len(certs) - 1))


def bundle_order_problem(certs):
    """For a CA bundle (two or more CAs, not a chain) whose first CA is not the newest (latest not_before): why."""
    if len(certs) < 2 or not all(cert["is_ca"] for cert in certs) or is_chain(certs):
        return None
    newest = max(certs, key=lambda cert: cert["not_before"])
    if certs[0]["not_before"] >= newest["not_before"]:
        return None
    return ("bundle's first CA ({0}, from {1}) is not the newest ({2}, from {3}); hot reload only notices the first "
            "certificate".format(certs[0]["subject"], certs[0]["not_before"], newest["subject"], newest["not_before"]))


def expiry_status(days_left, fail_within_days, warn_within_days):
    if days_left < 0:
        return "expired"
    if days_left < fail_within_days:
        return "expiring"
    if days_left < warn_within_days:
        return "warning"
    return "ok"


def _row(host, path, position=None, count=0, cert=None, status="ok", flags=None):
    cert = cert or {}
    row = dict(host=host, file=path, position=position, count=count,
               subject=cert.get("subject"), issuer=cert.get("issuer"), not_before=cert.get("not_before"), not_after=cert.get("not_after"),
               days_left=cert.get("days_left"), is_ca=cert.get("is_ca"), fingerprint_sha256=cert.get("fingerprint_sha256"),
               status=status, flags=list(flags or []))
    return row


def _check_number(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ReportError("{0} must be a whole number of days, not {1!r}".format(name, value))


def _failures(rows, fail_within_days, fail_on_flags):
    failures = []
    for row in rows:
        where = "{0}:{1}".format(row["host"], _file_label(row)) if row["file"] else row["host"]
        if row["status"] == "expired":
            failures.append("{0}: {1} expired on {2}".format(where, row["subject"], row["not_after"]))
        elif row["status"] == "expiring":
            failures.append("{0}: {1} expires on {2} ({3} days left, within {4})".format(
                where, row["subject"], row["not_after"], row["days_left"], fail_within_days))
        if fail_on_flags:
            failures.extend("{0}: {1}".format(where, flag) for flag in row["flags"])
    return failures


def build_report(entries, fail_within_days=14, warn_within_days=30, expected_hosts=(), fail_on_flags=True, generated_at=None):
    """entries: [{host, files}], files as temporal_cert_info returns them. Returns the report as a dict."""
    fail_within_days = _check_number(fail_within_days, "fail_within_days")
    warn_within_days = max(_check_number(warn_within_days, "warn_within_days"), fail_within_days)
    for entry in entries:
        if not isinstance(entry, dict) or "host" not in entry or not isinstance(entry.get("files"), list):
            raise ReportError("each entry needs a host and the files temporal_cert_info returned, not {0!r}".format(entry))
    cas = {}
    for entry in entries:
        for item in entry["files"]:
            for cert in item.get("certificates") or []:
                if cert.get("is_ca"):
                    cas.setdefault(cert["fingerprint_sha256"], cert)
    cas = list(cas.values())

    rows = []
    for entry in entries:
        for item in entry["files"]:
            if not item.get("exists"):
                rows.append(_row(entry["host"], item["path"], status="missing", flags=["file is missing"]))
                continue
            certs = item["certificates"]
            order_problem = bundle_order_problem(certs)
            for position, cert in enumerate(certs, start=1):
                flags = []
                issuer = outlived_issuer(cert, cas)
                if issuer is not None:
                    flags.append("outlives its issuer {0} (ends {1})".format(issuer["subject"], issuer["not_after"]))
                if position == 1 and order_problem:
                    flags.append(order_problem)
                status = expiry_status(int(cert["days_left"]), fail_within_days, warn_within_days)
                rows.append(_row(entry["host"], item["path"], position, len(certs), cert, status, flags))
    reported = set(entry["host"] for entry in entries)
    for host in expected_hosts or ():
        if host not in reported:
            rows.append(_row(host, None, status="no data", flags=["no certificate facts: the host was unreachable or failed"]))
    rows.sort(key=lambda row: (row["not_after"] or _NEVER, row["host"], row["file"] or "", row["position"] or 0))

    failures = _failures(rows, fail_within_days, fail_on_flags)
    summary = {}
    for row in rows:
        summary[row["status"]] = summary.get(row["status"], 0) + 1
    summary["flagged"] = sum(1 for row in rows if row["flags"])
    return dict(
        generated_at=generated_at,
        fail_within_days=fail_within_days,
        warn_within_days=warn_within_days,
        fail_on_flags=bool(fail_on_flags),
        rows=rows,
        summary=summary,
        failures=failures,
        table=render_table(rows),
    )


def _file_label(row):
    if row["file"] is None:
        return "-"
    if row["count"] > 1:
        return "{0}[{1}/{2}]".format(row["file"], row["position"], row["count"])
    return row["file"]


def _status_label(row):
    return "; ".join([row["status"].upper() if row["status"] != "ok" else "ok"] + row["flags"])


def render_table(rows):
    """The report as lines of aligned columns, header first."""
    cells = []
    for row in rows:
        view = dict(row, file_label=_file_label(row), status_label=_status_label(row))
        cells.append(["-" if view[key] is None else str(view[key]) for key, _title in COLUMNS])
    titles = [title for _key, title in COLUMNS]
    widths = [max([len(title)] + [len(line[i]) for line in cells]) for i, title in enumerate(titles)]

    def line(values):
        padded = [value.ljust(widths[i]) for i, value in enumerate(values[:-1])] + [values[-1]]
        return "  ".join(padded).rstrip()

    return [line(titles)] + [line(values) for values in cells]
