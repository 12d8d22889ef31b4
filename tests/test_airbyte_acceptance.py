"""The Airbyte acceptance checks that apply to source-heymarket, as pytest tests.

Spec valid with secrets marked, discovery valid, a basic read whose records match their
schemas, two full reads alike, an incremental read from the last state that brings only what
is at or after it, a state from the future that brings nothing; plus the catalog's sync modes
and selected fields honoured. Every message is validated against the protocol's models
(tests/airbyte_source.py).
"""

from __future__ import annotations

import collections
import json
import typing as t

import jsonschema
import pytest

from tap_heymarket import settings
from tap_heymarket.airbyte.spec import airbyte_settings
from tests.airbyte_source import configured, run_source, sandbox_counts, state_messages
from tests.cases import account
from tests.harness import config_for, run_sync

INCREMENTAL = {"conversations": "updated", "contacts": "updated", "tags": "updated", "templates": "updated"}
INCREMENTAL_WITH_MESSAGES = {**INCREMENTAL, "messages": "date"}
#: Names Airbyte's acceptance test takes for secrets (its ``test_secret_is_properly_marked``).
SECRET_WORDS = ("key", "secret", "password", "token", "credentials", "jwt")
FUTURE = "2999-01-01T00:00:00.000000Z"


def _read(tmp_path, config, catalog, state=None):
    run = run_source(tmp_path, "read", config, catalog, state)
    assert run.exit_code == 0, run.errors()
    return run


def _discovered(tmp_path, config) -> dict[str, t.Any]:
    run = run_source(tmp_path, "discover", config)
    assert run.exit_code == 0, run.errors()
    return run.catalog


def test_spec_is_the_tap_settings_schema_with_every_secret_marked_airbyte_secret(tmp_path) -> None:
    run = run_source(tmp_path, "spec")
    assert run.exit_code == 0
    [message] = run.messages
    schema = message["spec"]["connectionSpecification"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert list(schema["properties"]) == list(airbyte_settings())
    assert "emit_activate_version_messages" not in schema["properties"]
    tap_properties = settings.CONFIG_SCHEMA["properties"]
    for name, prop in schema["properties"].items():
        assert prop.get("airbyte_secret", False) == tap_properties[name].get("secret", False), name
        assert prop["type"] == tap_properties[name]["type"]
        assert prop.get("description") == tap_properties[name].get("description")
        if any(word in name for word in SECRET_WORDS):
            assert prop.get("airbyte_secret") is True, f"{name} looks like a secret but is not marked"
    assert {n for n, p in schema["properties"].items() if p.get("airbyte_secret")} == {
        "api_secret_id",
        "api_secret_key",
        "api_key",
    }
    jsonschema.validate(config_for("http://127.0.0.1:1", inboxes=[5001]), schema)  # as PyAirbyte checks


def test_discover_offers_every_stream_with_its_schema_key_and_sync_modes(tmp_path, sandbox) -> None:
    catalog = _discovered(tmp_path, config_for(sandbox.url))
    streams = {s["name"]: s for s in catalog["streams"]}
    assert set(streams) == set(sandbox_counts(sandbox.api))
    for name, stream in streams.items():
        jsonschema.Draft7Validator.check_schema(stream["json_schema"])
        assert stream["source_defined_primary_key"] == [["id"]]
        if name in INCREMENTAL_WITH_MESSAGES:
            assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
            assert stream["source_defined_cursor"] is True
            assert stream["default_cursor_field"] == [INCREMENTAL_WITH_MESSAGES[name]]
            assert INCREMENTAL_WITH_MESSAGES[name] in stream["json_schema"]["properties"]
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"]
            assert "default_cursor_field" not in stream
    assert sandbox.api.requests == []  # discovery reads nothing


def test_a_read_of_every_stream_brings_every_record_valid_against_its_schema(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    catalog = configured(_discovered(tmp_path, config))
    run = _read(tmp_path, config, catalog)

    counts = {name: len(set(run.ids(name))) for name in sandbox_counts(api)}
    assert counts == sandbox_counts(api)
    schemas = {s["stream"]["name"]: s["stream"]["json_schema"] for s in catalog["streams"]}
    formats = jsonschema.FormatChecker()
    for record in run.records():
        jsonschema.validate(record["data"], schemas[record["stream"]], format_checker=formats)
        assert isinstance(record["emitted_at"], int)
    statuses = run.statuses()
    for name in schemas:
        assert [s for n, s in statuses if n == name] == ["STARTED", "RUNNING", "COMPLETE"], name
    assert run.errors() == []


def test_each_state_message_follows_the_records_it_covers(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    run = _read(tmp_path, config, configured(_discovered(tmp_path, config)))
    emitted: dict[str, set[str]] = {}
    for message in run.messages:
        if message["type"] == "RECORD":
            record = message["record"]
            field = INCREMENTAL_WITH_MESSAGES.get(record["stream"])
            if field:
                emitted.setdefault(record["stream"], set()).add(record["data"][field])
        elif message["type"] == "STATE":
            state = message["state"]
            assert state["type"] == "STREAM"
            name = state["stream"]["stream_descriptor"]["name"]
            bookmark = state["stream"]["stream_state"].get("replication_key_value")
            if bookmark is not None:
                assert bookmark in emitted.get(name, set()), f"{name}: STATE at {bookmark} before its record"
    assert {s["stream"]["stream_descriptor"]["name"] for s in run.states} >= set(INCREMENTAL_WITH_MESSAGES)


def test_two_sequential_full_refresh_reads_give_the_same_records(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    catalog = configured(_discovered(tmp_path, config), incremental=False)
    first, second = _read(tmp_path, config, catalog), _read(tmp_path, config, catalog)

    def rows(run: t.Any) -> list[str]:
        return sorted(json.dumps([r["stream"], r["data"]], sort_keys=True) for r in run.records())

    assert rows(first) == rows(second)
    assert {r["stream"] for r in first.records()} == set(sandbox_counts(api))


def test_an_incremental_read_from_the_last_state_brings_only_records_at_or_after_it(
    tmp_path, start_sandbox
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, messages_lookback_days=0)
    catalog = configured(_discovered(tmp_path, config))
    first = _read(tmp_path, config, catalog)
    state = state_messages(first)
    bookmarks = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in state}

    second = _read(tmp_path, config, catalog, state)
    for name, field in INCREMENTAL_WITH_MESSAGES.items():
        bookmark = bookmarks[name]["replication_key_value"]
        values = [r["data"][field] for r in second.records(name)]
        assert all(value >= bookmark for value in values), name
        assert len(values) < len(first.records(name)) / 5, name  # the ties at the bookmark only

    touched = sorted(api.conversations.records)[::50]
    for conversation_id in touched:
        api.touch(conversation_id)
    third = _read(tmp_path, config, catalog, state_messages(first, second))
    assert set(touched) <= set(third.ids("conversations"))
    assert len(third.ids("conversations")) <= len(touched) + 1


def test_a_state_from_the_future_yields_no_records(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, messages_lookback_days=0)
    catalog = configured(_discovered(tmp_path, config), streams=INCREMENTAL_WITH_MESSAGES)
    future = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": name},
                "stream_state": {"replication_key": field, "replication_key_value": FUTURE},
            },
        }
        for name, field in INCREMENTAL_WITH_MESSAGES.items()
    ]
    run = _read(tmp_path, config, catalog, future)
    assert run.records() == []


