"""Where a listing ends is only estimated (:meth:`Splitter.oldest`), from counts of the newer,
denser records: on an account whose older records are sparser it falls short. A window that
reads past it has the count asked again below its cursor, so the estimate follows the walk
and the window is split again, instead of reading the rest of the listing alone (on the
independent stand-in, 9,000 and 30,000 conversations at 250 ms: 0.52 and 0.40 of the limit
before, 0.87 and 0.95 after). Only a split's placement rests on it, never a record."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heymarket_sandbox.data import generate
from heymarket_sandbox.server import SandboxAPI
from tap_heymarket.timestamps import format_instant, parse_instant
from tap_heymarket.walk import splitting
from tap_heymarket.walk.cursor import Cursor, ceil_to_second
from tap_heymarket.walk.inflight import InFlight, Walked
from tap_heymarket.walk.plan import Window
from tap_heymarket.walk.split_off import SplitOff
from tap_heymarket.walk.splitting import Splitter
from tests.cases import PAGE, READINGS, REFERENCE
from tests.harness import config_for, run_sync, settle_counts

NEWEST = parse_instant("2025-01-01T00:00:00.000000Z")
TOTAL = 3_600
END = 100_000.0  # seconds below NEWEST where the records end
STUCK = 30.0


def at(age: float) -> str:
    """The instant ``age`` seconds below :data:`NEWEST`."""
    return format_instant(NEWEST - dt.timedelta(seconds=age))


class AgingCounter:
    """A listing of :data:`TOTAL` records whose density falls with age (those newer than ``s``
    seconds number ``TOTAL * sqrt(s / END)``); every request recorded, with how many were
    under way when it came (``crowd``); ``gate`` holds them."""

    def __init__(self) -> None:
        self.asked: list[str | None] = []
        self.crowd: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self._under_way = 0

    def __call__(self, date: str | None) -> int:
        with self._lock:
            self.asked.append(date)
            self.crowd.append(self._under_way)
            self._under_way += 1
        try:
            assert self.gate.wait(STUCK)
        finally:
            with self._lock:
                self._under_way -= 1
        if date is None:
            return TOTAL
        age = (NEWEST - parse_instant(date)).total_seconds()
        return max(0, round(TOTAL - TOTAL * math.sqrt(min(max(age, 0.0), END) / END)))


def _placed() -> tuple[AgingCounter, Splitter]:
    """A splitter after a walk's first page (30 records over the newest 7 s) and its probes."""
    counter = AgingCounter()
    splitter = Splitter(counter)
    first = END * (30 / TOTAL) ** 2  # the age of the first page's 30th record
    assert splitter.search_in_background(at(first), first, 30, at(0), wait=STUCK) is None
    settle_counts(splitter)
    return counter, splitter


def _age(instant: str | None) -> float:
    assert instant is not None
    return (NEWEST - parse_instant(instant)).total_seconds()


@pytest.fixture
def no_following(monkeypatch) -> None:
    """Only the first probes, and those a window past the end asks (:meth:`Splitter.probe_below`)."""
    monkeypatch.setattr(Splitter, "_follow_end", lambda self: None)


@pytest.mark.usefixtures("no_following")
def test_the_first_counts_alone_place_the_end_too_high_where_older_records_are_sparser() -> None:
    _counter, splitter = _placed()
    assert _age(splitter.oldest()) < 0.7 * END, "the premise: the end is placed far too high"


def test_the_end_is_followed_down_one_count_at_a_time_until_it_holds() -> None:
    counter, splitter = _placed()
    assert abs(_age(splitter.oldest()) - END) < 0.01 * END, "the estimate reaches the real end"
    first = 1 + len(splitting.RUNGS)  # the total and the first probes, asked at once
    followed = counter.crowd[first:]
    assert followed, "counts were asked below the first ones"
    assert len(followed) <= splitting.DESCENTS
    assert all(crowd == 0 for crowd in followed), "each only once the counts before it were back"
    lows = [_age(date) for date in counter.asked[first:]]
    assert lows == sorted(lows), "each below the one before"


def test_no_count_is_asked_once_the_run_is_over() -> None:
    counter = AgingCounter()
    splitter = Splitter(counter)
    splitter._start_total().join(STUCK)
    counter.gate.clear()  # the first probes are under way
    first = END * (30 / TOTAL) ** 2
    assert splitter.search_in_background(at(first), first, 30, at(0)) is None
    splitter.finish()
    counter.gate.set()
    settle_counts(splitter)
    assert len(counter.asked) == 1 + len(splitting.RUNGS), "nothing followed the first probes"


