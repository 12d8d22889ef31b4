"""The plan as a plain function: saved state, this run's slices and the settings in, windows out.

No server and no stream: each case is the state a run finds and what it must then read (the
end-to-end runs of the same cases: test_resume.py, test_state_upgrade.py, test_backfill_window.py).
"""

from __future__ import annotations

import typing as t

from tap_heymarket.walk.cursor import Cursor
from tap_heymarket.walk.plan import Settings, Slice, Window, plan_windows
from tap_heymarket.walk.state import migrate_per_inbox_state, read_state, write_resume

START = "2024-01-01T00:00:00.000000Z"
BOOKMARK = "2025-03-01T12:00:00.000000Z"
TOP = "2025-03-02T08:00:00.000000Z"
END = "2024-07-01T00:00:00.000000Z"
OPEN, CLOSED = False, True


def by_view(slices: list[Slice]) -> list[dict[str, t.Any]]:
    """Conversations' scoping with one member reading every inbox: one walk per view."""
    views = sorted({closed for _inbox, closed in slices})
    return [
        {"inboxes": sorted(i for i, c in slices if c == view), "closed": view, "user": 7} for view in views
    ]


def team_wide(slices: list[Slice]) -> list[dict[str, t.Any]]:
    return [{}]


def floors(windows: list[Window]) -> dict[tuple[tuple[int, ...], bool], str | None]:
    return {(tuple(w.scope["inboxes"]), w.scope["closed"]): w.floor for w in windows}


def test_a_first_run_walks_each_view_from_the_top_down_to_start_date_as_long_walks() -> None:
    plan = plan_windows(read_state({}), [(1, OPEN), (1, CLOSED)], Settings(START, floor=START), by_view)
    assert plan.windows == [
        Window(by_view([(1, OPEN)])[0], floor=START),
        Window(by_view([(1, CLOSED)])[0], floor=START),
    ]
    assert all(w.long and w.start is None for w in plan.windows)
    assert plan.top is None


def test_a_first_run_without_start_date_reads_the_whole_listing() -> None:
    plan = plan_windows(read_state({}), [()], Settings(), team_wide)
    assert plan.windows == [Window({})]
    assert plan.windows[0].floor is None and plan.windows[0].long


def test_an_incremental_run_stops_at_the_bookmark_and_is_not_worth_splitting() -> None:
    state = {"replication_key_value": BOOKMARK}
    plan = plan_windows(read_state(state), [()], Settings(START, floor=BOOKMARK), team_wide)
    assert plan.windows == [Window({}, floor=BOOKMARK)]
    assert not plan.windows[0].long


def test_a_reread_floor_never_goes_below_start_date() -> None:
    plan = plan_windows(read_state({}), [()], Settings("2025-06-01T00:00:00.000000Z", floor=START), team_wide)
    assert plan.windows[0].floor == "2025-06-01T00:00:00.000000Z"


def test_a_resumed_run_reads_down_to_where_the_dead_run_had_got_and_resumes_its_windows() -> None:
    unfinished = Window(by_view([(1, OPEN)])[0], floor=BOOKMARK, cursor=Cursor("2025-03-01T20:00:01.000000Z"))
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK}
    write_resume(state, TOP, [(1, OPEN)], [unfinished])
    plan = plan_windows(read_state(state), [(1, OPEN)], Settings(START, floor=BOOKMARK), by_view)
    assert plan.windows == [Window(by_view([(1, OPEN)])[0], floor=TOP), unfinished]
    assert plan.windows[1].start == unfinished.cursor and plan.windows[1].long
    assert plan.top == TOP


def test_a_resumed_run_that_had_emitted_nothing_only_resumes_its_windows() -> None:
    unfinished = Window({}, floor=BOOKMARK)
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK}
    write_resume(state, None, [()], [unfinished])
    plan = plan_windows(read_state(state), [()], Settings(START, floor=BOOKMARK), team_wide)
    assert plan.windows == [unfinished]
    assert plan.top is None


