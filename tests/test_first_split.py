"""Start-up in one round trip: the total's count goes out beside the walks' first pages, so the
first page splits at once into the walk's share of the free slots; the probes that refine the
split go out at once, each its own request; a count that fails costs the split, never the sync.
A fake counter throughout (no clock, no timed wait: threads meet on events and barriers)."""

from __future__ import annotations

import threading
import typing as t

import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket.timestamps import parse_instant
from tap_heymarket.walk import cuts, splitting
from tap_heymarket.walk.plan import Window
from tap_heymarket.walk.split_off import SplitOff
from tap_heymarket.walk.splitting import SEARCHING, Splitter
from tests.cases import CASES, account
from tests.harness import config_for, run_sync, settle_counts

CONVERSATIONS = CASES[0]
NEWEST = "2025-01-01T01:00:00.000000Z"
#: A first page of 30 values over 60 s: two views, so the account holds a record a second.
FIRST_PAGE = ("2025-01-01T00:59:00.000000Z", 60.0, 30, NEWEST)
#: Never reached: a barrier or event that is not met within it fails the test, never slows it.
STUCK = 30.0


class FakeCounter:
    """Counts as a listing of ``total`` records, one a second below :data:`NEWEST`; every
    request recorded; ``gate`` (set: open) holds each request until it is set."""

    def __init__(self, total: int = 3_600, fail: t.Callable[[str | None], bool] = lambda date: False) -> None:
        self.total = total
        self.fail = fail
        self.asked: list[str | None] = []
        self.gate = threading.Event()
        self.gate.set()
        self._asked = threading.Condition()

    def __call__(self, date: str | None) -> int:
        with self._asked:
            self.asked.append(date)
            self._asked.notify_all()
        assert self.gate.wait(STUCK)
        if self.fail(date):
            msg = "HTTP 500 on POST /v1/conversations/count"
            raise RuntimeError(msg)
        if date is None:
            return self.total
        seconds = (parse_instant(NEWEST) - parse_instant(date)).total_seconds()
        return max(0, min(self.total, round(self.total - seconds)))

    def in_flight(self, requests: int) -> None:
        """Wait until ``requests`` have been asked (those past the closed gate are in flight)."""
        with self._asked:
            assert self._asked.wait_for(lambda: len(self.asked) >= requests, STUCK)


def test_the_total_is_counted_at_the_runs_start_on_a_thread_of_its_own() -> None:
    counter = FakeCounter()
    counter.gate.clear()  # the count is still under way when start() returns
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    assert splitter._search_thread is not None and splitter._search_thread.is_alive()
    counter.gate.set()
    settle_counts(splitter)
    assert counter.asked == [None]
    assert splitter.count(None) == 3_600 and counter.asked == [None], "asked once, then cached"


def test_a_run_whose_windows_all_have_a_floor_counts_nothing_at_start() -> None:
    counter = FakeCounter()
    splitter = Splitter(counter)
    splitter.start([Window({}, floor="2024-12-01T00:00:00.000000Z"), Window({}, upper=NEWEST)])
    assert splitter._search_thread is None and counter.asked == []


def test_counts_of_different_dates_go_out_at_once_and_one_date_is_asked_once() -> None:
    both_in_flight = threading.Barrier(2, timeout=STUCK)
    asked: list[str | None] = []

    def counter(date: str | None) -> int:
        asked.append(date)
        if date != "same":
            both_in_flight.wait()  # serial counts would never meet here (BrokenBarrierError)
        return 7

    splitter = Splitter(counter)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda d=d: results.append(splitter.count(d)))
        for d in ("2025-01-01T00:00:00.000000Z", "2024-06-01T00:00:00.000000Z", "same", "same")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STUCK)
    assert results == [7, 7, 7, 7]
    assert sorted(map(str, asked)) == ["2024-06-01T00:00:00.000000Z", "2025-01-01T00:00:00.000000Z", "same"]


