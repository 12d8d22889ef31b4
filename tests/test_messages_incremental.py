"""Messages stay incremental: a run re-reads below the bookmark only what can still change.

A busy account (5,000 messages a day) used to cost every idle run its whole 7-day lookback;
now it reads down to the oldest message the previous run saw still ``sent``. A status that
changes is still picked up (the sandbox's ``POST /_sandbox/deliver`` settles messages, as
delivery receipts do), state from before re-reads the whole lookback once, and a message
stuck unsettled never holds the floor below ``messages_lookback_days``.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
import urllib.request

from heymarket_sandbox import SandboxAPI, generate
from tap_heymarket.messages import UNSETTLED_SINCE
from tap_heymarket.timestamps import format_instant
from tests.harness import config_for, run_sync

PATH = "/v1/messages/all"


def _busy_account() -> SandboxAPI:
    """About 5,000 messages a day over eight days."""
    return SandboxAPI(generate(1500, 3, contacts=300, messages=40_000, days=8, seed=19))


def _requests(api: SandboxAPI) -> int:
    count = api.request_count(PATH)
    api.requests.clear()
    return count


def test_an_idle_run_of_a_busy_account_reads_a_handful_of_pages_not_the_whole_lookback(
    start_sandbox: t.Callable[..., t.Any],
) -> None:
    api = _busy_account()
    url = start_sandbox(api).url
    newest = max(m["date"] for m in api.data.messages)
    recent = config_for(url, start_date=format_instant(newest - dt.timedelta(hours=2)))
    first = run_sync(recent, streams=["messages"])
    assert first.final_state["bookmarks"]["messages"][UNSETTLED_SINCE]  # a few still on their way
    _requests(api)

    idle = run_sync(config_for(url), first.final_state, streams=["messages"])
    assert _requests(api) <= 3
    assert idle.ids("messages")  # the unsettled ones, re-read

    before = json.loads(json.dumps(first.final_state))
    del before["bookmarks"]["messages"][UNSETTLED_SINCE]  # state written by the previous version
    run_sync(config_for(url), before, streams=["messages"])
    assert _requests(api) > 1000  # what the fixed 7-day lookback cost every idle run


def _deliver(url: str, ids: list[int]) -> None:
    body = json.dumps({"ids": ids}).encode()
    request = urllib.request.Request(f"{url}/_sandbox/deliver", data=body, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (the local sandbox)
        assert json.load(answer) == {"delivered": len(ids)}


def test_a_status_that_changes_after_the_run_reaches_the_output_of_the_next_one(
    start_sandbox: t.Callable[..., t.Any],
) -> None:
    api = SandboxAPI(generate(300, 2, contacts=60, messages=600, days=2, seed=23))
    url = start_sandbox(api).url
    first = run_sync(config_for(url), streams=["messages"])
    assert sorted(first.ids("messages")) == sorted(api.messages.records)
    pending = sorted(r["id"] for r in first.records("messages") if r["status"] == "sent")
    assert pending

    _deliver(url, pending)
    second = run_sync(config_for(url), first.final_state, streams=["messages"])
    statuses = {r["id"]: r["status"] for r in second.records("messages")}
    assert {i: statuses.get(i) for i in pending} == dict.fromkeys(pending, "delivered")
    assert second.final_state["bookmarks"]["messages"][UNSETTLED_SINCE] is None  # all settled now
    _requests(api)

    third = run_sync(config_for(url), second.final_state, streams=["messages"])
    assert _requests(api) == 1 and len(third.ids("messages")) <= 30  # the top page, nothing below


def test_a_message_stuck_unsettled_never_holds_the_floor_below_the_lookback(
    start_sandbox: t.Callable[..., t.Any],
) -> None:
    api = SandboxAPI(generate(300, 2, contacts=60, messages=3000, days=20, seed=29))
    url = start_sandbox(api).url
    first = run_sync(config_for(url, messages_lookback_days=2), streams=["messages"])
    state = first.final_state
    state["bookmarks"]["messages"][UNSETTLED_SINCE] = "2024-01-01T00:00:00.000000Z"  # 20 days below
    _requests(api)
    again = run_sync(config_for(url, messages_lookback_days=2), state, streams=["messages"])
    newest = max(m["date"] for m in api.data.messages)
    within = [m for m in api.data.messages if m["date"] >= newest - dt.timedelta(days=2)]
    assert len(within) <= len(again.ids("messages")) <= len(within) + 30
    assert _requests(api) <= len(within) // 29 + 2
