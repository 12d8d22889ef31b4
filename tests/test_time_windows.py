"""Long walks split into time windows read at once: exactly once across each boundary (ties
at it included) under every reading of the cursor, resumable, and only for long walks."""

from __future__ import annotations

import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket.walk import splitting
from tests.cases import CASES, READING_PARAMS, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


@pytest.fixture
def short_walks_split(monkeypatch, latency_bound) -> None:
    """The test account is small: let a walk of a few pages count as long (and the run be one
    that needs more windows in flight: ``latency_bound``)."""
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 4)


def _boundaries(api) -> list[str]:
    return sorted(
        {r.body["date"] for r in api.requests if r.path == "/v1/conversations/count" and "date" in r.body}
    )


@pytest.mark.parametrize("reading", READING_PARAMS)
def test_split_walks_emit_every_record_once_under_every_reading(
    start_sandbox, short_walks_split, reading
) -> None:
    api = account(reading)
    # a tie group sits exactly on a whole second, where a boundary may fall
    rows = sorted(api.conversations.records.values(), key=lambda r: r["updated"])
    middle = rows[len(rows) // 2]["updated"].replace(microsecond=0)
    for row in rows[len(rows) // 2 : len(rows) // 2 + 4]:
        row["updated"] = middle
    api.conversations.changed()
    result = run_sync(config_for(start_sandbox(api).url))
    ids = result.ids()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(api.conversations.records)
    assert CONVERSATIONS.bookmark(result.final_state) == CONVERSATIONS.newest(api)
    starts = [r.body.get("date") for r in api.requests if r.path == "/v1/conversations"]
    assert any(
        d is not None and d.endswith(":00.000000Z") is False and d[20:26] == "000000" for d in starts
    ) or _boundaries(api)


def test_a_split_walk_reads_its_windows_at_once_and_its_lower_window_starts_at_the_boundary(
    start_sandbox, short_walks_split
) -> None:
    api = account()
    run_sync(config_for(start_sandbox(api).url))
    dates = [r.body.get("date") for r in api.requests if r.path == "/v1/conversations"]
    probes = [r for r in api.requests if r.path == "/v1/conversations/count" and "filters" not in r.body]
    # the total (for progress too), the first probes and at most two that follow the end down
    # (records spread evenly: the first probes place it), shared by both views
    assert 2 <= len(probes) <= 1 + len(splitting.RUNGS) + 2
    assert sum(d is not None and d[20:26] == "000000" for d in dates) >= 2  # each view's lower window


def test_short_walks_are_not_split(start_sandbox) -> None:
    api = account()
    run_sync(config_for(start_sandbox(api).url))
    unfiltered = [r for r in api.requests if r.path == "/v1/conversations/count" and "filters" not in r.body]
    assert len(unfiltered) == 1  # the total, for progress only (beside each walk's own: totals.py)


def test_a_split_run_that_dies_resumes_every_window_and_loses_nothing(
    start_sandbox, short_walks_split, monkeypatch
) -> None:
    # The boundary search runs beside the walk; here the walk waits for it, so that a lower
    # window is surely split off before the listing starts failing (whatever the machine's load).
    search = splitting.Splitter.search_in_background

    def search_then_wait(self, *args):
        found = search(self, *args)
        if found is splitting.SEARCHING and self._search_thread is not None:
            self._search_thread.join()
            found = search(self, *args)
        return found

    monkeypatch.setattr(splitting.Splitter, "search_in_background", search_then_wait)
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=4)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=9, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None
    resume = CONVERSATIONS.stream_state(first.states[-1])["resume"]
    assert any("upper" in w for w in resume["windows"]), "a lower window was pending"
    api.faults.clear()
    second = run_sync(config, state=first.states[-1])
    assert set(first.ids()) | set(second.ids()) == set(api.conversations.records)
    assert "resume" not in CONVERSATIONS.stream_state(second.final_state)
    assert CONVERSATIONS.bookmark(second.final_state) == CONVERSATIONS.newest(api)


def test_a_count_endpoint_that_fails_only_costs_the_split(start_sandbox, short_walks_split) -> None:
    api = account()
    api.faults = [Fault("status", status=500, path="/v1/conversations/count", times=10**6)]
    result = run_sync(config_for(start_sandbox(api).url))
    assert set(result.ids()) == set(api.conversations.records)
