"""One spelling for every timestamp the tap compares, stores or sends.

The API writes instants as ``Z`` or ``+00:00``, with or without fractions. Bookmarks are
compared as strings in STATE and by targets, so every ``updated`` is rewritten to a single
fixed-width RFC 3339 UTC form before it is compared, stored or sent back as a cursor.

Fixed width matters: ``strftime("%Y")`` writes year 1 as ``1``, which is not RFC 3339 and
sorts after ``2024`` as a string, so the year is always written with four digits. An
instant whose UTC form falls outside years 1 to 9999 (``0001-01-01T00:00:00+05:30``) has
no such spelling and is refused as :class:`TimestampError`, never an ``OverflowError``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

UTC = dt.timezone.utc
EARLIEST = dt.datetime.min.replace(tzinfo=UTC)
LATEST = dt.datetime.max.replace(tzinfo=UTC)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


class TimestampError(ValueError):
    """A value that is not an RFC 3339 / ISO 8601 instant the tap can spell."""


def parse_instant(value: object) -> dt.datetime:
    """Parse an ISO 8601 instant into an aware UTC datetime.

    Naive values are taken as UTC (the API documents UTC throughout).
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            msg = f"not an RFC 3339 timestamp: {_short(value)}"
            raise TimestampError(msg) from exc
    else:
        msg = f"not an RFC 3339 timestamp: {_short(value)}"
        raise TimestampError(msg)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        msg = f"{_short(value)} falls outside years 1-9999 in UTC"
        raise TimestampError(msg) from exc


def format_instant(value: dt.datetime) -> str:
    """Format an aware datetime in the tap's one RFC 3339 UTC spelling (4-digit year)."""
    try:
        v = value.astimezone(UTC)
    except OverflowError as exc:
        msg = f"{value.isoformat()} falls outside years 1-9999 in UTC"
        raise TimestampError(msg) from exc
    return v.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"  # always 4-digit years


def normalize_instant(value: object) -> str:
    """Rewrite any accepted spelling of an instant into the tap's one spelling."""
    if isinstance(value, str):
        return _normalize_text(value)
    return format_instant(parse_instant(value))


#: Values the normalisation keeps: a page's worth and more. One value is normalised several
#: times close together (shaping, cursor, bookmark); a larger cache only grows the tap's
#: memory with the records read (8,192 values held about 2.5 MB of its peak).
NORMALIZED_CACHE = 1024


@functools.lru_cache(maxsize=NORMALIZED_CACHE)
def _normalize_text(value: str) -> str:
    """Cached: one value is normalised several times (shaping, cursor, bookmark)."""
    if len(value) == 27 and _CANONICAL.fullmatch(value):
        try:
            dt.datetime.fromisoformat(value[:-1])  # the digits must also name a real instant
        except ValueError as exc:
            msg = f"not an RFC 3339 timestamp: {_short(value)}"
            raise TimestampError(msg) from exc
        return value
    return format_instant(parse_instant(value))


def shifted(value: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``value + delta``, held within years 1-9999 instead of raising ``OverflowError``.

    Cursors step one microsecond past a record and lookbacks step days below a bookmark;
    at the ends of the calendar there is nothing beyond, so the step stops at the end.
    """
    try:
        return value + delta
    except OverflowError:
        return LATEST if delta > dt.timedelta(0) else EARLIEST


def truncate(instant: dt.datetime, unit: dt.timedelta) -> dt.datetime:
    """``instant`` cut down to a whole ``unit`` since 1970 (a millisecond, a second, …)."""
    return instant - (instant - _EPOCH) % unit


def _short(value: object) -> str:
    """A bounded description of a value (``repr`` of a deeply nested one would recurse).

    Short strings and integers are quoted; anything else is named by its type.
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return f"a {type(value).__name__}"


describe_value = _short
