"""FULL_TABLE reads everything, and ACTIVATE_VERSION tells targets which rows a full read saw.

Heymarket reports no deletions, so a full read bracketed by ACTIVATE_VERSION is the only way
a target can drop rows that disappeared. That is only safe if a full read really is full:
a stream forced to FULL_TABLE in the catalog must ignore its saved bookmark (else a target
that honours versions deletes everything older than the bookmark), and incremental runs,
which see only the top of each listing, must never send ACTIVATE_VERSION.
"""

from __future__ import annotations

import copy
import typing as t

import pytest

from tests.cases import CASES, StreamCase, account, config_extra
from tests.harness import SyncResult, catalog_selecting, config_for, run_sync

SMALL_LISTINGS = ("inboxes", "team_members", "surveys")
INCREMENTAL = tuple(case.stream for case in CASES)


def forcing_full_table(config: dict[str, t.Any], selected: t.Iterable[str], forced: t.Iterable[str]) -> dict:
    """The catalog with ``selected`` streams, ``forced`` ones set to FULL_TABLE as Meltano does it.

    Meltano's ``metadata`` extra (``replication-method: FULL_TABLE``) writes the method both
    on the stream entry and in its root metadata; so does this.
    """
    catalog = catalog_selecting(config, selected)
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] in set(forced):
            entry["replication_method"] = "FULL_TABLE"
            root = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
            root["metadata"]["replication-method"] = "FULL_TABLE"
    return catalog


def stream_messages(result: SyncResult, stream: str) -> list[dict[str, t.Any]]:
    """The RECORD and ACTIVATE_VERSION messages of one stream, in order."""
    return [m for m in result.messages if m.get("stream") == stream and m["type"] != "SCHEMA"]


def _source_ids(api: t.Any, stream: str) -> list[int]:
    if stream == "inboxes":
        return [i["id"] for i in api.data.inboxes]
    if stream == "team_members":
        return [m["id"] for m in api.data.team["members"]]
    if stream == "surveys":
        return [s["id"] for s in api.data.surveys]
    return list(api.listing(stream).records)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_stream_forced_full_table_ignores_its_saved_bookmark_and_reads_every_record(
    start_sandbox, case: StreamCase
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, **config_extra(case))
    saved = run_sync(config, streams=[case.stream]).final_state
    incremental = run_sync(config, state=saved, streams=[case.stream]).ids(case.stream)
    assert len(incremental) < len(_source_ids(api, case.stream)) // 2, "the bookmark limits incremental runs"

    catalog = forcing_full_table(config, [case.stream], [case.stream])
    full = run_sync(config, state=saved, catalog=catalog)
    ids = full.ids(case.stream)
    assert len(ids) == len(set(ids)) == len(_source_ids(api, case.stream))
    assert set(ids) == set(_source_ids(api, case.stream))
    assert full.final_state["bookmarks"][case.stream] == saved["bookmarks"][case.stream]


def _assert_versioned(result: SyncResult, stream: str) -> int:
    """ACTIVATE_VERSION before the stream's first record; every record carries its version."""
    messages = stream_messages(result, stream)
    assert messages, stream
    first = messages[0]
    assert first["type"] == "ACTIVATE_VERSION", f"{stream}: no ACTIVATE_VERSION before its records"
    records = [m for m in messages if m["type"] == "RECORD"]
    assert records, stream
    assert {r.get("version") for r in records} == {first["version"]}, stream
    return int(first["version"])


def _full_table_run(start_sandbox, *, emit: bool) -> tuple[t.Any, SyncResult]:
    """Inboxes, team members, surveys and contacts (forced FULL_TABLE) after a saved bookmark."""
    api = account()
    config = config_for(start_sandbox(api).url, emit_activate_version_messages=emit)
    saved = run_sync(config, streams=["contacts"]).final_state
    catalog = forcing_full_table(config, [*SMALL_LISTINGS, "contacts"], ["contacts"])
    return api, run_sync(config, state=saved, catalog=catalog)


def test_every_full_table_stream_opens_with_activate_version_and_versions_its_records(
    start_sandbox,
) -> None:
    api, result = _full_table_run(start_sandbox, emit=True)
    for stream in (*SMALL_LISTINGS, "contacts"):
        _assert_versioned(result, stream)
        assert sorted(result.ids(stream)) == sorted(_source_ids(api, stream)), stream


def test_every_full_table_stream_closes_with_activate_version_after_its_last_record(
    start_sandbox,
) -> None:
    _api, result = _full_table_run(start_sandbox, emit=True)
    for stream in (*SMALL_LISTINGS, "contacts"):
        version = _assert_versioned(result, stream)
        messages = stream_messages(result, stream)
        assert messages[-1] == {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}, stream
        assert sum(m["type"] == "ACTIVATE_VERSION" for m in messages) == 2, stream


def test_without_the_setting_full_table_streams_send_no_activate_version(start_sandbox) -> None:
    _api, result = _full_table_run(start_sandbox, emit=False)
    assert not [m for m in result.messages if m["type"] == "ACTIVATE_VERSION"]
    assert all("version" not in m for m in result.messages if m["type"] == "RECORD")
    assert result.ids("contacts")


def test_incremental_runs_never_send_activate_version_even_with_the_setting_on(start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, emit_activate_version_messages=True)
    first = run_sync(config, streams=INCREMENTAL)
    api.touch(min(api.conversations.records))
    second = run_sync(config, state=copy.deepcopy(first.final_state), streams=INCREMENTAL)
    for result in (first, second):
        assert {m["stream"] for m in result.messages if m["type"] == "RECORD"} == set(INCREMENTAL)
        assert not [m for m in result.messages if m["type"] == "ACTIVATE_VERSION"]
        assert all("version" not in m for m in result.messages if m["type"] == "RECORD")
