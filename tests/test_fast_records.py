"""The fast RECORD path must emit exactly what the SDK's own path would, and valid records.

``FastRecordMessages`` skips the SDK's conformance and selection walks when they would
change nothing; these tests hold it to the SDK's output on records that need no change,
records that do, and deselected properties. (That every emitted record validates against
its emitted SCHEMA is checked in ``test_discovery.py``.)
"""

from __future__ import annotations

import copy
import typing as t

import msgspec
import pytest
from singer_sdk import Stream

from tap_heymarket.client import _decoder
from tap_heymarket.tap import TapHeymarket
from tests.harness import catalog_selecting, config_for


def test_the_api_decoder_refuses_non_finite_numbers() -> None:
    """The fast path relies on it: the SDK would turn NaN into null, the fast path would not."""
    with pytest.raises(msgspec.DecodeError):
        _decoder.decode(b'[{"id": 1, "last_inbound": NaN}]')


def _stream(selected_off: t.Iterable[str] = ()) -> Stream:
    config = config_for("http://127.0.0.1:9")
    catalog = catalog_selecting(config, ["conversations"])
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"][-1:] and metadata["breadcrumb"][-1] in selected_off:
                metadata["metadata"]["selected"] = False
    tap = TapHeymarket(config=config, catalog=catalog)
    return tap.streams["conversations"]


def _both_ways(stream: Stream, record: dict[str, t.Any]) -> tuple[list[t.Any], list[t.Any]]:
    fast = [m.record for m in stream._generate_record_messages(copy.deepcopy(record))]
    sdk = [m.record for m in Stream._generate_record_messages(stream, copy.deepcopy(record))]
    return fast, sdk


SHAPED = {
    "id": 1,
    "channel": "sms",
    "status": "open",
    "inbox": {"id": 5001, "name": "Inbox 1"},
    "assigned": {"id": 9001, "name": "Ana", "email": "a@example.com", "extra": [1, {"x": 2}]},
    "members": [{"id": 9001, "name": "Ana"}],
    "created": "2024-01-01T00:00:00.000000Z",
    "updated": "2024-01-02T00:00:00.000000Z",
    "read": True,
    "replied": False,
    "blocked": None,
    "snooze_till": None,
    "unknown_field": {"nested": True},
    "last_inbound": 3.5,
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"read": 1, "support": 0},  # integers in boolean columns: the SDK coerces them
        {"muted": "yes"},
        {"members": [{"id": 1, "name": "x"}, 7]},
        {"assigned": None, "inbox": 5001, "members": None},
        {"members": [{"id": 1, "support_flag": 1}]},
    ],
)
def test_fast_path_emits_what_the_sdk_emits(changes: dict[str, t.Any]) -> None:
    stream = _stream()
    fast, sdk = _both_ways(stream, {**SHAPED, **changes})
    assert fast == sdk
    assert len(fast) == 1


def test_integers_in_boolean_columns_still_become_booleans() -> None:
    (record,), _ = _both_ways(_stream(), {**SHAPED, "read": 1, "support": 0})
    assert record["read"] is True
    assert record["support"] is False


def test_deselected_properties_are_still_removed() -> None:
    stream = _stream(selected_off=("target", "channel"))
    fast, sdk = _both_ways(stream, {**SHAPED, "target": "14155550000"})
    assert fast == sdk
    assert "target" not in fast[0]
    assert "channel" not in fast[0]
