"""What a cursor is: one request's ``date``, and the spellings of "just above" and "below" a value.

The values only; how the next one is chosen from a page is :mod:`tap_heymarket.walk.pagination`'s.
Every instant is the tap's one spelling (``timestamps.format_instant``), so comparing two as
strings compares them in time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from tap_heymarket.timestamps import format_instant, parse_instant, shifted, truncate

ONE_US = dt.timedelta(microseconds=1)
ONE_MS = dt.timedelta(milliseconds=1)
ONE_S = dt.timedelta(seconds=1)
#: Beyond any reading's overlap: a record this much newer than the cursor was echoed, not asked for.
ECHO_TOLERANCE = ONE_S


class CursorIgnoredError(Exception):
    """The server kept answering at or above a value whatever cursor was sent."""


class CursorUnreadableError(Exception):
    """A page came back whose records carry no readable cursor value."""


def _shift(value: str, unit: dt.timedelta, delta: dt.timedelta) -> str:
    """``value`` cut down to a whole ``unit``, then moved by ``delta`` (held within the calendar)."""
    return format_instant(shifted(truncate(parse_instant(value), unit), delta))


def step_above(value: str, unit: dt.timedelta) -> str:
    """The smallest whole ``unit`` strictly above ``value``: a cursor that still includes it."""
    return _shift(value, unit, unit)


def echo_ceiling(value: str) -> str:
    """The newest value a request around ``value`` may send back under any reading."""
    return _shift(value, ONE_US, ECHO_TOLERANCE)


def ceil_to_second(value: str) -> str:
    """``value`` itself when it is a whole second, else the next whole second."""
    parsed = parse_instant(value)
    return value if parsed.microsecond == 0 else step_above(value, ONE_S)


@dataclasses.dataclass(frozen=True)
class Cursor:
    """One request's ``date`` and what its response must show to be trusted."""

    date: str | None  # the value to send; None: no cursor (the newest page)
    covers: str | None = None  # the response must reach back to this value (a witness)
    below: str | None = None  # stepping past a stuck value: nothing at or above it may come back
    rung: int = 0  # attempt on the ladder of spellings of "below"
    again: int = 0  # 1: the same request once more, to confirm that the listing ends here

    def resumable(self) -> Cursor:
        """Where a later run resumes: never past a stuck value (stuck may have been a fault)."""
        if self.below is None:
            return dataclasses.replace(self, again=0)
        return Cursor(step_above(self.below, ONE_S), covers=self.below)

    @property
    def echo_limit(self) -> str | None:
        """Values above this were not asked for under any reading (None: no limit)."""
        return None if self.date is None else echo_ceiling(self.date)


def below_ladder(value: str) -> list[str]:
    """Cursors that mean "strictly below ``value``" under the strict and inclusive readings."""
    rungs = [
        value,
        _shift(value, ONE_US, -ONE_US),
        _shift(value, ONE_MS, -ONE_MS),
        _shift(value, ONE_S, -ONE_S),
    ]
    return list(dict.fromkeys(rungs))
