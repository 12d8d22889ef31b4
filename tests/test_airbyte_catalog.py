"""Configured catalogs: what the platform sends becomes the tap's selection, or one config_error line."""

from __future__ import annotations

import typing as t

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_heymarket.airbyte import protocol
from tap_heymarket.airbyte.catalog import airbyte_streams, discovered_catalog, singer_catalog_for

STREAMS = [s["name"] for s in airbyte_streams(discovered_catalog())]

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_configured_stream = st.fixed_dictionaries(
    {
        "stream": st.fixed_dictionaries(
            {"name": st.sampled_from(STREAMS) | _json},
            optional={"json_schema": st.fixed_dictionaries({}, optional={"properties": _json}) | _json},
        ),
        "sync_mode": st.sampled_from(["full_refresh", "incremental"]) | _json,
    },
    optional={"cursor_field": _json, "destination_sync_mode": _json},
)


def _root(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    return next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])


@settings(max_examples=300, deadline=None)
@given(document=_json | st.fixed_dictionaries({"streams": st.lists(_configured_stream | _json, max_size=4)}))
def test_any_catalog_document_becomes_a_selection_or_one_config_error_line(document: t.Any) -> None:
    try:
        catalog = singer_catalog_for(document)
    except protocol.InputError as exc:
        assert str(exc).startswith("catalog: ")
        assert "\n" not in str(exc)
        return
    named = {item["stream"]["name"]: item for item in document["streams"]}
    for entry in catalog["streams"]:
        root = _root(entry)
        assert root["selected"] == (entry["tap_stream_id"] in named)
        if root["selected"]:
            asked = named[entry["tap_stream_id"]]["sync_mode"] == "incremental"
            offered = entry.get("replication_key") is not None
            assert root["replication-method"] == ("INCREMENTAL" if asked and offered else "FULL_TABLE")
