"""State written by earlier builds (one bookmark per inbox and view) is read: the first run
after the upgrade starts from the oldest bookmark it replaces, re-reading no history and
skipping no change."""

from __future__ import annotations

import datetime as dt

from tap_heymarket.timestamps import format_instant
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def _old_layout(api) -> dict:
    """The per-inbox, per-view partitions the tap used to write, each at its slice's newest."""
    newest: dict[tuple[int, bool], dt.datetime] = {}
    for record in api.conversations.records.values():
        key = (record["_inbox"], record["status"] == "closed")
        newest[key] = max(newest.get(key, record["updated"]), record["updated"])
    partitions = [
        {
            "context": {"inbox_id": inbox, "closed": closed},
            "replication_key": "updated",
            "replication_key_value": format_instant(value),
        }
        for (inbox, closed), value in sorted(newest.items())
    ]
    return {"bookmarks": {"conversations": {"partitions": partitions}}}


def test_the_first_run_after_the_upgrade_starts_from_the_oldest_old_bookmark(start_sandbox) -> None:
    api = account()
    old = _old_layout(api)
    oldest = min(p["replication_key_value"] for p in old["bookmarks"]["conversations"]["partitions"])
    changed = api.bump(
        "conversations", [100_003, 100_250, 100_500], dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
    )
    result = run_sync(config_for(start_sandbox(api).url), state=old)

    emitted = set(result.ids())
    assert set(changed) <= emitted  # no change skipped
    expected = {c["id"] for c in api.conversations.records.values() if format_instant(c["updated"]) >= oldest}
    assert emitted == expected  # from the oldest bookmark on, and no further back: no history re-read
    assert len(emitted) < len(api.conversations.records) / 4
    state = CONVERSATIONS.stream_state(result.final_state)
    assert "partitions" not in state
    assert state["replication_key_value"] == format_instant(max(changed.values()))
    assert sorted(map(tuple, state["covered"])) == sorted(
        (inbox, closed) for inbox in (5001, 5002, 5003) for closed in (False, True)
    )


def test_an_inbox_the_old_state_had_no_bookmark_for_is_read_from_the_beginning(start_sandbox) -> None:
    api = account()
    old = _old_layout(api)
    partitions = old["bookmarks"]["conversations"]["partitions"]
    old["bookmarks"]["conversations"]["partitions"] = [
        p for p in partitions if p["context"]["inbox_id"] != 5002
    ]
    result = run_sync(config_for(start_sandbox(api).url), state=old)
    inbox_5002 = {c["id"] for c in api.conversations.records.values() if c["_inbox"] == 5002}
    assert inbox_5002 <= set(result.ids())
