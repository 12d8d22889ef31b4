"""Conversations: ties across page boundaries, one-value pages, slices, start_date, caps."""

from __future__ import annotations

import datetime as dt
import logging

import requests

from tap_heymarket import clock
from tap_heymarket.sandbox import SandboxAPI, generate
from tap_heymarket.timestamps import format_instant, parse_instant
from tests.cases import CASES, PAGE, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def test_the_account_has_tie_groups_split_across_page_boundaries() -> None:
    """Guards the exactly-once test: its data must contain the case it claims to cover."""
    api = account()
    split = 0
    for rows in CONVERSATIONS.slices(api).values():
        for boundary in range(PAGE, len(rows), PAGE):
            if rows[boundary - 1]["updated"] == rows[boundary]["updated"]:
                split += 1
    assert split >= 3


def test_a_strict_before_cursor_loses_tied_conversations_the_tap_keeps(start_sandbox) -> None:
    """The obvious loop (date = last updated, open view only) against the tap, same data."""
    api = account()
    url = start_sandbox(api).url
    naive_ids: set[int] = set()
    for inbox in api.inbox_members:
        user = min(api.inbox_members[inbox])
        date = None
        while True:
            body = {"id": user, "filters": {"inboxes": [inbox]}}
            if date:
                body["date"] = date
            page = requests.post(
                f"{url}/v1/conversations",
                json=body,
                timeout=5,
                headers={"Authorization": "Bearer sandbox-key"},
            ).json()
            if not page:
                break
            naive_ids.update(c["id"] for c in page)
            date = page[-1]["updated"]
    tap_ids = set(run_sync(config_for(url)).ids())
    assert tap_ids == set(api.conversations.records)
    lost = len(tap_ids) - len(naive_ids)
    assert lost > len(tap_ids) / 3, f"naive loop lost only {lost}"


def test_a_page_made_of_one_updated_value_moves_on_with_a_warning(start_sandbox, caplog) -> None:
    data = generate(200, 1, seed=3, tie_share=0.0)
    same = data.conversations[50]["updated"]
    group = [c for c in data.conversations if c["status"] == "open"][40:85]  # 45 open ones
    for conversation in group:
        conversation["updated"] = same
    api = SandboxAPI(data, page_size=PAGE)
    url = start_sandbox(api).url
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(url, closed=False))
    ids = result.ids()
    assert len(ids) == len(set(ids))
    open_ids = {c["id"] for c in data.conversations if c["status"] == "open"}
    missing = open_ids - set(ids)
    assert len(missing) == len(group) - PAGE  # one page of the group is all the cursor can reach
    assert missing <= {c["id"] for c in group}
    assert format_instant(same) in caplog.text
    assert len(api.requests) < 30


def test_a_conversation_updated_in_a_slice_already_read_is_not_lost(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    config = config_for(url, max_concurrency=1)
    first_slice, last_slice = (5001, False), (5003, True)
    target = CONVERSATIONS.slices(api)[first_slice][-1]["id"]  # the oldest of the first slice
    touched_at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

    def touch_when_last_slice_starts(sandbox, path, body) -> None:
        reading_last = path == "/v1/conversations" and CONVERSATIONS.slice_of_body(body) == last_slice
        if reading_last and sandbox.conversations.records[target]["updated"] != touched_at:
            sandbox.touch(target, touched_at)

    api.on_request = touch_when_last_slice_starts
    first = run_sync(config)
    api.on_request = None
    second = run_sync(config, state=first.final_state)
    assert target in second.ids()
    assert [r["updated"] for r in second.records() if r["id"] == target] == [format_instant(touched_at)]


def test_start_date_limits_the_first_run(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    instants = sorted(c["updated"] for c in api.conversations.records.values())
    start = instants[len(instants) * 3 // 4]
    result = run_sync(config_for(url, start_date=start.isoformat()))
    expected = {c["id"] for c in api.conversations.records.values() if c["updated"] >= start}
    assert set(result.ids()) == expected
    assert api.request_count("/v1/conversations") <= len(expected) // PAGE + 2 * 6


def test_bookmarks_never_pass_the_time_the_run_started(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    future = clock.now() + dt.timedelta(days=2)
    api.touch(100_000, future.replace(microsecond=0))
    before = clock.now()
    result = run_sync(config_for(url))
    after = clock.now()
    record = next(c for c in api.conversations.records.values() if c["id"] == 100_000)
    key = CONVERSATIONS.slice_of_record(record)
    bookmark = parse_instant(CONVERSATIONS.bookmarks(result.final_state)[key])
    assert before <= bookmark <= after