@pytest.mark.usefixtures("no_following")
def test_a_window_past_the_estimated_end_has_the_count_asked_below_its_cursor() -> None:
    counter, splitter = _placed()
    estimate = splitter.oldest()
    assert estimate is not None
    cursor = format_instant(parse_instant(estimate) - dt.timedelta(seconds=60, microseconds=250_000))
    splitter.probe_below(cursor)
    settle_counts(splitter)
    whole = format_instant(parse_instant(cursor).replace(microsecond=0))
    assert counter.asked[-1] == whole, "one count, at the cursor's whole second"
    moved = splitter.oldest()
    assert moved is not None and moved < whole < estimate, "the end moves below the window"
    assert moved > at(END), "still an estimate from above"
    assert splitter.shares(whole, moved, 2) is not None, "the new count places the window's splits"


@pytest.mark.usefixtures("no_following")
def test_a_probe_is_asked_once_at_a_time_and_each_between_the_counts_of_some_and_of_none() -> None:
    counter, splitter = _placed()
    asked = len(counter.asked)
    splitter.probe_below(at(100))  # above the lowest count of some: it says nothing new
    assert len(counter.asked) == asked
    counter.gate.clear()
    splitter.probe_below(at(40_000))
    splitter.probe_below(at(50_000))  # the first is still under way
    counter.gate.set()
    settle_counts(splitter)
    splitter.probe_below(at(2 * END))  # counts none
    settle_counts(splitter)
    splitter.probe_below(at(3 * END))  # below a count of none: it says nothing new
    settle_counts(splitter)
    whole = [format_instant(parse_instant(at(age)).replace(microsecond=0)) for age in (40_000, 2 * END)]
    assert counter.asked[asked:] == whole


@pytest.mark.usefixtures("no_following")
def test_a_probe_that_counts_nothing_places_no_end_below_it() -> None:
    _counter, splitter = _placed()
    splitter.probe_below(at(END + 500))  # the window is at the real end: nothing below it
    settle_counts(splitter)
    end = splitter.oldest()
    assert end is not None and end >= at(END + 500), "no part is cut below a count of none"


@pytest.fixture
def short_walks_split(monkeypatch) -> None:
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 4)


@pytest.fixture
def bottoms(monkeypatch) -> list[str]:
    """The upper bound of every window split off that reads to the listing's end."""
    split = SplitOff.parts
    made: list[str] = []

    def recorded(self, key, *args):
        spawned = split(self, key, *args)
        made.extend(window.upper for _name, window in spawned if window.floor is None)
        return spawned

    monkeypatch.setattr(SplitOff, "parts", recorded)
    return made


@pytest.fixture
def crossings(monkeypatch) -> list[tuple[str, str | None]]:
    """Each window that read past the estimated end: its cursor and the estimate then."""
    probe = Splitter.probe_below
    made: list[tuple[str, str | None]] = []

    def recorded(self, date):
        made.append((date, self.oldest()))
        return probe(self, date)

    monkeypatch.setattr(Splitter, "probe_below", recorded)
    return made


@pytest.fixture
def followed(monkeypatch) -> list[str | None]:
    """Where the end stood each time the counts under way were all back and it was followed down."""
    follow = Splitter._follow_end
    made: list[str | None] = []

    def recorded(self):
        made.append(self.oldest())
        return follow(self)

    monkeypatch.setattr(Splitter, "_follow_end", recorded)
    return made


def _aging_run(start_sandbox, reading: dict) -> tuple[str, str]:
    """A sync of an account whose older records are sparser: every record, none twice.
    Returns the oldest and newest ``updated`` of the account."""
    api = SandboxAPI(generate(2_400, 3, seed=11, aging=20.0), page_size=PAGE)
    api.reading = reading
    result = run_sync(config_for(start_sandbox(api).url, max_requests_per_minute=2_400))
    ids = result.ids()
    assert len(ids) == len(set(ids)), "no record twice"
    assert set(ids) == set(api.conversations.records), "every record"
    updated = sorted(row["updated"] for row in api.conversations.records.values())
    return format_instant(updated[0]), format_instant(updated[-1])


@pytest.fixture
def two_rungs(monkeypatch) -> None:
    """The first probes only at the middle and the end the first page's density gives (as
    before the ladder): they place the end far too high on an aging account."""
    monkeypatch.setattr(splitting, "RUNGS", (0.5, 1.0))


@pytest.mark.usefixtures("latency_bound", "short_walks_split")
@pytest.mark.parametrize("reading", [REFERENCE, READINGS[2], READINGS[5], READINGS[-1]], ids=str)
def test_an_aging_account_has_its_end_followed_down_to_the_oldest_record_and_is_read_exactly_once(
    start_sandbox, followed, reading
) -> None:
    oldest, newest = _aging_run(start_sandbox, reading)
    ends = [_age_between(end, oldest, newest) for end in followed]
    assert ends and abs(ends[-1]) < 0.02, f"the end reaches the oldest record ({ends})"


