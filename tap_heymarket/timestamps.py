"""One spelling for every timestamp the tap compares, stores or sends.

The API writes instants as ``Z`` or ``+00:00``, with or without fractions. Bookmarks are
compared as strings in STATE and by targets, so every ``updated`` is rewritten to a single
fixed-width RFC 3339 UTC form before it is compared, stored or sent back as a cursor.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ONE_MICROSECOND = dt.timedelta(microseconds=1)


class TimestampError(ValueError):
    """A value that is not an RFC 3339 / ISO 8601 instant."""


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
            msg = f"not an RFC 3339 timestamp: {value!r}"
            raise TimestampError(msg) from exc
    else:
        msg = f"not an RFC 3339 timestamp: {value!r}"
        raise TimestampError(msg)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_instant(value: dt.datetime) -> str:
    """Format an aware datetime in the tap's one RFC 3339 UTC spelling."""
    return value.astimezone(UTC).strftime(_FORMAT)


def normalize_instant(value: object) -> str:
    """Rewrite any accepted spelling of an instant into the tap's one spelling.

    Already-normalised strings (the common case on a hot path) are returned untouched.
    """
    if isinstance(value, str) and len(value) == 27 and value[-1] == "Z" and value[19] == ".":
        return value
    return format_instant(parse_instant(value))


def utc_now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(UTC)
