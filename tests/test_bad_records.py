"""Bad records are skipped loudly and never move a bookmark; unknown fields pass through."""

from __future__ import annotations

import logging

from tap_heymarket.timestamps import format_instant
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def test_records_without_id_or_with_unparseable_updated_are_skipped_and_counted(
    start_sandbox, caplog
) -> None:
    api = account()
    api.malformed = [
        {"channel": "sms", "updated": "2030-01-01T00:00:00Z"},  # no id, and far in the future
        {"id": 999_001, "channel": "sms", "updated": "sometime soon"},
        {"id": None, "updated": "2030-01-01T00:00:00Z"},
    ]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, inboxes=[5001], closed=False))
    good = {
        c["id"] for c in api.conversations.records.values() if c["_inbox"] == 5001 and c["status"] == "open"
    }
    assert sorted(result.ids()) == sorted(good)
    warnings = [r.getMessage() for r in caplog.records if "skipping a record" in r.getMessage()]
    assert len(warnings) == 3
    assert "conversations: skipped 3 bad record(s)" in caplog.text
    newest = max(format_instant(c["updated"]) for c in api.conversations.records.values() if c["id"] in good)
    assert CONVERSATIONS.bookmark(result.final_state) == newest


def test_unknown_fields_reach_targets_untouched(start_sandbox) -> None:
    api = account()
    record = api.conversations.records[100_002]
    record["x_priority"] = {"level": 3, "tags": ["vip"]}
    api.conversations.changed(100_002)
    result = run_sync(config_for(start_sandbox(api).url))
    emitted = next(r for r in result.records() if r["id"] == 100_002)
    assert emitted["x_priority"] == {"level": 3, "tags": ["vip"]}
    assert emitted["updated"] == format_instant(record["updated"])
