"""Catalogs both ways: the tap's Singer catalog as Airbyte's, a configured Airbyte catalog as the tap's.

Discovery is the tap's own (the same schemas, keys and replication keys). A configured catalog
becomes Singer selection metadata, the form the SDK already honours: each configured stream is
selected, its ``sync_mode`` becomes the stream's ``replication-method`` (``full_refresh`` of an
incremental stream forces FULL_TABLE, which reads it whole and leaves its bookmark alone) and
the properties its ``json_schema`` keeps are the selected fields (the SDK drops the others from
every record; key and cursor fields are always kept, as the SDK keeps automatic fields).
"""

from __future__ import annotations

import copy
import typing as t

from tap_heymarket.airbyte import protocol
from tap_heymarket.tap import TapHeymarket


def airbyte_streams(singer_catalog: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Each stream of the tap's catalog as an Airbyte stream."""
    streams = []
    for entry in singer_catalog["streams"]:
        schema = copy.deepcopy(entry["schema"])
        schema.pop("$schema", None)
        stream: dict[str, t.Any] = {
            "name": entry["tap_stream_id"],
            "json_schema": schema,
            "supported_sync_modes": ["full_refresh"],
            "source_defined_primary_key": [[key] for key in entry.get("key_properties") or ()],
        }
        replication_key = entry.get("replication_key")
        stream["is_resumable"] = bool(replication_key)  # a read that dies resumes from its STATE
        if replication_key:
            stream["supported_sync_modes"].append("incremental")
            stream["source_defined_cursor"] = True
            stream["default_cursor_field"] = [replication_key]
        streams.append(stream)
    return streams


SYNC_MODES = ("full_refresh", "incremental")


def discovered_catalog() -> dict[str, t.Any]:
    """The tap's Singer catalog: its streams, schemas and keys depend on no setting."""
    return TapHeymarket(config={}, validate_config=False, setup_mapper=False).catalog_dict


def singer_catalog_for(configured: object) -> dict[str, t.Any]:
    """The tap's catalog with the configured streams, sync modes and fields selected."""
    catalog = copy.deepcopy(discovered_catalog())
    by_name = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    wanted: dict[str, t.Mapping[str, t.Any]] = {}
    for item in _configured_streams(configured):
        name = item["stream"]["name"]
        if name not in by_name:
            msg = f"catalog: unknown stream {name!r} (source-heymarket offers {', '.join(sorted(by_name))})"
            raise protocol.InputError(msg)
        if item.get("sync_mode") not in SYNC_MODES:
            msg = f"catalog: {name}: sync_mode {item.get('sync_mode')!r} is not full_refresh or incremental"
            raise protocol.InputError(msg)
        wanted[name] = item
    for name, entry in by_name.items():
        _select(entry, wanted.get(name))
    return catalog


def _configured_streams(configured: object) -> list[t.Mapping[str, t.Any]]:
    items = configured.get("streams") if isinstance(configured, t.Mapping) else None
    if not isinstance(items, list) or not all(_names_a_stream(i) for i in items):
        msg = 'catalog: not a configured Airbyte catalog (expected {"streams": [{"stream": {"name": …}}]})'
        raise protocol.InputError(msg)
    return items


def _names_a_stream(item: object) -> bool:
    stream = item.get("stream") if isinstance(item, t.Mapping) else None
    return isinstance(stream, t.Mapping) and isinstance(stream.get("name"), str)


def _select(entry: dict[str, t.Any], item: t.Mapping[str, t.Any] | None) -> None:
    """Mark ``entry`` (a Singer catalog entry) as the configured stream ``item`` asks."""
    incremental = item is not None and item.get("sync_mode") == "incremental" and entry.get("replication_key")
    kept = _configured_fields(item)
    for metadata in entry["metadata"]:
        breadcrumb = metadata["breadcrumb"]
        values = metadata["metadata"]
        if breadcrumb == []:
            values["selected"] = item is not None
            if item is not None:
                values["replication-method"] = "INCREMENTAL" if incremental else "FULL_TABLE"
        elif len(breadcrumb) == 2 and kept is not None:
            values["selected"] = breadcrumb[1] in kept
    if item is not None:
        entry["replication_method"] = "INCREMENTAL" if incremental else "FULL_TABLE"


def _configured_fields(item: t.Mapping[str, t.Any] | None) -> set[str] | None:
    """The top-level fields the configured stream keeps (None: all of them)."""
    if item is None:
        return None
    schema = item["stream"].get("json_schema")
    properties = schema.get("properties") if isinstance(schema, t.Mapping) else None
    return set(properties) if isinstance(properties, t.Mapping) else None
