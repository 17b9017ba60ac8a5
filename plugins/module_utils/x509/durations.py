# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations as users write them (1y, 1825d, 720h, 30d12h, 33%) and as Go writes them.
Private to this collection: not a public API."""

from __future__ import annotations

import datetime
import re

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

# A year is 365 days, as in tcld.
UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([ywdhms])")
_WHOLE = re.compile(r"^(?:\d+[ywdhms])+$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")

# The longest duration taken: far past any certificate's sensible life, and inside what Go's time.Duration (about
# 292 years) and X.509 dates (to the year 9999) can hold.
MAX_YEARS = 200
HINT = "use whole numbers with units y, w, d, h, m, s, like 365d, 1y, 720h or 30d12h"


def parse_duration(value, option):
    """Return a positive timedelta for a duration string, or raise PKIError naming option."""
    text = str(value).strip().lower()
    if not _WHOLE.match(text):
        raise PKIError(option, "{0!r} is not a duration; {1}".format(value, HINT))
    seconds = sum(int(n) * UNIT_SECONDS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise PKIError(option, "{0!r} must be longer than zero".format(value))
    if seconds > MAX_YEARS * UNIT_SECONDS["y"]:
        raise PKIError(option, "{0!r} is longer than {1}y, the longest duration taken".format(value, MAX_YEARS))
    return datetime.timedelta(seconds=seconds)


class RenewBefore:
    """When to renew: a fixed time before not_after, or a fraction of the certificate's lifetime."""

    def __init__(self, value, option):
        text = str(value).strip()
        match = _PERCENT.match(text)
        self.option = option
        self.text = text
        if match:
            percent = float(match.group(1))
            if not 0 < percent < 100:
                raise PKIError(option, "{0!r} must be a percentage above 0% and below 100%".format(value))
            self.fraction = percent / 100.0
            self.delta = None
        else:
            if not _WHOLE.match(text.lower()):
                raise PKIError(option, "{0!r} is neither a duration nor a percentage; {1}, or 33%".format(value, HINT))
            self.delta = parse_duration(text, option)
            self.fraction = None

    def window(self, lifetime):
        """The renewal window for a certificate of the given lifetime (timedelta)."""
        if self.delta is not None:
            return self.delta
        return datetime.timedelta(seconds=lifetime.total_seconds() * self.fraction)

    def check_against_validity(self, validity, validity_option):
        """A fixed window as long as the validity would reissue on every run."""
        if self.delta is not None and self.delta >= validity:
            raise PKIError(
                self.option,
                "{0} is not shorter than {1} ({2}); every run would reissue".format(
                    self.text, validity_option, format_duration(validity)
                ),
            )


def format_duration(delta):
    """A compact human form (400d, 36h, 90s), used in messages and results."""
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        size = UNIT_SECONDS[unit]
        if seconds % size == 0:
            return "{0}{1}".format(seconds // size, unit)
    return "{0}s".format(seconds)


def go_duration(delta):
    """Go time.Duration text (720h, 1h30m, 45s): Temporal's config has no day unit."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += "{0}h".format(hours)
    if minutes:
        out += "{0}m".format(minutes)
    if secs:
        out += "{0}s".format(secs)
    return out


# The one form of every time the collection shows: UTC, to the second.
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


def timestamp(moment):
    return moment.strftime(TIMESTAMP)
