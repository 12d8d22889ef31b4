"""Windows in flight follow the budget: Little's law on the measured service time, within
``max_concurrency``; a free slot goes to the window farthest from done (the tail is
rebalanced); every record still arrives once. Time is a fake clock throughout."""

from __future__ import annotations

import math
import threading
import typing as t

import pytest

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.server import Fault
from tap_heymarket.ratelimit import RequestRateLimiter
from tap_heymarket.streams import ConversationsStream
from tap_heymarket.walk import cuts, inflight, splitting
from tap_heymarket.walk.cuts import even_splits
from tap_heymarket.walk.inflight import InFlight, Walked
from tap_heymarket.walk.splitting import Splitter
from tests.cases import CASES, READING_PARAMS
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def _measured(service: float, budget: float, ceiling: int = 32) -> InFlight:
    planner = InFlight(ceiling, budget)
    for _ in range(50):
        planner.observe(service)
    return planner


@pytest.mark.parametrize(
    ("service", "budget", "expected"),
    [
        (1.0, 500, 13),  # 8.3 a second x 1 s, and half as many more
        (0.25, 1200, 8),
        (0.05, 500, 1),
        (2.0, 500, 25),
    ],
)
def test_windows_in_flight_are_the_budget_times_the_service_time(
    service: float, budget: float, expected: int
) -> None:
    assert _measured(service, budget).target == expected


def test_max_concurrency_stays_a_ceiling() -> None:
    assert _measured(2.0, 1200, ceiling=6).target == 6
    assert _measured(2.0, 1200, ceiling=1).target == 1


def test_the_service_time_is_a_moving_average_that_follows_a_change_of_latency() -> None:
    planner = _measured(0.05, 500)
    for _ in range(30):
        planner.observe(1.0)
    assert planner.target == 13


def test_a_freed_slot_goes_to_the_window_farthest_from_done() -> None:
    planner = _measured(1.0, 500, ceiling=3)
    for key in ("a", "b", "c"):
        planner.started(key)
    assert not planner.claim("a", 200), "no room while the target is in flight"
    planner.claim("b", 20)
    planner.finished("c")
    assert planner.has_room()
    assert not planner.claim("b", 20), "b is far nearer its end than a"
    assert planner.claim("a", 200)
    assert not planner.has_room(), "the slot is reserved for the part split off"
    planner.started("a.7", reserved=True)
    assert planner.active == 3 and not planner.has_room()


def test_a_window_with_few_pages_left_is_not_split_and_a_failed_split_frees_its_slot() -> None:
    planner = _measured(1.0, 500, ceiling=4)
    planner.started("a")
    assert not planner.claim("a", inflight.MIN_PART_PAGES - 1)
    assert planner.claim("a", 100)
    planner.release()
    assert planner.claim("a", 100)


def test_the_main_threads_pace_caps_the_rate_worth_reaching() -> None:
    planner = _measured(0.05, 1_000_000)  # no budget to speak of
    assert planner.target == 32
    planner.observe_consumer(0.01)  # the main thread emits 100 pages a second
    assert planner.target == 8  # 100 a second x 50 ms, and half as many more


def test_where_the_interpreter_binds_round_trips_lengthened_by_waits_for_it_add_no_windows() -> None:
    planner = _measured(0.002, 1_000_000)  # the server answers in 2 ms; no budget to speak of
    planner.observe_consumer(0.01)  # the interpreter handles 100 pages a second
    assert planner.target == 1
    for _ in range(20):  # the latest round trips hold each worker's wait for the interpreter
        planner.observe(0.04)
    assert planner.target == 1, "100 pages a second x 2 ms of server: one window keeps it busy"
    budgeted = _measured(0.002, 1_200)  # where the budget binds, a longer round trip is latency
    budgeted.observe_consumer(0.01)
    for _ in range(20):
        budgeted.observe(0.5)
    assert budgeted.target == 15  # 20 a second x 0.5 s, and half as many more


def test_pages_left_come_from_the_windows_own_density() -> None:
    walked = Walked()
    walked.add(["2025-01-01T00:01:40.000000Z", "2025-01-01T00:00:00.000000Z"], 100)  # 1 a second
    assert walked.pages_between("2025-01-01T00:00:00.000000Z", "2024-12-31T23:43:20.000000Z", 11) == 100


def test_an_even_split_of_time_is_a_whole_second_strictly_inside() -> None:
    middle = even_splits("2025-01-01T00:00:10.500000Z", "2025-01-01T00:00:00.000000Z", 1)
    assert middle == ["2025-01-01T00:00:05.000000Z"]
    assert even_splits("2025-01-01T00:00:00.900000Z", "2025-01-01T00:00:00.000000Z", 1) == []


def test_where_the_listing_ends_is_estimated_from_the_counts_already_asked() -> None:
    counts = {None: 300, "2025-01-01T00:10:00.000000Z": 200, "2025-01-01T00:20:00.000000Z": 250}
    splitter = Splitter(lambda date: counts[date])
    assert splitter.oldest() is None, "nothing probed yet"
    for date in counts:
        splitter.count(date)
    # 50 records in 600 s below 00:20: the 200 below 00:10 take 2400 s more
    assert splitter.oldest() == "2024-12-31T23:30:00.000000Z"


