"""Conversations: ties across page boundaries, one-value pages, walks, start_date, caps."""

from __future__ import annotations

import datetime as dt
import logging

import requests

from heymarket_sandbox import SandboxAPI, generate
from tap_heymarket import clock
from tap_heymarket.timestamps import format_instant, parse_instant
from tests.cases import CASES, PAGE, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def test_the_account_has_tie_groups_split_across_page_boundaries() -> None:
    """Guards the exactly-once test: its data must contain the case it claims to cover."""
    api = account()
    split = 0
    for rows in CONVERSATIONS.walks(api).values():
        for boundary in range(PAGE, len(rows), PAGE):
            if rows[boundary - 1]["updated"] == rows[boundary]["updated"]:
                split += 1
    assert split >= 3


def _naive_walk(url: str, closed: bool) -> set[int]:
    """The obvious loop: date = the last record's updated, both views asked for explicitly."""
    ids: set[int] = set()
    date = None
    while True:
        body = {"id": 9001, "filters": {"inboxes": [5001, 5002, 5003], "closed": closed}}
        if date:
            body["date"] = date
        page = requests.post(
            f"{url}/v1/conversations", json=body, timeout=5, headers={"Authorization": "Bearer sandbox-key"}
        ).json()
        if not page:
            return ids
        ids.update(c["id"] for c in page)
        date = page[-1]["updated"]


def test_a_strict_before_cursor_loses_tied_conversations_the_tap_keeps(start_sandbox) -> None:
    """The obvious loop against the tap, same data, both views: ties split by a page are lost."""
    api = account()
    url = start_sandbox(api).url
    naive = _naive_walk(url, closed=False) | _naive_walk(url, closed=True)
    lost = set(api.conversations.records) - naive
    assert lost, "the data must split a tie group across a page boundary"
    values = [c["updated"] for c in api.conversations.records.values()]
    assert all(values.count(api.conversations.records[i]["updated"]) > 1 for i in lost)  # only ties
    assert set(run_sync(config_for(url)).ids()) == set(api.conversations.records)


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


def test_a_conversation_updated_in_a_walk_already_read_is_not_lost(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    config = config_for(url, max_concurrency=1)  # one worker: the open view, then the closed one
    target = CONVERSATIONS.walks(api)[(False,)][-1]["id"]  # the oldest of the walk read first
    touched_at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

    def touch_when_the_last_walk_starts(sandbox, path, body) -> None:
        reading_last = path == "/v1/conversations" and CONVERSATIONS.walk_of_body(body) == (True,)
        if reading_last and sandbox.conversations.records[target]["updated"] != touched_at:
            sandbox.touch(target, touched_at)

    api.on_request = touch_when_the_last_walk_starts
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
    bookmark = parse_instant(CONVERSATIONS.bookmark(result.final_state))
    assert before <= bookmark <= after
