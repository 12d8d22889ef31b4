"""The streams are flat: no stream derives from another, and every request goes through the
API client the tap built (one per tap, the same object in every stream)."""

from __future__ import annotations

import itertools

from tap_heymarket.tap import STREAM_TYPES, TapHeymarket


def test_no_stream_derives_from_another_stream() -> None:
    """A change to one stream (contacts) must not silently change another (tags, templates)."""
    for one, other in itertools.permutations(STREAM_TYPES, 2):
        assert not issubclass(one, other), f"{one.__name__} derives from {other.__name__}"


def test_every_stream_holds_the_one_api_client_its_tap_built() -> None:
    tap = TapHeymarket(config={"api_key": "k"}, validate_config=False)
    assert {id(stream.api) for stream in tap.streams.values()} == {id(tap.api)}
    assert {stream.listing.path for stream in tap.streams.values()} == {s.path for s in STREAM_TYPES}


def test_only_the_listings_with_a_documented_count_endpoint_ask_for_a_count() -> None:
    tap = TapHeymarket(config={"api_key": "k"}, validate_config=False)
    counted = {name: getattr(stream, "count_path", None) for name, stream in tap.streams.items()}
    assert {name: path for name, path in counted.items() if path} == {
        "conversations": "/v1/conversations/count",
        "contacts": "/v1/contacts/count",
    }


def test_no_stream_runs_the_sdks_own_request_loop(sandbox, monkeypatch) -> None:
    """Every stream reads through its endpoint: the SDK's paginated request loop (and with it
    ``get_new_paginator`` and ``parse_response``, which the streams therefore do not define)
    is never entered, in a run of every stream."""
    from singer_sdk import RESTStream

    from tap_heymarket.tap import STREAM_TYPES as ALL
    from tests.harness import config_for, run_sync

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the SDK's request loop ran")

    monkeypatch.setattr(RESTStream, "request_records", refuse)
    result = run_sync(config_for(sandbox.url), streams=[s.name for s in ALL])
    with_records = {m["stream"] for m in result.messages if m["type"] == "RECORD"}
    assert with_records == {s.name for s in ALL}
