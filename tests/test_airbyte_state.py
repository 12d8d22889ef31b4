"""Airbyte state round-trips: per-stream STATE messages resume each stream where it stopped.

A read that dies part-way leaves STATE messages from which the next read finishes the job
without losing a record; the ``--state`` forms the platform and PyAirbyte pass are read, and
anything else is one config_error, never a traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.server import Fault
from tap_heymarket.airbyte import protocol
from tap_heymarket.airbyte.state import StreamStates, singer_state_from
from tests.airbyte_source import SOURCE, SourceRun, configured, run_source, state_messages, validate
from tests.cases import account
from tests.harness import config_for


def _account() -> SandboxAPI:
    return SandboxAPI(generate(3000, 1, seed=13), page_size=30)


def test_a_read_that_dies_mid_stream_resumes_from_its_state_messages_and_loses_nothing(
    tmp_path, start_sandbox
) -> None:
    clean = _account()
    clean_config = config_for(start_sandbox(clean).url, closed=False, max_concurrency=1)
    catalog = configured(run_source(tmp_path, "discover", clean_config).catalog, streams=["conversations"])
    run_source(tmp_path, "read", clean_config, catalog)
    full_requests = clean.request_count("/v1/conversations")

    api = _account()
    config = config_for(start_sandbox(api).url, closed=False, max_concurrency=1)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=40, times=10**6)]
    first = run_source(tmp_path, "read", config, catalog)
    assert first.exit_code == 1
    assert [e["failure_type"] for e in first.errors()] == ["system_error"]
    saved = state_messages(first)
    assert saved and "resume" in saved[-1]["stream"]["stream_state"]  # the walk's unfinished windows

    api.faults.clear()
    api.requests.clear()
    second = run_source(tmp_path, "read", config, catalog, saved)
    assert second.exit_code == 0

    expected = {c["id"] for c in api.conversations.records.values() if c["status"] == "open"}
    assert set(first.ids("conversations")) | set(second.ids("conversations")) == expected
    assert api.request_count("/v1/conversations") == full_requests - 40 + 1  # resumed, not restarted
    final = state_messages(second)[-1]["stream"]["stream_state"]
    assert "resume" not in final


def test_state_messages_of_one_read_rebuild_the_tap_state_that_wrote_them() -> None:
    tap_state = {
        "bookmarks": {
            "conversations": {"replication_key": "updated", "replication_key_value": "2024-01-01T00:00:00Z"},
            "contacts": {"replication_key": "updated", "resume": {"windows": [], "top": None}},
        }
    }
    messages = StreamStates({}).messages(tap_state)
    for message in messages:
        validate(message)
    assert singer_state_from([m["state"] for m in messages]) == tap_state
    assert singer_state_from(messages) == tap_state  # whole STATE messages, too
    assert singer_state_from(tap_state) == tap_state  # a Singer tap's state file
    assert singer_state_from([{"type": "LEGACY", "data": tap_state}]) == tap_state
    assert singer_state_from([]) == {}


def test_a_stream_s_state_is_repeated_only_when_its_bookmark_changed() -> None:
    start = {"bookmarks": {"tags": {"value": "a"}, "contacts": {"value": "a"}}}
    states = StreamStates(start)
    assert states.messages(start) == []
    moved = {"bookmarks": {"tags": {"value": "b"}, "contacts": {"value": "a"}}}
    assert states.messages(moved) == [protocol.stream_state("tags", {"value": "b"})]
    assert states.messages(moved) == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
_entries = st.fixed_dictionaries(
    {"type": st.sampled_from(["STREAM", "GLOBAL", "LEGACY", "STATE", None, 3])},
    optional={"stream": _json, "data": _json, "state": _json, "global": _json},
)


@settings(max_examples=300, deadline=None)
@given(document=_json | st.lists(_entries | _json, max_size=4))
def test_any_state_document_is_read_or_refused_with_one_line(document: t.Any) -> None:
    try:
        state = singer_state_from(document)
    except protocol.InputError as exc:
        assert str(exc).startswith("state: cannot be read: ")
        assert "\n" not in str(exc)
        return
    assert isinstance(state, dict)
    assert set(state) <= {"bookmarks"}
    json.dumps(state)


@pytest.mark.parametrize("document", [[{"type": "STREAM", "stream": {"stream_descriptor": {"name": 5}}}], 7])
def test_unreadable_state_documents_name_what_is_wrong(document: t.Any) -> None:
    with pytest.raises(protocol.InputError, match="state: cannot be read"):
        singer_state_from(document)


def test_sigterm_mid_read_exits_143_with_one_error_and_states_from_which_nothing_is_lost(
    tmp_path, start_sandbox
) -> None:
    api = account()
    api.latency = 0.05
    url = start_sandbox(api).url
    config = config_for(url, max_concurrency=4)
    catalog = configured(run_source(tmp_path, "discover", config).catalog, streams=["conversations"])
    for name, document in (("config", config), ("catalog", catalog)):
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    out, err = tmp_path / "out.jsonl", tmp_path / "err.log"
    argv = ["read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([SOURCE, *argv], stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 60
    while out.read_bytes().count(b'"type":"RECORD"') < 60 and time.monotonic() < deadline:
        assert process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    assert "Traceback" not in err.read_text()

    messages = [json.loads(line) for line in out.read_text().splitlines()]
    for message in messages:
        validate(message)
    first = SourceRun(messages, 143)
    [error] = first.errors()
    assert error["failure_type"] == "system_error"
    assert error["message"].startswith("Interrupted by SIGTERM")
    assert first.statuses()[-1] == ("conversations", "INCOMPLETE")
    assert len(set(first.ids("conversations"))) < len(api.conversations.records)

    api.latency = 0.0
    second = run_source(tmp_path, "read", config, catalog, state_messages(first))
    both = set(first.ids("conversations")) | set(second.ids("conversations"))
    assert both == set(api.conversations.records)
