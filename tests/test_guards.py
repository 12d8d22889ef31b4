"""Guards that no other test noticed when removed: each test here fails without its guard.

Found by removing guards one at a time and running the whole suite (issue 21): every one of
these left it green. The test names say what the guard is for.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
import types

import backoff._sync
import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket import clock
from tap_heymarket.conform import Conformer
from tap_heymarket.directory import member_groups
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.records import BadRecordError
from tap_heymarket.tap import TapHeymarket
from tap_heymarket.timestamps import format_instant
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = "/v1/conversations"


@pytest.fixture
def sleeps(monkeypatch) -> dict[str, list[float]]:
    """Backoff's waits and the limiter's waits, recorded instead of slept, apart."""
    recorded: dict[str, list[float]] = {"backoff": [], "limiter": []}
    fake_time = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    fake_time.sleep = recorded["backoff"].append
    monkeypatch.setattr(backoff._sync, "time", fake_time)
    monkeypatch.setattr(clock, "sleep", recorded["limiter"].append)
    return recorded


def test_a_retry_after_on_one_walk_holds_every_request_of_the_run(start_sandbox, sleeps) -> None:
    """The API's budget is per key: a 429 on one walk must slow the others, not only itself."""
    api = account()
    api.faults = [Fault("status", status=429, headers={"Retry-After": "20"}, path=CONVERSATIONS, after=3)]
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=4))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert sleeps["backoff"] == [20.0]
    # With the shared pause, requests after the 429 wait at the limiter for the rest of the 20 s
    # (time does not pass here, so each later request waits about that long); without it, the
    # limiter never waits more than one request slot.
    held = [s for s in sleeps["limiter"] if s > 15]
    assert len(held) >= 3


def test_http_408_request_timeout_is_retried_and_loses_nothing(start_sandbox, sleeps) -> None:
    api = account()
    api.faults = [Fault("status", status=408, path=CONVERSATIONS, after=2, times=2)]
    result = run_sync(config_for(start_sandbox(api).url))
    assert api.faults == []
    assert len(sleeps["backoff"]) == 2
    assert sorted(result.ids()) == sorted(api.conversations.records)


@pytest.mark.parametrize("key", ["data", "results", "conversations"])
def test_a_page_wrapped_in_an_object_is_unwrapped_not_refused(sandbox, key) -> None:
    stream = TapHeymarket(config=config_for(sandbox.url)).streams["conversations"]
    page = [{"id": 1}, {"id": 2}]
    assert stream.listing.records_in({key: page, "meta": {"next": None}}) == page
    with pytest.raises(HeymarketFatalError, match="not the documented array"):
        stream.listing.records_in({"items": page})


def test_member_groups_are_the_same_every_run_ties_going_to_the_lowest_member() -> None:
    """Groups decide the walks' slices, which STATE records: they must not depend on dict order."""
    members_of = {10: [7, 5], 11: [7, 5], 12: [9]}
    assert member_groups([10, 11, 12], members_of, None) == ([(5, [10, 11]), (9, [12])], [])
    reordered = {10: [5, 7], 11: [5, 7], 12: [9]}
    assert member_groups([12, 11, 10], reordered, None) == ([(5, [10, 11]), (9, [12])], [])


def test_the_account_count_is_compared_only_when_no_setting_narrows_the_read(sandbox, caplog) -> None:
    """The count endpoint counts the whole account: against one inbox it would warn falsely."""
    one_inbox = sandbox.api.data.inboxes[0]["id"]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(sandbox.url, inboxes=[one_inbox]), streams=["conversations"])
    assert 0 < len(result.ids()) < len(sandbox.api.conversations.records)
    assert "the API counted" not in caplog.text


def _dies_after_its_first_page_with_a_future_record_on_it(start_sandbox):
    """An account whose open view's newest record is dated a day ahead, and a first run of
    that view that dies after its first page: ``(api, config, first run, the oldest record)``."""
    api = account()
    config = config_for(start_sandbox(api).url, closed=False, max_concurrency=1)
    walk = CASES[0].walks(api)[(False,)]
    api.touch(walk[0]["id"], clock.now() + dt.timedelta(days=1))  # a clock a day ahead, or a bug
    api.faults = [Fault("status", status=400, path=CONVERSATIONS, after=1, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None
    api.faults.clear()
    return api, config, first, walk[-1]["id"]


def test_a_record_dated_after_the_runs_start_never_moves_the_bookmark_past_it(start_sandbox) -> None:
    """The SDK's signpost caps the bookmark at the run's start whatever a record says."""
    api, config, first, _oldest = _dies_after_its_first_page_with_a_future_record_on_it(start_sandbox)
    before = format_instant(clock.now())
    second = run_sync(config, state=first.states[-1])
    after = format_instant(clock.now())
    assert set(first.ids()) | set(second.ids()) >= {
        c["id"] for c in api.conversations.records.values() if c["status"] == "open"
    }
    assert before <= CASES[0].bookmark(second.final_state) <= after


def test_a_run_resumed_after_a_future_record_still_reads_what_changed_since_the_dead_run_began(
    start_sandbox,
) -> None:
    """Where a resumed run reads down to (``resume.top``) is capped at the dead run's start.

    A record dated in the future at the top of the listing would otherwise make it the
    resumed run's floor: a record changed after the dead run began moves above every
    unfinished window but stays below that floor, and would never be read (the resumed
    run's bookmark then passes it). The bookmark's own cap (the signpost) does not cover
    this: ``top`` is the walk's, not the SDK's.
    """
    api, config, first, oldest = _dies_after_its_first_page_with_a_future_record_on_it(start_sandbox)
    assert oldest not in first.ids()
    changed_at = clock.now()  # after the dead run began, before the next one
    api.touch(oldest, changed_at)
    second = run_sync(config, state=first.states[-1])
    emitted = {r["id"]: r["updated"] for r in second.records()}
    assert emitted.get(oldest) == format_instant(changed_at)


SHAPED = Conformer(
    {
        "type": "object",
        "properties": {
            "count": {"type": ["integer", "null"]},
            "score": {"type": ["number", "null"]},
            "read": {"type": ["boolean", "null"]},
            "at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score", math.nan),
        ("score", math.inf),
        ("count", 1.5),
        ("read", 2),
        ("at", "2024-13-45T00:00:00.000000Z"),  # the tap's own spelling, but no such day
    ],
)
def test_a_value_that_would_change_meaning_to_fit_its_column_is_refused_not_coerced(field, value) -> None:
    """Schema-valid is not enough: 1.5 read as 1, or 2 as true, is data silently changed."""
    with pytest.raises(BadRecordError):
        SHAPED({"id": 1, field: value})


def test_the_conversions_that_keep_a_values_meaning_still_happen() -> None:
    record = {"count": 2.0, "score": 1.5, "read": 1, "at": "2024-01-02T03:04:05Z"}
    assert SHAPED(record) == {"count": 2, "score": 1.5, "read": True, "at": "2024-01-02T03:04:05.000000Z"}


def test_a_boolean_reference_is_refused_as_the_boolean_it_is_not_read_as_an_id(sandbox) -> None:
    """``inbox: true`` is not inbox 1 (bool is an int in Python): the skip names the field as sent."""
    stream = TapHeymarket(config=config_for(sandbox.url)).streams["conversations"]
    with pytest.raises(BadRecordError, match=r"^'inbox': a JSON boolean"):
        stream.shape_record({"id": 1, "updated": "2024-01-01T00:00:00Z", "inbox": True})
