"""The cursor's decisions, page by page, without a server (the readings matrix proves them
end to end against one: test_incremental_streams.py)."""

from __future__ import annotations

import logging

import pytest

from tap_heymarket.pagination import (
    ONE_MS,
    ONE_S,
    Cursor,
    CursorIgnoredError,
    CursorPolicy,
    CursorUnreadableError,
    PageValues,
    UpdatedCursorPaginator,
    below_ladder,
    step_above,
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


def test_the_next_cursor_steps_a_millisecond_above_the_pages_oldest_value_not_its_last() -> None:
    paginator = UpdatedCursorPaginator()
    cursor = _advance(paginator, [_t(9), _t(5), _t(8), _t(7)])  # one record out of order
    assert cursor == Cursor("2024-01-01T10:00:05.501000Z", covers=_t(5))


def test_values_written_without_a_fraction_step_by_whole_seconds() -> None:
    paginator = UpdatedCursorPaginator()
    cursor = _advance(paginator, ["2024-01-01T10:00:09.000000Z", "2024-01-01T10:00:05.000000Z"])
    assert cursor is not None and cursor.date == "2024-01-01T10:00:06.000000Z"


def test_a_response_that_does_not_reach_back_to_the_last_value_coarsens_to_whole_seconds(caplog) -> None:
    policy = CursorPolicy()
    paginator = UpdatedCursorPaginator(policy=policy)
    _advance(paginator, [_t(9), _t(5)])
    with caplog.at_level(logging.INFO):
        cursor = _advance(paginator, [_t(4), _t(3)])  # 10:00:05.500 did not come back
    assert policy.whole_seconds
    assert cursor == Cursor(step_above(_t(5), ONE_S), covers=_t(5))
    assert "stepping by whole seconds" in caplog.text


def test_a_whole_page_of_one_value_steps_below_it_and_warns(caplog) -> None:
    paginator = UpdatedCursorPaginator()
    _advance(paginator, [_t(9), _t(5), _t(5)])
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


def test_an_empty_page_ends_the_walk_and_a_short_page_of_known_records_too() -> None:
    paginator = UpdatedCursorPaginator()
    _advance(paginator, [_t(9), _t(5)])
    assert _advance(paginator, [_t(5)], new=0) is None
    assert paginator.finished
    assert _advance(UpdatedCursorPaginator(), []) is None


def test_a_page_reaching_below_the_floor_is_the_last() -> None:
    paginator = UpdatedCursorPaginator()
    assert _advance(paginator, [_t(9), _t(2), _t(7)], floor=_t(5)) is None


def test_echoes_of_records_newer_than_the_cursor_are_not_taken_for_progress() -> None:
    paginator = UpdatedCursorPaginator(Cursor(step_above(_t(5), ONE_MS), covers=_t(5)))
    assert paginator.plausible([_t(40), _t(5), _t(4)]) == [_t(5), _t(4)]


def test_a_resume_point_survives_state_and_garbage_means_the_top() -> None:
    cursor = Cursor(_t(5), covers=_t(6), below=_t(5), rung=2)
    assert Cursor.from_state(cursor.to_state()) == cursor
    assert Cursor.from_state({"date": "not a time"}) is None
    assert Cursor.from_state("2024-01-01") is None