def test_an_inbox_added_since_the_state_was_written_is_read_from_start_date() -> None:
    state = {"replication_key_value": BOOKMARK, "covered": [[1, False]]}
    plan = plan_windows(read_state(state), [(1, OPEN), (2, OPEN)], Settings(START, floor=BOOKMARK), by_view)
    assert floors(plan.windows) == {((1,), OPEN): BOOKMARK, ((2,), OPEN): START}
    assert [w.long for w in plan.windows] == [False, True]


def test_a_state_from_before_covered_holds_for_every_slice_read_now() -> None:
    state = {"replication_key_value": BOOKMARK}
    plan = plan_windows(read_state(state), [(1, OPEN), (2, OPEN)], Settings(START, floor=BOOKMARK), by_view)
    assert floors(plan.windows) == {((1, 2), OPEN): BOOKMARK}


def test_an_unfinished_window_keeps_only_the_inboxes_still_read_and_one_over_none_is_dropped() -> None:
    over_two = Window(by_view([(1, OPEN), (2, OPEN)])[0], floor=BOOKMARK, cursor=Cursor(TOP))
    over_gone = Window(by_view([(3, OPEN)])[0], floor=BOOKMARK, cursor=Cursor(TOP))
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK}
    write_resume(state, TOP, [(1, OPEN), (2, OPEN), (3, OPEN)], [over_two, over_gone])
    plan = plan_windows(read_state(state), [(1, OPEN)], Settings(START, floor=BOOKMARK), by_view)
    resumed = [w for w in plan.windows if w.cursor is not None]
    assert resumed == [Window(by_view([(1, OPEN)])[0], floor=BOOKMARK, cursor=Cursor(TOP))]


def test_a_future_bookmark_is_kept_as_the_floor_not_moved_to_now() -> None:
    future = "2999-01-01T00:00:00.000000Z"
    plan = plan_windows(
        read_state({"replication_key_value": future}), [()], Settings(START, floor=future), team_wide
    )
    assert plan.windows == [Window({}, floor=future)]


def test_the_old_per_inbox_layout_plans_from_its_oldest_bookmark_and_reads_inboxes_it_lacked() -> None:
    old = {
        "partitions": [
            {
                "context": {"inbox_id": 1, "closed": False},
                "replication_key": "updated",
                "replication_key_value": TOP,
            },
            {
                "context": {"inbox_id": 1, "closed": True},
                "replication_key": "updated",
                "replication_key_value": BOOKMARK,
            },
        ]
    }
    assert migrate_per_inbox_state(old, "updated")
    saved = read_state(old)
    assert saved.bookmark == BOOKMARK
    slices = [(1, OPEN), (1, CLOSED), (2, OPEN), (2, CLOSED)]
    plan = plan_windows(saved, slices, Settings(START, floor=saved.bookmark), by_view)
    assert floors(plan.windows) == {
        ((1,), OPEN): BOOKMARK,
        ((1,), CLOSED): BOOKMARK,
        ((2,), OPEN): START,
        ((2,), CLOSED): START,
    }


def test_a_backfill_window_reads_from_its_end_down_to_start_date_whatever_the_bookmark() -> None:
    state = {"replication_key_value": BOOKMARK, "covered": [[1, False]]}
    plan = plan_windows(read_state(state), [(1, OPEN)], Settings(START, END, floor=BOOKMARK), by_view)
    assert plan.windows == [Window(by_view([(1, OPEN)])[0], upper=END, floor=START)]
    assert plan.windows[0].start == Cursor(END) and plan.windows[0].long


def test_full_table_reads_every_scope_whole_and_resumes_nothing() -> None:
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK}
    write_resume(state, TOP, [(1, OPEN)], [Window(by_view([(1, OPEN)])[0], cursor=Cursor(TOP))])
    plan = plan_windows(
        read_state(state), [(1, OPEN)], Settings(START, full_table=True, floor=BOOKMARK), by_view
    )
    assert plan.windows == [Window(by_view([(1, OPEN)])[0])]
    assert plan.windows[0].long and plan.top is None
