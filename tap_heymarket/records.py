"""Record shaping: one stable shape per stream, whatever spelling the API used.

The reference contradicts itself (objects in its narrative, plain integers in its generated
schema). Targets must see one shape, so references become objects, ``read`` becomes a
boolean and timestamps take the tap's one RFC 3339 spelling. Unknown fields pass through.
"""

from __future__ import annotations

import typing as t

from tap_heymarket.timestamps import TimestampError, normalize_instant


class BadRecordError(ValueError):
    """A record the tap cannot place: no usable primary key or replication key."""


def as_reference(value: object) -> object:
    """An integer (or numeric string) reference becomes ``{"id": n}``; objects pass."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"id": value}
    if isinstance(value, str) and value.isdigit():
        return {"id": int(value)}
    return value


def as_reference_list(value: object) -> object:
    """Each member of a list of references, as :func:`as_reference`."""
    if isinstance(value, list):
        return [as_reference(item) for item in value]
    return value


def as_boolean(value: object) -> object:
    """``0``/``1`` (the generated schema's spelling) become booleans."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value != 0
    return value


def normalize_timestamps(record: dict[str, t.Any], fields: t.Iterable[str]) -> None:
    """Rewrite the named timestamp fields in place; unparseable optional ones become null."""
    for field in fields:
        value = record.get(field)
        if value is None or value == "":
            if field in record:
                record[field] = None
            continue
        try:
            record[field] = normalize_instant(value)
        except TimestampError:
            record[field] = None


def require_key(record: dict[str, t.Any], key: str) -> None:
    """Refuse a record without a usable primary key."""
    value = record.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, str)):
        msg = f"no usable {key!r} (got {value!r})"
        raise BadRecordError(msg)


def require_instant(record: dict[str, t.Any], key: str) -> str:
    """Normalise the replication key in place, refusing a record without one."""
    try:
        value = normalize_instant(record.get(key))
    except TimestampError as exc:
        msg = f"unparseable {key!r}: {record.get(key)!r}"
        raise BadRecordError(msg) from exc
    record[key] = value
    return value
