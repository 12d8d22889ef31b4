"""Record shaping: one stable shape per stream, whatever spelling the API used.

The reference contradicts itself (objects in its narrative, plain integers in its generated
schema). Targets must see one shape, so references become objects, ``read`` becomes a
boolean and timestamps take the tap's one RFC 3339 spelling (:mod:`tap_heymarket.conform`
does the rest, by the stream's schema). Unknown fields pass through.
"""

from __future__ import annotations

import typing as t

from tap_heymarket.timestamps import TimestampError, describe_value, normalize_instant


class BadRecordError(ValueError):
    """A record the tap cannot place faithfully: skipped with a warning and counted."""


class NotAnObject(dict):
    """Stands in for a page item that is not a JSON object (or could not be decoded).

    Pages keep their length and every item stays a mapping, so the paginator reads the
    cursor of the real records around it; the conformer refuses it with ``reason``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def as_reference(value: object) -> object:
    """An integer (or ASCII integer string) reference becomes ``{"id": n}``; objects pass."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"id": value}
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 30:
        return {"id": int(value)}
    return value


def as_reference_list(value: object) -> object:
    """Each member of a list of references, as :func:`as_reference`."""
    if isinstance(value, list):
        return [as_reference(item) for item in value]
    return value


def require_key(record: dict[str, t.Any], key: str) -> None:
    """Refuse a record without a usable primary key."""
    value = record.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, str)):
        msg = f"no usable {key!r} (got {describe_value(value)})"
        raise BadRecordError(msg)


def require_instant(record: dict[str, t.Any], key: str) -> str:
    """Normalise the replication key in place, refusing a record without one."""
    try:
        value = normalize_instant(record.get(key))
    except TimestampError as exc:
        msg = f"unparseable {key!r}: {describe_value(record.get(key))}"
        raise BadRecordError(msg) from exc
    record[key] = value
    return value