def test_the_first_page_reads_on_while_the_total_is_under_way_then_splits_on_it() -> None:
    counter = FakeCounter()
    counter.gate.clear()
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    assert splitter.search_in_background(*FIRST_PAGE) is SEARCHING
    assert splitter.oldest() is None, "nothing says yet where the records end"
    counter.gate.set()
    assert splitter.search_in_background(*FIRST_PAGE, STUCK) is None  # waits for the total, then places
    # 3,600 records at the first page's one a second: they end an hour below the newest value
    assert splitter.oldest() == "2025-01-01T00:00:00.000000Z"
    # three parts of 1,029 and, where the records only probably end, half a share (514)
    parts = cuts.boundaries(NEWEST, None, splitter.oldest(), 3, shares=splitter.shares)
    assert parts == [
        "2025-01-01T00:42:51.000000Z",
        "2025-01-01T00:25:42.000000Z",
        "2025-01-01T00:08:34.000000Z",
    ]


def test_the_first_split_fires_its_probes_at_once_and_they_refine_where_the_records_end() -> None:
    counter = FakeCounter(total=1_800)
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    splitter._start_total().join(STUCK)
    counter.gate.clear()  # the probes are under way
    assert splitter.search_in_background(*FIRST_PAGE) is None
    # 1,800 records at the first page's one a second: the density's guess, before any probe
    assert splitter.oldest() == "2025-01-01T00:30:00.000000Z"
    # the middle and the expected end of the records, and 4, 16 and 64 times as far down in
    # case older records are sparser: all asked at once
    counter.in_flight(1 + len(splitting.RUNGS))
    assert sorted(map(str, counter.asked)) == [
        "2024-12-30T17:00:00.000000Z",
        "2024-12-31T17:00:00.000000Z",
        "2024-12-31T23:00:00.000000Z",
        "2025-01-01T00:30:00.000000Z",
        "2025-01-01T00:45:00.000000Z",
        "None",
    ]
    counter.gate.set()
    settle_counts(splitter)
    assert splitter.oldest() == "2025-01-01T00:30:00.000000Z", "the probes agree"


def test_probes_that_find_records_below_the_expected_end_move_it_down() -> None:
    counter = FakeCounter(total=3_600)  # one a second, but the first page shows two a second
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    splitter._start_total().join(STUCK)
    counter.gate.clear()
    splitter.search_in_background("2025-01-01T00:59:30.000000Z", 30.0, 30, NEWEST)
    assert splitter.oldest() == "2025-01-01T00:30:00.000000Z", "the first page's density says"
    counter.gate.set()
    settle_counts(splitter)
    assert splitter.oldest() == "2025-01-01T00:00:00.000000Z", "the probes say"


def test_where_the_records_end_is_never_below_a_probe_that_counted_none() -> None:
    counts = {None: 300, "2025-01-01T00:30:00.000000Z": 100, "2025-01-01T00:20:00.000000Z": 0}
    splitter = Splitter(lambda date: counts[date])
    splitter.newest = "2025-01-01T00:40:00.000000Z"
    for date in counts:
        splitter.count(date)
    # 200 records in 600 s above 00:30 would put the end at 00:25; nothing lies below 00:20
    assert splitter.oldest() == "2025-01-01T00:25:00.000000Z"
    counts["2025-01-01T00:28:00.000000Z"] = 0
    splitter.count("2025-01-01T00:28:00.000000Z")
    assert splitter.oldest() == "2025-01-01T00:28:00.000000Z"


def test_a_short_account_is_not_split_and_fires_no_probe() -> None:
    counter = FakeCounter(total=splitting.MIN_ACCOUNT_PAGES * 30 - 1)
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    assert splitter.search_in_background(*FIRST_PAGE, STUCK) is None
    settle_counts(splitter)
    assert counter.asked == [None], "the total only (progress asks it anyway)"
    assert splitter.oldest() is None


@pytest.mark.parametrize("failing", ["total", "probes"])
def test_a_count_that_fails_costs_the_split_never_the_search(failing: str) -> None:
    counter = FakeCounter(
        fail=(lambda date: date is None) if failing == "total" else (lambda date: date is not None)
    )
    splitter = Splitter(counter)
    splitter.start([Window({}, long=True)])
    assert splitter.search_in_background(*FIRST_PAGE, STUCK) is None
    settle_counts(splitter)
    if failing == "total":
        assert splitter.oldest() is None, "no count: no split"
    else:
        assert splitter.oldest() == "2025-01-01T00:00:00.000000Z", "the total and the first page still say"


