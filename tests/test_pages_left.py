"""How far a window is from done: the count curve's records below it, scaled to the window's
own share of them, not its own density extrapolated (older records are sparser, so the
density of a walk's first pages puts far more pages below it than there are)."""

from __future__ import annotations

import datetime as dt
import types

from hypothesis import given
from hypothesis import strategies as st

from tap_heymarket.timestamps import format_instant, parse_instant, shifted
from tap_heymarket.walk.curve import Curve
from tap_heymarket.walk.inflight import Walked
from tap_heymarket.walk.split_off import SplitOff
from tap_heymarket.walk.splitting import Splitter

NEWEST = "2025-12-31T00:00:00.000000Z"
HOUR_AGO = "2025-12-30T23:00:00.000000Z"
DAY_AGO = "2025-12-30T00:00:00.000000Z"
MONTH_AGO = "2025-12-01T00:00:00.000000Z"
END = "2025-11-01T00:00:00.000000Z"
#: An account that thins out with age: 1,000 records, 100 in the newest hour, 400 more that
#: day, 400 in the month before and the last 100 in the month before that.
AGING = {NEWEST: 1000, HOUR_AGO: 900, DAY_AGO: 500, MONTH_AGO: 100}
PAGE = 100  # each page brings 99 new records (it sends one again)


def _read(newest: str, oldest: str, records: int) -> Walked:
    """A window that has read ``records`` records between ``oldest`` and ``newest``."""
    walked = Walked()
    walked.add([newest, oldest], records)
    return walked


def _walked_the_newest_hour(records: int = 100) -> Walked:
    return _read(NEWEST, HOUR_AGO, records)


def test_the_curve_puts_the_records_below_a_window_where_the_counts_say_they_are() -> None:
    curve = Curve.through(END, AGING)
    assert curve is not None
    read = _walked_the_newest_hour()
    assert abs(curve.pages_left(read, HOUR_AGO, END, PAGE) - 900 / 99) < 1e-9  # type: ignore[operator]
    assert abs(curve.pages_left(read, HOUR_AGO, DAY_AGO, PAGE) - 400 / 99) < 1e-9  # type: ignore[operator]
    density = _walked_the_newest_hour().pages_between(HOUR_AGO, END, PAGE)
    assert density > 100 * 900 / 99, "the first hour's density, extrapolated, says a hundred times more"


def test_a_window_of_half_the_accounts_records_has_half_its_pages_left() -> None:
    curve = Curve.through(END, AGING)
    assert curve is not None
    whole = curve.pages_left(_walked_the_newest_hour(100), HOUR_AGO, END, PAGE)
    half = curve.pages_left(_walked_the_newest_hour(50), HOUR_AGO, END, PAGE)
    assert whole is not None and half is not None and abs(half - whole / 2) < 1e-9


def test_the_curve_says_nothing_of_a_span_where_it_counts_no_records() -> None:
    curve = Curve.through(END, AGING)
    assert curve is not None
    below_the_end = _read("2025-10-20T00:00:00.000000Z", "2025-10-10T00:00:00.000000Z", 30)
    assert curve.pages_left(below_the_end, HOUR_AGO, END, PAGE) is None
    assert curve.pages_left(Walked(), HOUR_AGO, END, PAGE) is None, "nothing read yet"
    assert Curve.through(NEWEST, AGING) is None, "no count above the end: no curve"


def test_the_curve_orders_its_counts_by_instant_not_by_spelling() -> None:
    # an hour after NEWEST, spelt at UTC-5: as text it sorts between DAY_AGO and HOUR_AGO
    later = {**AGING, "2025-12-30T20:00:00-05:00": 1100, "2025-12-30T23:00:00+00:00": 900}
    curve = Curve.through(END, later)
    assert curve is not None
    instants = [instant for instant, _count in curve.points]
    assert instants == sorted(set(instants)), "oldest first, each step a span of time"
    assert curve.count_at(parse_instant(HOUR_AGO)) == 900.0
    assert curve.count_at(parse_instant(NEWEST)) == 1000.0


def _split_off(counts: dict[str | None, int]) -> SplitOff:
    splitter = Splitter(lambda date: counts[date])
    splitter.newest = NEWEST
    for date in counts:
        splitter.count(date)
    source = types.SimpleNamespace(splitter=splitter, page_size=types.SimpleNamespace(expected=PAGE))
    return SplitOff(source, None)  # type: ignore[arg-type]


def test_a_window_counts_its_pages_left_on_the_curve_once_the_counts_are_back() -> None:
    # the counts above, with one of none at the end: the end lies there
    split_off = _split_off({None: 1000, HOUR_AGO: 900, DAY_AGO: 500, MONTH_AGO: 100, END: 0})
    left = split_off._pages_left(_walked_the_newest_hour(), HOUR_AGO, END)
    assert abs(left - 900 / 99) < 1e-9


def test_before_any_count_is_back_a_window_counts_on_its_own_density() -> None:
    split_off = _split_off({})
    walked = _walked_the_newest_hour()
    assert split_off._pages_left(walked, HOUR_AGO, END) == walked.pages_between(HOUR_AGO, END, PAGE)


@given(
    ages=st.lists(st.integers(1, 10**7), min_size=2, max_size=6, unique=True),
    counts=st.lists(st.integers(1, 10**6), min_size=6, max_size=6, unique=True),
    share=st.floats(0.01, 1.0),
    low_age=st.integers(0, 2 * 10**7),
)
def test_pages_left_grow_as_the_bottom_goes_down_and_are_the_windows_share_of_the_records_below(
    ages: list[int], counts: list[int], share: float, low_age: int
) -> None:
    newest = parse_instant(NEWEST)

    def at(age: int) -> str:
        return format_instant(shifted(newest, -dt.timedelta(seconds=age)))

    ages = sorted(ages)
    ranked = sorted(counts, reverse=True)[: len(ages)]  # older dates count fewer records below them
    curve = Curve.through(at(ages[-1] + 1), {at(age): n for age, n in zip(ages, ranked, strict=True)})
    assert curve is not None
    records = max(1, round(100 * share))
    read = _read(at(ages[0]), at(ages[1]), records)  # a window read the newest span
    top, end = at(ages[1]), at(ages[-1] + 1)
    nearer, farther = sorted((at(ages[1] + low_age), end), reverse=True)
    near = curve.pages_left(read, top, nearer, PAGE)
    far = curve.pages_left(read, top, farther, PAGE)
    assert near is not None and far is not None and 0.0 <= near <= far
    assert curve.pages_left(read, top, top, PAGE) == 0.0
    assert curve.pages_left(read, end, top, PAGE) == 0.0, "a bottom above the top: nothing left"
    total = curve.pages_left(read, top, end, PAGE)
    expected = ranked[1] * records / (ranked[0] - ranked[1]) / (PAGE - 1)  # at the window's own share
    assert total is not None and abs(total - expected) <= 1e-9 * max(expected, 1.0)
