from __future__ import annotations

import datetime

import pytest

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import (
    RenewBefore,
    format_duration,
    go_duration,
    parse_duration,
)

D = datetime.timedelta


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1825d", D(days=1825)),
        ("1y", D(days=365)),
        ("720h", D(hours=720)),
        ("30d12h", D(days=30, hours=12)),
        ("2w", D(days=14)),
        ("90m", D(minutes=90)),
        ("45s", D(seconds=45)),
        ("1Y", D(days=365)),
        (" 10d ", D(days=10)),
    ],
)
def test_parse_duration_accepts(text, expected):
    assert parse_duration(text, "validity") == expected


@pytest.mark.parametrize("text", ["30x", "-5d", "0", "0d", "", "d", "5", "1.5d", "5 d", "10d-1h", "P1D"])
def test_parse_duration_rejects_naming_the_option(text):
    with pytest.raises(PKIError) as exc:
        parse_duration(text, "validity")
    assert str(exc.value).startswith("validity: ")
    assert repr(text) in str(exc.value)


@pytest.mark.parametrize(
    "text, lifetime, window",
    [
        ("33%", D(days=300), D(days=99)),
        ("50%", D(hours=10), D(hours=5)),
        ("30d", D(days=365), D(days=30)),
        ("1.5%", D(days=200), D(days=3)),
    ],
)
def test_renew_before_window(text, lifetime, window):
    assert RenewBefore(text, "renew_before").window(lifetime) == window


@pytest.mark.parametrize("text", ["0%", "100%", "150%", "-1%", "abc", "0", "%"])
def test_renew_before_rejects(text):
    with pytest.raises(PKIError) as exc:
        RenewBefore(text, "renew_before")
    assert str(exc.value).startswith("renew_before: ")


@pytest.mark.parametrize("renew, validity, ok", [("30d", "365d", True), ("365d", "365d", False), ("2y", "1y", False), ("99%", "1d", True)])
def test_renew_before_must_be_shorter_than_validity(renew, validity, ok):
    renew_before = RenewBefore(renew, "renew_before")
    if ok:
        renew_before.check_against_validity(parse_duration(validity, "validity"), "validity")
    else:
        with pytest.raises(PKIError, match="^renew_before: .* not shorter than validity"):
            renew_before.check_against_validity(parse_duration(validity, "validity"), "validity")


@pytest.mark.parametrize(
    "delta, go",
    [(D(0), "0s"), (D(days=30), "720h"), (D(hours=1, minutes=30), "1h30m"), (D(seconds=45), "45s"), (D(days=1, seconds=1), "24h1s")],
)
def test_go_duration_has_no_day_unit(delta, go):
    assert go_duration(delta) == go


@pytest.mark.parametrize("delta, text", [(D(days=400), "400d"), (D(hours=36), "36h"), (D(minutes=90), "90m"), (D(seconds=61), "61s")])
def test_format_duration(delta, text):
    assert format_duration(delta) == text
