"""The cursor's decisions, page by page, without a server (the readings matrix proves them
end to end against one: test_incremental_streams.py).

:func:`~tap_heymarket.walk.pagination.decide` is a plain function of the page, the current cursor
and what the stream has learnt of its listing; the paginator only applies it.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_heymarket.walk.cursor import (
    ONE_MS,
    ONE_S,
    Cursor,
    CursorIgnoredError,
    CursorUnreadableError,
    below_ladder,
    step_above,
)
from tap_heymarket.walk.page_order import OUT_OF_PLACE_TOLERANCE
from tap_heymarket.walk.pagination import (
    CursorPolicy,
    Listing,
    PageValues,
    UpdatedCursorPaginator,
    decide,
    plausible,
)

T = "2024-01-01T10:00:{:02d}.{:03d}000Z"


def _t(second: int, milli: int = 500) -> str:
    return T.format(second, milli)


def _advance(
    paginator: UpdatedCursorPaginator,
    values: list[str],
    *,
    size: int | None = None,
    new: int | None = None,
    floor: str | None = None,
) -> Cursor | None:
    count = len(values) if size is None else size
    paginator.advance_page(PageValues(values, count, count if new is None else new, floor))
    return None if paginator.finished else paginator.current_value


def test_the_next_cursor_steps_a_millisecond_above_the_value_below_which_only_a_few_lie() -> None:
    paginator = UpdatedCursorPaginator()
    cursor = _advance(paginator, [_t(9), _t(5), _t(8), _t(7), _t(6)])  # one record out of order
    assert OUT_OF_PLACE_TOLERANCE == 2
    assert cursor == Cursor("2024-01-01T10:00:07.501000Z", covers=_t(7))


@pytest.mark.parametrize("position", [0, 3, 6])
def test_a_stale_value_first_in_the_middle_or_last_never_moves_the_cursor_past_the_page(position) -> None:
    values = [_t(s) for s in (40, 39, 38, 37, 36, 35)]
    values.insert(position, "2020-01-01T00:00:00.000000Z")
    cursor = _advance(UpdatedCursorPaginator(), values)
    assert cursor is not None and cursor.covers is not None and cursor.covers >= _t(35)


def test_values_written_without_a_fraction_step_by_whole_seconds() -> None:
    paginator = UpdatedCursorPaginator()
    whole = [f"2024-01-01T10:00:0{s}.000000Z" for s in (9, 8, 7, 5)]
    cursor = _advance(paginator, whole)
    assert cursor is not None and cursor.date == "2024-01-01T10:00:09.000000Z"


def test_a_response_that_does_not_reach_back_to_the_last_value_coarsens_to_whole_seconds(caplog) -> None:
    policy = CursorPolicy()
    paginator = UpdatedCursorPaginator(policy=policy)
    _advance(paginator, [_t(9), _t(5), _t(5), _t(5)])
    with caplog.at_level(logging.INFO):
        cursor = _advance(paginator, [_t(4), _t(3)])  # 10:00:05.500 did not come back
    assert policy.whole_seconds
    assert cursor == Cursor(step_above(_t(5), ONE_S), covers=_t(5))
    assert "stepping by whole seconds" in caplog.text


def test_a_whole_page_of_one_value_steps_below_it_and_warns(caplog) -> None:
    paginator = UpdatedCursorPaginator()
    _advance(paginator, [_t(9), _t(5), _t(5), _t(5)])
    with caplog.at_level(logging.WARNING):
        cursor = _advance(paginator, [_t(5)] * 3, new=1)
    assert cursor == Cursor(_t(5), below=_t(5))
    assert paginator.unreachable_values == [_t(5)]
    assert f"a whole page of 3 records shares updated={_t(5)}" in caplog.text


def test_stepping_below_tries_each_spelling_of_below_then_fails_with_one_line() -> None:
    paginator = UpdatedCursorPaginator(Cursor(_t(5), below=_t(5)))
    for rung in below_ladder(_t(5))[1:]:
        cursor = _advance(paginator, [_t(5)] * 3, new=0)  # the server keeps answering at 10:00:05
        assert cursor == Cursor(rung, below=_t(5), rung=below_ladder(_t(5)).index(rung))
    with pytest.raises(CursorIgnoredError, match="ignores the cursor"):
        _advance(paginator, [_t(5)] * 3, new=0)


def test_a_server_that_ignores_the_cursor_is_an_error_within_a_few_pages() -> None:
    paginator = UpdatedCursorPaginator()
    first = [_t(s) for s in range(30, 0, -1)]
    requests = 0
    with pytest.raises(CursorIgnoredError):
        while True:
            requests += 1
            _advance(paginator, first, new=30 if requests == 1 else 0)
    assert requests <= 7


def test_a_page_without_a_readable_cursor_value_is_an_error_not_the_end() -> None:
    with pytest.raises(CursorUnreadableError):
        _advance(UpdatedCursorPaginator(), [], size=30)


def test_a_short_page_of_known_records_ends_the_walk() -> None:
    paginator = UpdatedCursorPaginator()
    _advance(paginator, [_t(9), _t(5), _t(5), _t(5)])
    assert _advance(paginator, [_t(5)], new=0) is None
    assert paginator.finished


@pytest.mark.parametrize("start", [None, Cursor(step_above(_t(5), ONE_S), covers=_t(5))])
def test_an_empty_page_is_asked_for_once_more_and_only_a_second_one_ends_the_walk(start) -> None:
    paginator = UpdatedCursorPaginator(start)
    again = _advance(paginator, [])
    assert again is not None and again.date == (start.date if start else None) and again.again == 1
    assert _advance(paginator, []) is None
    assert paginator.confirmations == 1


def test_a_transient_empty_page_does_not_end_the_walk() -> None:
    paginator = UpdatedCursorPaginator(Cursor(step_above(_t(9), ONE_S), covers=_t(9)))
    assert _advance(paginator, []) is not None
    cursor = _advance(paginator, [_t(s) for s in (9, 8, 7, 6, 5)])
    assert cursor == Cursor(step_above(_t(7), ONE_MS), covers=_t(7))


def test_a_page_whose_records_in_place_reach_below_the_floor_is_the_last() -> None:
    paginator = UpdatedCursorPaginator()
    assert _advance(paginator, [_t(9), _t(7), _t(4), _t(3), _t(2)], floor=_t(5)) is None


def test_one_stale_value_below_the_floor_does_not_end_the_walk() -> None:
    paginator = UpdatedCursorPaginator()
    assert _advance(paginator, [_t(9), _t(2), _t(8), _t(7), _t(6)], floor=_t(5)) is not None


def test_echoes_of_records_newer_than_the_cursor_are_not_taken_for_progress() -> None:
    cursor = Cursor(step_above(_t(5), ONE_MS), covers=_t(5))
    assert plausible([_t(40), _t(5), _t(4)], cursor) == [_t(5), _t(4)]


# -- the decision alone, on hand-written pages ------------------------------------------

FRACTIONS = Listing(prints_fractions=True, largest_page=5)


def _page(values: list[str], *, new: int | None = None, **kwargs) -> PageValues:
    return PageValues(values, len(values), len(values) if new is None else new, **kwargs)


def test_a_tie_group_at_the_page_end_is_asked_for_again_from_just_above_its_value() -> None:
    decision = decide(_page([_t(9), _t(5), _t(5), _t(5)]), None, FRACTIONS)
    assert decision.next == Cursor("2024-01-01T10:00:05.501000Z", covers=_t(5))
    assert decision.learnt == FRACTIONS and not decision.confirming and decision.unreachable is None


def test_the_first_fraction_seen_makes_that_very_decision_step_by_milliseconds() -> None:
    decision = decide(_page([_t(9), _t(8), _t(7), _t(6), _t(5)]), None, Listing())
    assert decision.learnt.prints_fractions
    assert decision.next == Cursor("2024-01-01T10:00:07.501000Z", covers=_t(7))


def test_a_page_of_one_value_that_brings_little_new_steps_below_it_and_names_it() -> None:
    current = Cursor(step_above(_t(5), ONE_MS), covers=_t(5))
    decision = decide(_page([_t(5)] * 5, new=1), current, FRACTIONS)
    assert decision.next == Cursor(_t(5), below=_t(5))
    assert decision.unreachable == _t(5)
    assert decision.stuck == f"a whole page of 5 records shares updated={_t(5)}"


def test_coarse_seconds_are_learnt_from_a_response_that_skipped_the_value_stepped_above() -> None:
    current = Cursor(step_above(_t(5), ONE_MS), covers=_t(5))
    decision = decide(_page([_t(4), _t(3)]), current, FRACTIONS)
    assert decision.next == Cursor(step_above(_t(5), ONE_S), covers=_t(5))
    assert decision.learnt.whole_seconds and decision.coarsened_at == _t(5)
    assert decision.learnt.step() == ONE_S
    assert not FRACTIONS.whole_seconds  # learnt in the decision, not written anywhere


def test_an_inclusive_servers_echo_at_the_cursor_does_not_hold_the_walk() -> None:
    whole = [f"2024-01-01T10:00:0{s}.000000Z" for s in (6, 5, 5, 4, 3)]
    current = Cursor(whole[0], covers=whole[1])  # "before or equal" 10:00:06 sends it back
    decision = decide(_page(whole, new=3), current, Listing(largest_page=5))
    assert decision.next is not None and decision.next.date is not None and decision.next.date < whole[0]
    assert decision.next.covers == whole[3]


def test_an_empty_page_is_confirmed_with_the_same_cursor_once_then_ends_the_walk() -> None:
    current = Cursor(step_above(_t(9), ONE_S), covers=_t(9))
    first = decide(_page([]), current, FRACTIONS)
    assert first.next == Cursor(current.date, covers=_t(9), again=1) and first.confirming
    assert first.next.resumable() == current  # a resume never starts on a confirmation
    last = decide(_page([]), first.next, FRACTIONS)
    assert last.next is None and not last.confirming


def test_a_stray_value_never_moves_the_cursor_nor_ends_the_walk_at_the_floor() -> None:
    values = [_t(9), _t(2), _t(8), _t(7), _t(6)]  # 10:00:02 is out of place
    settled = [_t(9), _t(8), _t(7), _t(6)]
    decision = decide(_page(values, floor=_t(5), settled=settled), None, FRACTIONS)
    assert decision.next == Cursor(step_above(_t(8), ONE_MS), covers=_t(8))
    unsettled = decide(_page(values, floor=_t(5)), None, FRACTIONS)  # the stray counted: a lower base
    assert unsettled.next == Cursor(step_above(_t(7), ONE_MS), covers=_t(7))


def test_the_same_page_and_cursor_always_decide_the_same() -> None:
    current = Cursor(step_above(_t(9), ONE_MS), covers=_t(9))
    page = _page([_t(9), _t(8), _t(8), _t(7), _t(6)], new=4)
    assert decide(page, current, FRACTIONS) == decide(page, current, FRACTIONS)


instants = st.sampled_from([_t(s, m) for s in (3, 4, 5) for m in (0, 500, 501)] + [_t(5, 0)])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(pages=st.lists(st.tuples(st.lists(instants, max_size=6), st.integers(0, 6)), min_size=1, max_size=12))
def test_no_decision_repeats_the_cursor_it_was_given(pages) -> None:
    """What the SDK's paginator checked (a token equal to the last one is a loop) holds by
    construction: every next cursor differs from the current one, whatever the pages; and a
    step below a stuck value never carries a witness to check."""
    current: Cursor | None = None
    listing = Listing()
    for values, new in pages:
        page = PageValues(sorted(values, reverse=True), len(values), min(new, len(values)))
        try:
            decision = decide(page, current, listing)
        except (CursorIgnoredError, CursorUnreadableError):
            return
        assert decision.next != current
        if decision.next is None:
            return
        assert decision.next.below is None or decision.next.covers is None  # a step below covers nothing
        current, listing = decision.next, listing.merged(decision.learnt)


def test_an_echo_of_a_newer_record_never_becomes_the_base_of_the_next_cursor() -> None:
    """With few values on a page, an echo counted among them would be the base: a cursor
    above it moves nowhere, so the walk would step below the page (losing the rest of its
    oldest value's group) instead of going on from just above the newest value in range."""
    current = Cursor(_t(9, 501))
    page = PageValues([_t(40), _t(6), _t(5)], 3, 0, settled=[_t(40), _t(6), _t(5)])
    decision = decide(page, current, Listing(prints_fractions=True, largest_page=3))
    assert decision.next == Cursor(step_above(_t(6), ONE_MS), covers=_t(6))
    assert decision.unreachable is None


def test_an_echo_of_a_newer_record_is_not_taken_for_a_stuck_value_coming_back() -> None:
    """Stepping below a stuck value, only that value (or its second) coming back means the
    step failed; a record far newer on the page is an echo, and the walk moves on."""
    current = Cursor(_t(5), below=_t(5))
    decision = decide(_page([_t(40), _t(4), _t(3), _t(2), _t(1)]), current, FRACTIONS)
    assert decision.next is not None and decision.next.below is None
    assert decision.next == Cursor(step_above(_t(3), ONE_MS), covers=_t(3))
