"""RECORD messages without the SDK's per-record tree walks when they would change nothing.

Profiling a 20,000-conversation sync showed most of the tap's own CPU time in two SDK steps
run on every record: ``conform_record_data_types`` (a recursive walk that rebuilds every
dict) and ``pop_deselected_record_properties`` (another walk, looking up every property in
the selection mask). For records decoded from JSON and shaped by the streams, both are
almost always no-ops: every property is selected, and the conformance would hand back an
equal record.

So each stream compiles its schema once into a small checker that answers, per record,
"would the SDK's conformance change this record?" by the same rules the SDK applies to
JSON values (a property the schema does not know while ``additionalProperties`` is off, a
non-boolean in a boolean-only column, at any depth). Only when it would is the
SDK's own function called, so the output is the same either way, just cheaper. Property
selection is skipped only when the mask selects everything.
"""

from __future__ import annotations

import typing as t

from singer_sdk import singerlib as singer
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._typing import conform_record_data_types, is_object_type, is_uniform_list
from singer_sdk.helpers._util import utc_now

if t.TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.helpers import types


def _boolean_only(schema: dict[str, t.Any]) -> bool:
    """The SDK's test for a column it coerces with ``value != 0`` (boolean, maybe null)."""
    kind = schema.get("type")
    if kind is None:
        return False
    if isinstance(kind, str):
        return kind == "boolean"
    return set(kind) in ({"boolean"}, {"boolean", "null"})


class _Node:
    """One object level of a schema, reduced to the columns the conformance could change.

    Values come from a JSON decoder (which refuses NaN and Infinity) and from the streams'
    shaping, which writes JSON types only; on such values the SDK's primitive conformance
    is the identity except in boolean-only columns. So only those, nested objects, lists
    of objects, and unknown properties of closed objects need looking at.
    """

    __slots__ = ("booleans", "items", "known", "objects", "open")

    def __init__(self, schema: dict[str, t.Any]) -> None:
        properties: dict[str, t.Any] = schema.get("properties") or {}
        self.known = frozenset(properties)
        self.open = bool(schema.get("additionalProperties"))
        self.booleans = tuple(n for n, s in properties.items() if _boolean_only(s))
        self.objects: list[tuple[str, _Node]] = []
        # per uniform-list column: (item node, boolean-only items, object items)
        self.items: list[tuple[str, _Node | None, bool, bool]] = []
        for name, sub in properties.items():
            if is_uniform_list(sub):
                item = sub["items"]
                objects = bool(is_object_type(item))
                node = _Node(item) if objects and "properties" in item else None
                self.items.append((name, node, _boolean_only(item), objects))
            elif is_object_type(sub) and "properties" in sub:
                node = _Node(sub)
                if not node.trivial:
                    self.objects.append((name, node))

    @property
    def trivial(self) -> bool:
        """Nothing at this level or below could be changed."""
        return self.open and not (self.booleans or self.objects or self.items)

    def unchanged(self, record: dict[str, t.Any]) -> bool:
        """True when the SDK's conformance would return a record equal to ``record``."""
        if not self.open and not self.known.issuperset(record):
            return False  # the SDK would drop (and warn about) unknown properties
        for name in self.booleans:
            value = record.get(name)
            if value is not None and type(value) is not bool:
                return False
        for name, node in self.objects:
            value = record.get(name)
            if type(value) is dict and not node.unchanged(value):
                return False
        for name, item_node, boolean, objects in self.items:
            value = record.get(name)
            if type(value) is list and not _items_unchanged(value, item_node, boolean, objects):
                return False
        return True


def _items_unchanged(items: list[t.Any], node: _Node | None, boolean: bool, objects: bool) -> bool:
    for item in items:
        if type(item) is dict and objects:
            if node is None or not node.unchanged(item):
                return False  # (an object item schema without properties: the SDK decides)
        elif boolean and item is not None and type(item) is not bool:
            return False
    return True


class FastRecordMessages:
    """Mixin for streams: the SDK's ``_generate_record_messages``, minus no-op tree walks.

    This overrides a private SDK method (pinned ``singer-sdk ~= 0.54.9``) because the SDK
    offers no public hook between a record and its message; the body mirrors the SDK's
    (selection, conformance, stream maps, one message per map) and falls back to the
    SDK's own functions whenever they could change the record.
    """

    def _generate_record_messages(
        self, record: types.Record
    ) -> t.Generator[singer.RecordMessage, None, None]:
        stream = t.cast("Stream", self)
        schema = stream.effective_schema
        mask = stream.mask
        plan = self.__dict__.get("_fast_record_plan")
        if plan is None or plan[0] is not schema or plan[1] is not mask:
            plan = (schema, mask, _Node(schema), all(mask.values()))
            self.__dict__["_fast_record_plan"] = plan
        if not plan[3]:
            pop_deselected_record_properties(record, stream.schema, mask)
        if not plan[2].unchanged(record):
            record = conform_record_data_types(
                stream_name=stream.name,
                record=record,
                schema=schema,
                level=stream.TYPE_CONFORMANCE_LEVEL,
                logger=stream.logger,
            )
        for stream_map in stream.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield singer.RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=stream._stream_version,
                    time_extracted=utc_now(),
                )
