"""Records shaped to their stream's schema, or refused: the tap's only type conformance.

The SDK's own conformance guesses (any integer in a boolean column is ``value != 0``, a
string ``"false"`` stays a string, a string ``"12"`` stays a string in an integer column)
and recurses without bound. This module compiles a stream's JSON schema once into small
checks that, per record, either return a record that validates against the schema or raise
:class:`~tap_heymarket.records.BadRecordError` with the field's path and what was wrong.
The walk counts and skips such records; nothing is emitted wrong.

What is converted, and only when the value's own JSON type does not fit the column:
``"true"``/``"false"`` and ``0``/``1`` become booleans; integer strings and integral floats
become integers; ``date-time`` strings take the tap's one RFC 3339 spelling (``""`` is null
where null is allowed). Everything else that does not fit is a bad value, as are NaN and
infinities anywhere (no target can store them) and nesting deeper than :data:`MAX_DEPTH`
(Python targets' decoders stop near 1,000 levels). Unknown properties pass through where
``additionalProperties`` allows, and are dropped where it is ``false`` (as the SDK does).
Checks copy a container only when something in it changes, so the input is never mutated
and an already-conforming record is returned as the same object. Values the schema does
not describe are scanned iteratively, so no record can raise ``RecursionError``.
"""

from __future__ import annotations

import math
import re
import typing as t

from tap_heymarket.records import BadRecordError, NotAnObject
from tap_heymarket.timestamps import TimestampError, normalize_instant

MAX_DEPTH = 100
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "false": False}
_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

Check = t.Callable[[t.Any, int], t.Any]