@pytest.mark.usefixtures("latency_bound", "short_walks_split", "two_rungs")
@pytest.mark.parametrize("reading", [REFERENCE, READINGS[2]], ids=str)
def test_an_aging_account_is_split_below_where_the_first_counts_end_it(
    start_sandbox, bottoms, followed, reading
) -> None:
    _aging_run(start_sandbox, reading)
    assert followed and followed[0] is not None, "the first counts placed an end, then it was followed"
    assert any(upper < followed[0] for upper in bottoms if upper), "a window was split below it"


@pytest.mark.usefixtures("latency_bound", "short_walks_split", "two_rungs", "no_following")
def test_a_window_past_the_end_the_first_counts_placed_is_split_below_it(
    start_sandbox, bottoms, crossings
) -> None:
    _aging_run(start_sandbox, REFERENCE)
    assert crossings, "a window read past the first estimate of the end"
    first_estimate = crossings[0][1]
    assert first_estimate is not None
    assert any(upper < first_estimate for upper in bottoms if upper), "and was split below it"


def _age_between(instant: str | None, oldest: str, newest: str) -> float:
    """Where ``instant`` lies below ``oldest``, as a share of the span up to ``newest``."""
    assert instant is not None
    span = (parse_instant(newest) - parse_instant(oldest)).total_seconds()
    return (parse_instant(oldest) - parse_instant(instant)).total_seconds() / span


class _Source:
    """What :class:`SplitOff` asks of a stream, and nothing more (no count: an even split)."""

    name = "conversations"
    splitter = None
    logger = logging.getLogger("tests")

    class page_size:  # noqa: N801 (an attribute namespace, as the stream's PageSize reads)
        expected = 5


def test_a_split_never_cuts_above_a_value_the_window_has_kept() -> None:
    """The next cursor can stand above the page's oldest values (here the page was asked
    again a second higher: the server compares whole seconds); a part split off there emitted
    those records a second time (found on an aging account under the whole-second reading)."""
    inflight = InFlight(ceiling=8, requests_per_minute=600)
    inflight.observe(1.0)
    values = [at(60 * n) for n in range(1, 29)] + [at(5_400)] * 2  # oldest: 90 minutes down
    walked = Walked()
    walked.add(values, len(values))
    window = Window({}, floor=at(30_000), long=True)
    after = Cursor(ceil_to_second(at(30)), covers=at(30))  # above nearly every value on the page
    parts = SplitOff(t.cast("t.Any", _Source()), inflight).parts("1.2", window, after, values, walked)
    assert parts, "the premise: the window is split"
    assert all(part.upper is not None and part.upper < min(values) for _key, part in parts)


class _ListedCounter:
    """Counts records at the given ages (seconds below :data:`NEWEST`) older than ``date``."""

    def __init__(self, ages: list[float]) -> None:
        self.ages = ages
        self.asked: list[tuple[str | None, int]] = []

    def __call__(self, date: str | None) -> int:
        count = len(self.ages) if date is None else sum(age > _age(date) for age in self.ages)
        self.asked.append((date, count))
        return count


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    records=st.integers(min_value=1, max_value=6_000),
    scale=st.floats(min_value=1.0, max_value=1e8),
    power=st.floats(min_value=0.2, max_value=6.0),
    first=st.floats(min_value=1.0, max_value=1e6),
)
def test_following_the_end_asks_each_count_between_those_of_some_and_none_and_stops(
    records: int, scale: float, power: float, first: float
) -> None:
    """Any account whose records thin out (or crowd) with age at any rate, any first page."""
    ages = [scale * (n / records) ** power for n in range(1, records + 1)]
    counter = _ListedCounter(ages)
    splitter = Splitter(counter)
    splitter.search_in_background(at(first), first, 30, at(0), wait=STUCK)
    settle_counts(splitter)
    opening = 1 + len(splitting.RUNGS)
    assert len(counter.asked) <= opening + splitting.DESCENTS, "it stops"
    for n in range(opening, len(counter.asked)):
        date, _count = counter.asked[n]
        before = counter.asked[:n]
        assert date is not None
        assert all(date < d for d, c in before if d is not None and c > 0), "below every count of some"
        assert all(date > d for d, c in before if d is not None and c <= 0), "above every count of none"
    end = splitter.oldest()
    nones = [d for d, c in counter.asked if d is not None and c <= 0]
    assert end is None or all(end >= d for d in nones), "never placed below a count of none"