def test_each_walks_first_window_takes_its_share_of_the_windows_in_flight() -> None:
    splitter = Splitter(FakeCounter(total=2_900))
    splitter.count(None)
    assert splitter.parts_for(55, 30, target=13, room=11) == 6, "55% of the records: 7 of 13 windows"
    assert splitter.parts_for(45, 30, target=13, room=5) == 5, "the rest, for the other view"
    assert splitter.parts_for(45, 30, target=13, room=3) == 3, "never more than the free slots"
    assert splitter.parts_for(1, 30, target=13, room=11) == 1
    assert Splitter(FakeCounter()).parts_for(45, 30, target=13, room=11) == 11, "no total: as before"


@pytest.fixture
def short_walks_split(monkeypatch, latency_bound) -> None:
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 4)


@pytest.fixture
def splits(monkeypatch) -> list[tuple[str, int]]:
    """Each split made: the key of the page it was made on (``<window>.<page>``), and its parts."""
    split = SplitOff.parts
    made: list[tuple[str, int]] = []

    def recorded(self, key, *args):
        spawned = split(self, key, *args)
        if spawned:
            made.append((key, len(spawned)))
        return spawned

    monkeypatch.setattr(SplitOff, "parts", recorded)
    return made


def test_each_walk_splits_on_its_first_page_once_the_total_is_back(
    start_sandbox, short_walks_split, splits, monkeypatch
) -> None:
    search = Splitter.search_in_background

    def search_once_counted(self, *args):  # the count is surely back (whatever the machine's load)
        self._start_total().join(STUCK)
        return search(self, *args)

    monkeypatch.setattr(Splitter, "search_in_background", search_once_counted)
    api = account()
    result = run_sync(config_for(start_sandbox(api).url))
    ids = result.ids()
    assert len(ids) == len(set(ids)) and set(ids) == set(api.conversations.records)
    first = {key for key, _parts in splits if "-" not in key and key.count(".") == 1}
    assert {"0.1", "1.1"} <= first, f"both views split on their first page: {splits}"
    totals = [
        r
        for r in api.requests
        if r.path == "/v1/conversations/count" and not {"date", "filters"} & set(r.body)
    ]
    assert len(totals) == 1, "the progress count and the split share the one total"


def test_a_count_endpoint_that_fails_at_start_costs_the_split_not_the_sync(
    start_sandbox, short_walks_split, splits
) -> None:
    api = account()
    api.faults = [Fault("status", status=500, path="/v1/conversations/count", times=10**6)]
    result = run_sync(config_for(start_sandbox(api).url))
    ids = result.ids()
    assert len(ids) == len(set(ids)) and set(ids) == set(api.conversations.records)
    assert CONVERSATIONS.bookmark(result.final_state) == CONVERSATIONS.newest(api)
    assert splits == [], "no count, no split"


def test_a_bottom_window_near_the_listings_end_is_not_split_again() -> None:
    from tap_heymarket.walk.inflight import MIN_PART_PAGES, near_the_end

    assert near_the_end(NEWEST, None, 2 * MIN_PART_PAGES - 1), "a part below the real end would be empty"
    assert near_the_end(NEWEST, None, None), "no estimate: no split"
    assert not near_the_end(NEWEST, None, 2 * MIN_PART_PAGES)
    assert not near_the_end(None, None, 1), "a walk's top window: its first split is no tail"
    assert not near_the_end(NEWEST, "2024-01-01T00:00:00.000000Z", 1), "a floor of its own is no estimate"


def test_a_far_probe_that_counts_none_back_before_the_near_ones_leaves_the_end_to_the_density() -> None:
    """The far rungs (4, 16 and 64 times as far down) often answer first; their count of none
    only bounds the end from below, it does not place it there."""
    near = threading.Event()

    def counter(date: str | None) -> int:
        if date is None:
            return 3_600
        seconds = (parse_instant(NEWEST) - parse_instant(date)).total_seconds()
        if seconds <= 3_600:  # the middle and the end the density gives: still under way
            assert near.wait(STUCK)
        return max(0, round(3_600 - seconds))

    splitter = Splitter(counter)
    splitter._start_total().join(STUCK)
    assert splitter.search_in_background(*FIRST_PAGE) is None
    assert splitter.count("2024-12-31T21:00:00.000000Z") == 0  # the 4x rung's answer, back
    assert splitter.oldest() == "2025-01-01T00:00:00.000000Z", "the density's end, not the far rung's"
    near.set()
    settle_counts(splitter)
    assert splitter.oldest() == "2025-01-01T00:00:00.000000Z"