class BadValue(Exception):  # noqa: N818 (internal signal, turned into BadRecordError)
    """A value that does not fit; ``path`` is filled in, innermost first, on the way out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def describe(self) -> str:
        """``'members[2].id': <reason>``."""
        where = ""
        for part in reversed(self.path):
            where += part if part.startswith("[") or not where else f".{part}"
        return f"{where!r}: {self.reason}" if where else self.reason


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


class Conformer:
    """One stream schema, compiled once; call it on each record (thread-safe, stateless)."""

    def __init__(self, schema: t.Mapping[str, t.Any]) -> None:
        self._root = _compile(schema)

    def __call__(self, record: object) -> dict[str, t.Any]:
        """The record, faithful and schema-valid, or :class:`BadRecordError` saying why."""
        if isinstance(record, NotAnObject):
            raise BadRecordError(record.reason)
        if type(record) is not dict:
            msg = f"a page item that is a JSON {json_type(record)}, not an object"
            raise BadRecordError(msg)
        try:
            return t.cast("dict[str, t.Any]", self._root(record, 0))
        except BadValue as exc:
            raise BadRecordError(exc.describe()) from None


def _kinds(schema: t.Mapping[str, t.Any]) -> frozenset[str] | None:
    kind = schema.get("type")
    if kind is None:
        return frozenset({"object"}) if "properties" in schema else None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _compile(schema: object) -> Check:
    if not isinstance(schema, t.Mapping):
        return any_json
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        return _first_fitting([_compile(s) for s in alternatives])
    kinds = _kinds(schema)
    if kinds is None:
        return any_json
    nullable = "null" in kinds
    strings = "string" in kinds
    date_time = strings and schema.get("format") == "date-time"
    integers = "integer" in kinds
    numbers = "number" in kinds
    booleans = "boolean" in kinds
    objects = _object_check(schema) if "object" in kinds else None
    arrays = _array_check(schema) if "array" in kinds else None
    wanted = "/".join(sorted(kinds))

    def check(value: t.Any, depth: int) -> t.Any:  # noqa: PLR0911, PLR0912 (one branch per JSON type)
        kind = type(value)
        if kind is str:
            if date_time:
                if value == "" and nullable:
                    return None
                try:
                    return normalize_instant(value)
                except TimestampError as exc:
                    raise BadValue(str(exc)) from None
            if strings:
                return value
            if (integers or numbers) and _INTEGER.fullmatch(value):
                try:
                    return int(value)
                except ValueError:  # more digits than Python converts
                    raise BadValue("an integer string too long to convert") from None
            if booleans and value.lower() in _BOOLEANS:
                return _BOOLEANS[value.lower()]
        elif value is None:
            if nullable:
                return None
            raise BadValue(f"null where the schema wants {wanted}")
        elif kind is bool:
            if booleans:
                return value
        elif kind is int:
            if integers or numbers:
                return value
            if booleans and value in (0, 1):
                return value == 1
        elif kind is float:
            if not math.isfinite(value):
                raise BadValue("NaN or an infinite number")
            if numbers:
                return value
            if integers and value.is_integer():
                return int(value)
        elif kind is dict and objects is not None:
            return objects(value, depth)
        elif kind is list and arrays is not None:
            return arrays(value, depth)
        raise BadValue(f"a JSON {json_type(value)} where the schema wants {wanted}")

    return check


def _first_fitting(checks: list[Check]) -> Check:
    def check(value: t.Any, depth: int) -> t.Any:
        error: BadValue | None = None
        for option in checks:
            try:
                return option(value, depth)
            except BadValue as exc:
                error = exc
        raise error or BadValue("no alternative of the schema fits")

    return check


def _untouched(schema: object) -> frozenset[type]:
    """The Python types a column passes through unchanged, so no check need run for them."""
    if not isinstance(schema, t.Mapping) or schema.get("anyOf") or schema.get("oneOf"):
        return frozenset()
    kinds = _kinds(schema)
    if kinds is None:
        return _SCALARS
    types: set[type] = set()
    for kind, python in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", int)):
        if kind in kinds:
            types.add(python)
    if "string" in kinds and schema.get("format") != "date-time":
        types.add(str)
    return frozenset(types)


_SCALARS: frozenset[type] = frozenset({str, int, bool, type(None)})


def _object_check(schema: t.Mapping[str, t.Any]) -> Check:
    properties = schema.get("properties") or {}
    fields = {name: (_untouched(sub), _compile(sub)) for name, sub in properties.items()}
    required = tuple(schema.get("required") or ())
    extra = schema.get("additionalProperties", True)
    others: tuple[frozenset[type], Check] | None = (_untouched(extra), _compile(extra))
    if extra is False:
        others = None  # a closed object: unknown properties are dropped, as the SDK does
    elif not isinstance(extra, t.Mapping):
        others = (_SCALARS, any_json)

    def check(value: dict[str, t.Any], depth: int) -> dict[str, t.Any]:
        if depth >= MAX_DEPTH:
            raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
        for name in required:
            if name not in value:
                missing = BadValue("missing (the schema requires it)")
                missing.path.append(name)
                raise missing
        out: dict[str, t.Any] | None = None
        for name, old in value.items():
            spec = fields.get(name, others)
            if spec is None:
                if out is None:
                    out = dict(value)
                del out[name]
                continue
            if type(old) in spec[0]:
                continue
            new = _descend(spec[1], old, depth, name)
            if new is not old:
                if out is None:
                    out = dict(value)
                out[name] = new
        return value if out is None else out

    return check


def _descend(check: Check, value: t.Any, depth: int, where: str) -> t.Any:
    """``check`` one level down; a refusal names where it happened (a field or ``[index]``)."""
    try:
        return check(value, depth + 1)
    except BadValue as exc:
        exc.path.append(where)
        raise


def _array_check(schema: t.Mapping[str, t.Any]) -> Check:
    items = schema.get("items")
    item_check = _compile(items) if isinstance(items, t.Mapping) else any_json

    def check(value: list[t.Any], depth: int) -> list[t.Any]:
        if depth >= MAX_DEPTH:
            raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
        out: list[t.Any] | None = None
        for index, old in enumerate(value):
            new = _descend(item_check, old, depth, f"[{index}]")
            if new is not old:
                if out is None:
                    out = list(value)
                out[index] = new
        return value if out is None else out

    return check


def any_json(value: t.Any, depth: int) -> t.Any:
    """Accept any finite JSON value nested at most :data:`MAX_DEPTH` deep (iteratively)."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is float:
            if not math.isfinite(item):
                raise BadValue("NaN or an infinite number")
            continue
        if kind is dict or kind is list:
            if level >= MAX_DEPTH:
                raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
            children = item.values() if kind is dict else item
            stack.extend((child, level + 1) for child in children)
            continue
        raise BadValue(f"a {kind.__name__}, which is not a JSON value")
    return value