def test_one_probe_and_the_newest_value_read_also_say_where_the_listing_ends() -> None:
    counts = {None: 300, "2025-01-01T00:10:00.000000Z": 200}
    splitter = Splitter(lambda date: counts[date])
    splitter.newest = "2025-01-01T00:20:00.000000Z"  # 300 records at or before it
    for date in counts:
        splitter.count(date)
    # 100 records in 600 s: the 200 below 00:10 take 1200 s more
    assert splitter.oldest() == "2024-12-31T23:50:00.000000Z"


def test_one_window_takes_every_free_slot_at_once_each_part_keeping_min_pages() -> None:
    planner = _measured(1.0, 500)  # 13 windows
    planner.started("a")
    planner.started("b")
    assert planner.claim("a", 5 * inflight.MIN_PART_PAGES, parts=11) == 4, "five parts of MIN_PAGES each"
    assert planner.room() == 7
    assert planner.claim("b", math.inf, parts=11) == 7, "the count's boundary: as many as are free"
    assert planner.room() == 0 and not planner.has_room()
    planner.release(3)
    assert planner.room() == 3


def test_windows_splitting_at_once_on_many_threads_never_claim_more_than_the_free_slots() -> None:
    planner = _measured(1.0, 500)  # 13 windows, 2 in flight: 11 free slots
    planner.started("a")
    planner.started("b")
    start = threading.Barrier(24)
    granted: list[int] = []

    def split(n: int) -> None:
        start.wait()
        granted.append(planner.claim(f"w{n}", 1000, parts=2))

    workers = [threading.Thread(target=split, args=(n,)) for n in range(24)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(granted) == 11 and planner.room() == 0


def test_a_saturated_main_thread_holds_the_target_where_it_is(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(inflight.clock, "monotonic", lambda: now[0])
    planner = _measured(0.05, 1_000_000)
    for key in ("a", "b", "c"):
        planner.started(key)
    for _ in range(40):  # 10 ms to emit each page, and the next one already waiting
        now[0] += 0.0102
        planner.observe_consumer(0.01)
    assert planner.target == 3, "more windows would only hold pages in memory"
    for _ in range(40):  # 10 ms to emit, then 40 ms waiting for the next page
        now[0] += 0.05
        planner.observe_consumer(0.01)
    assert planner.target == 8  # 100 pages a second x 50 ms, and half as many more


def _counted() -> Splitter:
    """300 records below 00:30 (the newest read), 100 below 00:10, both counts asked."""
    counts = {None: 300, "2025-01-01T00:10:00.000000Z": 100}
    splitter = Splitter(lambda date: counts[date])
    splitter.newest = "2025-01-01T00:30:00.000000Z"
    for date in counts:
        splitter.count(date)
    return splitter


def test_boundaries_cut_the_records_in_equal_shares_where_the_counts_say() -> None:
    # 300 records below 00:30 (the newest read), 100 below 00:10; none below 00:00 (extrapolated)
    splitter = _counted()
    assert splitter.oldest() == "2025-01-01T00:00:00.000000Z"
    # 300 records down from 00:30 to a floor at 00:00 in four shares of 75: 00:22:30, 00:15:00, 00:07:30
    assert cuts.boundaries(
        "2025-01-01T00:30:00.000000Z",
        "2025-01-01T00:00:00.000000Z",
        splitter.oldest(),
        3,
        shares=splitter.shares,
    ) == ["2025-01-01T00:22:30.000000Z", "2025-01-01T00:15:00.000000Z", "2025-01-01T00:07:30.000000Z"]
    # a window with a floor of its own: the shares of what lies between them
    assert splitter.shares("2025-01-01T00:30:00.000000Z", "2025-01-01T00:15:00.000000Z", 2) == [
        "2025-01-01T00:25:00.000000Z",
        "2025-01-01T00:20:00.000000Z",
    ]


def test_the_part_that_reads_to_the_listings_estimated_end_gets_half_a_share() -> None:
    # as above, but no floor: the listing's end (00:00) is only the counts' estimate, so the
    # bottom part takes half a share (42.9 records) and the three above it 85.7 each
    splitter = _counted()
    assert cuts.OPEN_END_SHARE == 0.5
    assert cuts.boundaries(
        "2025-01-01T00:30:00.000000Z", None, splitter.oldest(), 3, shares=splitter.shares
    ) == ["2025-01-01T00:21:25.000000Z", "2025-01-01T00:12:51.000000Z", "2025-01-01T00:04:17.000000Z"]
    # without counts, in time: 40.5 s in 3.5 shares of 11.6 s, cut on whole seconds
    top, end = "2025-01-01T00:00:40.500000Z", "2025-01-01T00:00:00.000000Z"
    assert cuts.boundaries(top, None, end, 3, shares=None) == [
        "2025-01-01T00:00:28.000000Z",
        "2025-01-01T00:00:17.000000Z",
        "2025-01-01T00:00:05.000000Z",
    ]


def test_without_counts_a_window_is_split_evenly_in_time_on_whole_seconds_strictly_inside() -> None:
    top, floor = "2025-01-01T00:00:40.500000Z", "2025-01-01T00:00:00.000000Z"
    assert cuts.boundaries(top, floor, floor, 3, shares=None) == [
        "2025-01-01T00:00:30.000000Z",
        "2025-01-01T00:00:20.000000Z",
        "2025-01-01T00:00:10.000000Z",
    ]
    narrow = cuts.boundaries("2025-01-01T00:00:02.500000Z", floor, floor, 4, shares=None)
    assert narrow == ["2025-01-01T00:00:02.000000Z", "2025-01-01T00:00:01.000000Z"], "fewer seconds"
    assert cuts.boundaries(top, None, None, 3, shares=None) == [], "nowhere to end"


# -- the run, on a fake clock ----------------------------------------------------------------


@pytest.fixture
def fake_latency(monkeypatch) -> t.Callable[[float], list[int]]:
    """Every response reports ``latency`` seconds of round trip (no real wait anywhere).
    Returns the number of windows in flight each time one starts."""
    monkeypatch.setattr(RequestRateLimiter, "acquire", lambda self: None)
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 10)
    in_flight: list[int] = []
    started = InFlight.started

    def spy(self: InFlight, key: str, *, reserved: bool = False) -> None:
        started(self, key, reserved=reserved)
        in_flight.append(self.active)

    monkeypatch.setattr(InFlight, "started", spy)
    monkeypatch.setattr(InFlight, "observe_consumer", lambda self, seconds: None)  # not CPU-bound

    def use(latency: float) -> list[int]:
        monkeypatch.setattr(ConversationsStream, "round_trip", lambda self, response: latency)
        return in_flight

    return use


@pytest.mark.parametrize(("latency", "low", "high"), [(1.0, 9, 15), (0.05, 1, 2)])
def test_a_backfill_reads_as_many_windows_at_once_as_its_latency_needs(
    start_sandbox, fake_latency, latency: float, low: int, high: int
) -> None:
    in_flight = fake_latency(latency)
    api = SandboxAPI(generate(12000, 1, seed=5), page_size=30)
    result = run_sync(config_for(start_sandbox(api).url, max_requests_per_minute=500))
    ids = result.ids()
    assert len(ids) == len(set(ids)) and set(ids) == set(api.conversations.records)
    assert low <= max(in_flight) <= high


def test_the_tail_is_rebalanced_when_a_window_finishes(start_sandbox, fake_latency) -> None:
    in_flight = fake_latency(1.0)
    api = SandboxAPI(generate(12000, 1, seed=5), page_size=30)
    result = run_sync(config_for(start_sandbox(api).url, max_requests_per_minute=500))
    assert set(result.ids()) == set(api.conversations.records)
    peak = in_flight.index(max(in_flight))  # the target reached: no room until one finishes
    assert len(in_flight) > peak + 1, "after a window finished, its slot went to a new split"


@pytest.mark.parametrize("reading", READING_PARAMS)
def test_many_windows_emit_every_record_once_under_every_reading(
    start_sandbox, fake_latency, reading
) -> None:
    in_flight = fake_latency(1.0)
    api = SandboxAPI(generate(12000, 1, seed=5), page_size=30)
    api.reading = reading
    # tie groups on whole seconds, where even splits of time put their boundaries
    rows = sorted(api.conversations.records.values(), key=lambda r: r["updated"])
    for start in range(0, len(rows), 400):
        second = rows[start]["updated"].replace(microsecond=0)
        for row in rows[start : start + 5]:
            row["updated"] = second
    api.conversations.changed()
    result = run_sync(config_for(start_sandbox(api).url, max_requests_per_minute=500))
    ids = result.ids()
    assert len(ids) == len(set(ids)), "a record was emitted twice"
    assert set(ids) == set(api.conversations.records)
    assert CONVERSATIONS.bookmark(result.final_state) == CONVERSATIONS.newest(api)
    assert max(in_flight) >= 8


def test_a_run_of_many_windows_that_dies_resumes_every_window_and_loses_nothing(
    start_sandbox, fake_latency
) -> None:
    fake_latency(1.0)
    api = SandboxAPI(generate(12000, 1, seed=5), page_size=30)
    config = config_for(start_sandbox(api).url, max_requests_per_minute=500)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=120, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None
    resume = CONVERSATIONS.stream_state(first.states[-1])["resume"]
    assert len(resume["windows"]) >= 6, "many windows were under way"
    api.faults.clear()
    second = run_sync(config, state=first.states[-1])
    assert set(first.ids()) | set(second.ids()) == set(api.conversations.records)
    assert len(second.ids()) == len(set(second.ids()))
    assert "resume" not in CONVERSATIONS.stream_state(second.final_state)
    assert CONVERSATIONS.bookmark(second.final_state) == CONVERSATIONS.newest(api)
