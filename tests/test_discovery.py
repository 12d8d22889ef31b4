"""What targets are told: the catalog, the settings, and records that match their schema."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from heymarket_sandbox import SandboxAPI, generate
from tap_heymarket.tap import TapHeymarket
from tests.cases import ALL_STREAMS, account
from tests.harness import config_for, run_sync

TAP = str(Path(sys.executable).with_name("tap-heymarket"))


def _catalog() -> dict:
    out = subprocess.run([TAP, "--discover"], capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out)


def test_discover_offers_conversations_incremental_on_updated_keyed_by_id() -> None:
    entry = next(s for s in _catalog()["streams"] if s["tap_stream_id"] == "conversations")
    root = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
    assert entry["key_properties"] == ["id"]
    assert entry["replication_key"] == "updated"
    assert entry["replication_method"] == "INCREMENTAL"
    assert root["table-key-properties"] == ["id"]
    assert root["valid-replication-keys"] == ["updated"]
    props = entry["schema"]["properties"]
    for field in ("created", "updated", "snooze_till"):
        assert props[field]["format"] == "date-time"
    for field in ("assigned", "inbox"):
        assert "object" in props[field]["type"]
        assert props[field]["properties"]["id"]["type"] == ["integer"]
        assert props[field]["additionalProperties"] is True
    member = props["members"]["items"]
    assert member["properties"]["id"]["type"] == ["integer"] and member["additionalProperties"]
    generated_extras = [
        "creator",
        "email_noti",
        "last_inbound",
        "local_id",
        "name",
        "noreply",
        "op",
        "type",
        "super",
        "support",
    ]
    assert all("null" in props[f]["type"] for f in generated_extras)


def test_discover_offers_every_stream_of_the_account() -> None:
    assert sorted(s["tap_stream_id"] for s in _catalog()["streams"]) == sorted(ALL_STREAMS)


def test_about_lists_every_setting_with_a_description() -> None:
    out = subprocess.run(
        [TAP, "--about", "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for name in TapHeymarket.config_jsonschema["properties"]:
        row = next(line for line in out.splitlines() if line.startswith(f"| {name} |"))
        description = row.split("|")[4].strip()
        assert description and description != "None", name


def _assert_date_times_normalised(record: dict, schema: dict) -> None:
    for name, prop in schema.get("properties", {}).items():
        value = record.get(name)
        if value is None:
            continue
        if prop.get("format") == "date-time":
            assert value.endswith("Z") and len(value) == 27, (name, value)
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif isinstance(value, dict):
            _assert_date_times_normalised(value, prop)


def record_validator(schema: dict) -> jsonschema.Draft7Validator:
    """A validator that checks ``format: date-time`` for real (needs rfc3339-validator)."""
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker(["date-time"]))


def test_the_record_validator_refuses_what_is_not_an_rfc3339_date_time() -> None:
    schema = {"type": "object", "properties": {"updated": {"type": "string", "format": "date-time"}}}
    validator = record_validator(schema)
    assert validator.is_valid({"updated": "2024-01-01T10:00:00.000000Z"})
    assert validator.is_valid({"updated": "0001-01-01T00:00:00.000000Z"})
    for wrong in ("not a date", "1-01-01T00:00:00.000000Z", "2024-01-01", "2024-13-01T00:00:00Z"):
        assert not validator.is_valid({"updated": wrong}), wrong


def test_every_record_of_every_stream_validates_against_its_emitted_schema(start_sandbox) -> None:
    api = account()
    result = run_sync(config_for(start_sandbox(api).url), streams=ALL_STREAMS)
    for stream in ALL_STREAMS:
        schema = result.schema(stream)
        validator = record_validator(schema)
        records = result.records(stream)
        assert records, stream
        for record in records:
            validator.validate(record)
            _assert_date_times_normalised(record, schema)


def test_conversations_reach_targets_in_one_shape_whatever_the_api_spelling(start_sandbox) -> None:
    api = account()
    raw = list(api.conversations.records.values())
    assert {type(c["inbox"]) for c in raw} == {int, dict}  # both spellings are served
    assert {type(c["read"]) for c in raw} == {int, bool}
    records = run_sync(config_for(start_sandbox(api).url)).records()
    assert {type(r["inbox"]) for r in records} == {dict}
    assert {type(r["read"]) for r in records} == {bool}
    assert all(isinstance(m, dict) and isinstance(m["id"], int) for r in records for m in r["members"])
    assert all(r["assigned"] is None or isinstance(r["assigned"]["id"], int) for r in records)
    by_id = {c["id"]: c for c in raw}
    for record in records:
        source = by_id[record["id"]]
        inbox_id = source["inbox"] if isinstance(source["inbox"], int) else source["inbox"]["id"]
        assert record["inbox"]["id"] == inbox_id
        assert record["read"] == bool(source["read"])
    assert any("creator" in r and "email_noti" in r for r in records)  # extra fields pass through


def test_a_read_flag_spelled_as_text_reaches_targets_as_a_boolean(start_sandbox) -> None:
    """The conformer alone turns ``read`` into a boolean (the stream adds no step of its own):
    ``"true"``/``"false"`` in any case as well as ``0``/``1``, each to the value it names."""
    api = SandboxAPI(generate(40, 2, seed=5))
    spellings = ["true", "false", "TRUE", "False", 1, 0, True, False]
    raw = sorted(api.conversations.records.values(), key=lambda c: c["id"])
    for record, spelling in zip(raw, itertools.cycle(spellings)):
        record["read"] = spelling
    served = {c["id"]: c["read"] for c in raw}
    records = run_sync(config_for(start_sandbox(api).url)).records()
    assert len(records) == len(raw)
    for record in records:
        spelled = served[record["id"]]
        wanted = spelled.lower() == "true" if isinstance(spelled, str) else bool(spelled)
        assert record["read"] is wanted, (spelled, record["read"])
    assert {type(served[r["id"]]) for r in records} == {str, int, bool}