def test_full_refresh_of_an_incremental_stream_reads_it_whole_and_keeps_its_bookmark(
    tmp_path, start_sandbox
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    discovered = _discovered(tmp_path, config)
    first = _read(tmp_path, config, configured(discovered, streams=["contacts"]))
    [saved] = state_messages(first)

    again = _read(tmp_path, config, configured(discovered, incremental=False, streams=["contacts"]), [saved])
    assert sorted(again.ids("contacts")) == sorted(api.listing("contacts").records)
    assert state_messages(again) in ([], [saved])  # the bookmark is left as it was


@pytest.mark.parametrize("kept", [("id", "updated"), ("email",), ("id", "updated", "email", "custom")])
def test_each_record_keeps_the_configured_schema_s_properties_plus_key_and_cursor(
    tmp_path, start_sandbox, kept: tuple[str, ...]
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    catalog = configured(_discovered(tmp_path, config), streams=["contacts"])
    schema = catalog["streams"][0]["stream"]["json_schema"]
    schema["properties"] = {name: schema["properties"][name] for name in kept}
    run = _read(tmp_path, config, catalog)
    assert len(run.records("contacts")) == len(api.listing("contacts").records)
    assert {key for r in run.records("contacts") for key in r["data"]} == {*kept, "id", "updated"}


def test_a_read_sends_the_singer_tap_s_requests_and_brings_its_records(tmp_path, start_sandbox) -> None:
    singer_api, airbyte_api = account(), account()
    singer_config = config_for(start_sandbox(singer_api).url, max_concurrency=1)
    singer = run_sync(singer_config, streams=sandbox_counts(singer_api))
    config = config_for(start_sandbox(airbyte_api).url, max_concurrency=1)
    airbyte = _read(tmp_path, config, configured(_discovered(tmp_path, config)))

    assert collections.Counter(airbyte_api.paths()) == collections.Counter(singer_api.paths())
    for stream in sandbox_counts(singer_api):
        assert sorted(airbyte.ids(stream)) == sorted(singer.ids(stream)), stream
    singer_bookmarks = singer.final_state["bookmarks"]
    for state in state_messages(airbyte):
        name = state["stream"]["stream_descriptor"]["name"]
        assert state["stream"]["stream_state"] == singer_bookmarks[name], name


def test_the_tap_s_log_lines_are_log_messages_with_their_levels(tmp_path, start_sandbox) -> None:
    config = config_for(start_sandbox(account()).url, inbox=[5001])
    run = _read(tmp_path, config, configured(_discovered(tmp_path, config), streams=["tags"]))
    logs = [m["log"] for m in run.of("LOG")]
    assert {
        "level": "WARN",
        "message": "config: 'inbox' is not a tap-heymarket setting and is ignored; did you mean 'inboxes'?",
    } in logs
    assert any(log["level"] == "INFO" and "tags" in log["message"] for log in logs)
