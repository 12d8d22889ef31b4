"""The stream state's layout (tap_heymarket/walk/state.py): what is written reads back the same,
every layout a release wrote is still read, and anything unreadable means "read anew"."""

from __future__ import annotations

import json
import typing as t

from tap_heymarket.walk.cursor import Cursor
from tap_heymarket.walk.plan import Window
from tap_heymarket.walk.state import (
    PROGRESS_MARKERS,
    SIGNPOST,
    SavedState,
    cap_bookmark,
    cursor_from_state,
    cursor_to_state,
    hold_bookmark,
    migrate_per_inbox_state,
    read_state,
    saved_instant,
    write_resume,
)

BOOKMARK = "2025-03-01T12:00:00.000000Z"
TOP = "2025-03-02T08:00:00.000000Z"
SCOPE = {"inboxes": [1, 2], "closed": False, "user": 7}


def _through_json(state: dict[str, t.Any]) -> dict[str, t.Any]:
    return json.loads(json.dumps(state))


def test_a_resume_block_reads_back_as_written_through_json() -> None:
    windows = [
        Window(
            SCOPE,
            floor=BOOKMARK,
            cursor=Cursor("2025-03-01T20:00:01.000000Z", covers="2025-03-01T20:00:00.500000Z"),
        ),
        Window(SCOPE, upper="2025-03-01T18:00:00.000000Z", floor=BOOKMARK),
        Window({"inboxes": [3], "closed": True, "user": 8}, cursor=Cursor(TOP, below=TOP, rung=2)),
    ]
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK, "covered": [[1, False], [2, False]]}
    write_resume(state, TOP, [(2, False), (1, False)], windows)
    saved = read_state(_through_json(state))
    assert saved == SavedState(BOOKMARK, {(1, False), (2, False)}, TOP, {(1, False), (2, False)}, windows)
    assert all(w.long for w in saved.windows)  # a resumed walk has a long way to go: worth splitting
    assert state["resume"]["slices"] == [[1, False], [2, False]]  # sorted: the same state every run


def test_a_team_wide_resume_block_reads_back_with_its_one_slice() -> None:
    state: dict[str, t.Any] = {}
    write_resume(state, None, [()], [Window({})])
    assert read_state(_through_json(state)) == SavedState(resumed={()}, windows=[Window({})])


def test_a_window_that_cannot_be_read_back_drops_the_resume_block_so_its_slices_read_from_the_bookmark() -> (
    None
):
    state: dict[str, t.Any] = {"replication_key_value": BOOKMARK}
    write_resume(state, TOP, [(1, False)], [Window(SCOPE, floor=BOOKMARK, cursor=Cursor(TOP))])
    state["resume"]["windows"].append({"scope": SCOPE, "floor": 12})
    assert read_state(state) == SavedState(BOOKMARK)


def test_a_cursor_that_cannot_be_read_back_only_restarts_its_window_at_the_top() -> None:
    state: dict[str, t.Any] = {
        "resume": {
            "top": TOP,
            "slices": [[1, False]],
            "windows": [{"scope": SCOPE, "cursor": {"date": "soon"}}],
        }
    }
    assert read_state(state).windows == [Window(SCOPE)]


def test_a_resume_point_survives_state_and_garbage_means_the_top() -> None:
    cursor = Cursor(
        "2024-01-01T10:00:05.500000Z",
        covers="2024-01-01T10:00:06.500000Z",
        below="2024-01-01T10:00:05.500000Z",
        rung=2,
    )
    assert cursor_from_state(_through_json(cursor_to_state(cursor))) == cursor
    assert cursor_to_state(Cursor(TOP)) == {"date": TOP}  # unset fields are left out
    assert cursor_from_state({"date": TOP, "rung": 99}) == Cursor(TOP)
    assert cursor_from_state(None) is None
    assert cursor_from_state({"date": "not a time"}) is None
    assert cursor_from_state("2024-01-01") is None


def test_every_earlier_layout_is_still_read() -> None:
    # the SDK's own layout (no walk keys), and one before ``covered``: every slice is covered
    assert read_state({"replication_key": "updated", "replication_key_value": BOOKMARK}) == SavedState(
        BOOKMARK
    )
    # a resume block from before ``top`` and ``slices`` were written
    old_resume = {"replication_key_value": BOOKMARK, "resume": {"windows": [{"scope": SCOPE}]}}
    assert read_state(old_resume) == SavedState(BOOKMARK, windows=[Window(SCOPE)])
    # values in another spelling of the same instant
    assert read_state({"replication_key_value": "2025-03-01T12:00:00Z"}).bookmark == BOOKMARK
    # the per-inbox layout of earlier builds: folded into one bookmark, the oldest
    per_inbox = {
        "partitions": [
            {
                "context": {"inbox_id": 1, "closed": False},
                "replication_key": "updated",
                "replication_key_value": TOP,
            },
            {
                "context": {"inbox_id": 2, "closed": True},
                "replication_key": "updated",
                "replication_key_value": BOOKMARK,
            },
            {
                "context": {"inbox_id": 3},
                "replication_key": "other",
                "replication_key_value": "2020-01-01T00:00:00Z",
            },
        ]
    }
    assert migrate_per_inbox_state(per_inbox, "updated")
    assert read_state(per_inbox) == SavedState(BOOKMARK, {(1, False), (2, True)})
    assert not migrate_per_inbox_state(per_inbox, "updated")  # once only


def test_the_per_inbox_layout_never_replaces_a_bookmark_already_there() -> None:
    both = {
        "replication_key_value": TOP,
        "partitions": [
            {"context": {"inbox_id": 1}, "replication_key": "updated", "replication_key_value": BOOKMARK}
        ],
    }
    assert migrate_per_inbox_state(both, "updated")
    assert both == {"replication_key_value": TOP}


def test_unreadable_saved_values_read_as_absent_never_as_a_narrower_read() -> None:
    garbage = {"replication_key_value": "yesterday", "covered": "all", "resume": ["not", "an", "object"]}
    assert read_state(garbage) == SavedState(covered=set())
    assert saved_instant("") is None and saved_instant(17) is None


def test_holding_a_bookmark_seeds_the_sdks_progress_markers_once() -> None:
    state: dict[str, t.Any] = {}
    hold_bookmark(state, "updated", BOOKMARK)
    hold_bookmark(state, "updated", TOP)  # already held: unchanged
    assert state[PROGRESS_MARKERS] == {
        "Note": "Progress is not resumable if interrupted.",
        "replication_key": "updated",
        "replication_key_value": BOOKMARK,
    }


def test_the_bookmark_cap_comes_down_to_the_newest_value_in_place_or_the_held_bookmark() -> None:
    state = {SIGNPOST: TOP}
    cap_bookmark(state, None, None)
    assert state[SIGNPOST] == TOP  # nothing in place, nothing held: the SDK's own
    cap_bookmark(state, "2025-03-01T00:00:00.000000Z", BOOKMARK)
    assert state[SIGNPOST] == BOOKMARK  # never back below the bookmark held
    cap_bookmark(state, "2025-03-01T13:00:00.000000Z", BOOKMARK)
    assert state[SIGNPOST] == BOOKMARK  # never raised
