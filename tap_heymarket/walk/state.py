"""What a walked stream keeps in STATE, in one place: its layout, how it is written and read back.

``bookmarks.<stream>`` holds, besides what the SDK writes (``replication_key`` and
``replication_key_value``: the one bookmark; ``starting_replication_value``)::

    covered: [[inbox_id, closed], ...]   # conversations: the slices the bookmark holds for
    resume:                              # only while a run is under way (or after it died)
      top: "<instant>"                   # the newest value emitted in place so far
      slices: [[inbox_id, closed], ...]  # the slices that run read ([[]]: the whole listing)
      windows:                           # its unfinished walks
        - {scope: {...}, upper: "<instant>", floor: "<instant>",
           cursor: {date, covers, below, rung}}   # each key only when set

and, within a run, two of the SDK's interim keys the walk touches: ``progress_markers``
(seeded to hold a bookmark: :func:`hold_bookmark`) and ``replication_key_signpost`` (lowered:
:func:`cap_bookmark`); the SDK folds both into the bookmark when the stream ends. Messages add
``unsettled_since`` (:mod:`tap_heymarket.messages`). Earlier builds kept one bookmark
per inbox and view in ``partitions``; :func:`migrate_per_inbox_state` folds it into this one.

Everything read back is checked: an unreadable value means "read anew" (a slice not covered,
a window from the top), never a narrower read.
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_heymarket.timestamps import TimestampError, normalize_instant
from tap_heymarket.walk.cursor import Cursor
from tap_heymarket.walk.plan import Slice, Window

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: The SDK's interim state key for the most a bookmark may become (tests/test_sdk_contracts.py).
SIGNPOST = "replication_key_signpost"
#: The SDK's interim tracking of the newest value emitted, and the note it writes there
#: (tests/test_sdk_contracts.py pins both).
PROGRESS_MARKERS = "progress_markers"
PROGRESS_NOTE = "Progress is not resumable if interrupted."


def saved_instant(value: object) -> str | None:
    """A saved (or configured) instant in the tap's one spelling; None when absent or unreadable."""
    if value in (None, ""):
        return None
    try:
        return normalize_instant(value)
    except TimestampError:
        return None


# -- slices, cursors, windows -----------------------------------------------------------


def slice_list(slices: t.Iterable[Slice]) -> list[list[t.Any]]:
    """Slices as STATE holds them (JSON has no tuples)."""
    return [list(s) for s in sorted(slices, key=lambda s: tuple(str(part) for part in s))]


def slice_set(value: t.Any) -> set[Slice]:
    """Slices read back from STATE (anything unreadable is dropped: it is then read anew)."""
    if not isinstance(value, list):
        return set()
    return {tuple(item) for item in value if isinstance(item, list)}


#: The cursor's fields (all plain values), named once. ``dataclasses.asdict`` names them again
#: on every call with ``tuple(generator)``, which CPython 3.11 builds at one size and resizes,
#: so each call left a 5-item tuple on a free list nothing draws from (for every window, after
#: every page, up to 2,000 of them: tests/test_steady_free_lists.py).
CURSOR_FIELDS = tuple([field.name for field in dataclasses.fields(Cursor)])


def cursor_to_state(cursor: Cursor) -> dict[str, t.Any]:
    """A resume point, JSON-safe (unset fields left out)."""
    return {name: value for name in CURSOR_FIELDS if (value := getattr(cursor, name)) not in (None, 0)}


def cursor_from_state(value: t.Any) -> Cursor | None:
    """A resume point read back; anything unreadable means "start from the top"."""
    if not isinstance(value, dict):
        return None
    try:
        fields = {
            name: None if value.get(name) is None else normalize_instant(value[name])
            for name in ("date", "covers", "below")
        }
    except TimestampError:
        return None
    rung = value.get("rung", 0)
    rung = rung if isinstance(rung, int) and 0 <= rung < 8 else 0
    return Cursor(fields["date"], fields["covers"], fields["below"], rung=rung)


def window_to_state(window: Window) -> dict[str, t.Any]:
    """An unfinished window, JSON-safe: where it resumes is its cursor's resumable point."""
    out: dict[str, t.Any] = {"scope": window.scope}
    for name in ("upper", "floor"):
        if getattr(window, name) is not None:
            out[name] = getattr(window, name)
    if window.cursor is not None:
        out["cursor"] = cursor_to_state(window.cursor)
    return out


def window_from_state(value: t.Any) -> Window | None:
    """A window of a ``resume`` block, or None when it cannot be read back (an unreadable
    cursor only costs the window a walk from its top: :func:`cursor_from_state`)."""
    if not isinstance(value, dict) or not isinstance(value.get("scope"), dict):
        return None
    bounds = {name: value.get(name) for name in ("upper", "floor")}
    if any(v is not None and not isinstance(v, str) for v in bounds.values()):
        return None
    cursor = cursor_from_state(value.get("cursor"))
    return Window(value["scope"], bounds["upper"], bounds["floor"], cursor, long=True)


# -- the stream's state as a whole ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SavedState:
    """A stream's saved state, read and checked (what planning needs of it)."""

    bookmark: str | None = None  # ``replication_key_value``
    covered: set[Slice] | None = None  # None: the state predates ``covered`` (every slice)
    top: str | None = None  # ``resume.top``: where a run that died had got to
    resumed: set[Slice] = dataclasses.field(default_factory=set)  # ``resume.slices``
    windows: list[Window] = dataclasses.field(default_factory=list)  # ``resume.windows``


def read_state(state: t.Mapping[str, t.Any]) -> SavedState:
    """The stream state's walk keys, each checked (see the module docstring).

    A ``resume`` block with a window that cannot be read back is ignored as a whole: its
    slices are then read from their bookmark (everything since), never from ``top`` with a
    walk missing, which would skip what lay below that walk's cursor.
    """
    resume = state["resume"] if isinstance(state.get("resume"), dict) else {}
    entries = resume.get("windows") or []
    windows = [window_from_state(entry) for entry in entries] if isinstance(entries, list) else [None]
    if None in windows:
        resume, windows = {}, []
    return SavedState(
        bookmark=saved_instant(state.get("replication_key_value")),
        covered=slice_set(state["covered"]) if "covered" in state else None,
        top=saved_instant(resume.get("top")),
        resumed=slice_set(resume.get("slices")),
        windows=t.cast("list[Window]", windows),
    )


def write_resume(
    state: dict[str, t.Any], top: str | None, slices: t.Iterable[Slice], windows: t.Iterable[Window]
) -> None:
    """Where a run stands: written after each page's records went out, so never ahead of them."""
    state["resume"] = {
        "top": top,
        "slices": slice_list(slices),
        "windows": [window_to_state(w) for w in windows],
    }


def cap_bookmark(state: dict[str, t.Any], newest_in_place: str | None, held: str | None) -> None:
    """Never let a record out of place set the bookmark: cap it at the newest value in place.

    The SDK makes the newest value emitted the bookmark, capped at its signpost (the run's
    start). A record out of place may carry any value (a future one, or one above records
    in place not yet changed), so the cap comes down to the newest value emitted in place,
    or the bookmark held (never back). Nothing emitted in place and nothing held: the SDK's.
    """
    floor = max((v for v in (newest_in_place, held) if v is not None), default=None)
    signpost = state.get(SIGNPOST)
    if floor is not None and isinstance(signpost, str):
        state[SIGNPOST] = min(signpost, floor)


def hold_bookmark(state: dict[str, t.Any], replication_key: str, held: str) -> None:
    """Start the SDK's tracking of the newest value at the bookmark a backfill window keeps.

    The SDK makes the newest value a run emitted the bookmark; a window of the past emits
    only older ones, which would move the bookmark back and make the next run re-read up
    to now. No public hook starts that tracking at a value, so this seeds the SDK's own
    interim layout (``progress_markers``, with the note the SDK writes there itself), which
    its ``increment_state`` then only raises and its finalizing makes the bookmark.
    tests/test_sdk_contracts.py fails if the SDK changes that layout; the behaviour is
    proven end to end by tests/test_backfill_window.py.
    """
    markers = state.setdefault(PROGRESS_MARKERS, {"Note": PROGRESS_NOTE})
    markers.setdefault("replication_key", replication_key)
    markers.setdefault("replication_key_value", held)


def warn_future_bookmark(stream: Stream, bookmark: str | None, run_started: str) -> None:
    """A bookmark later than the run's start reads nothing new: say so on every run.

    The bookmark is kept as it is (never moved to "now", which would hide that something is
    wrong), so this repeats until someone clears it.
    """
    if bookmark is None or bookmark <= run_started:
        return
    stream.logger.warning(
        "%s: the saved bookmark %s is later than this run's start (%s), so nothing is read as new; "
        "if it is wrong, remove bookmarks.%s from the state file (or `meltano state clear "
        "<state id>`, which clears every stream) and the next run reads from start_date",
        stream.name,
        bookmark,
        run_started,
        stream.name,
    )


def migrate_per_inbox_state(stream_state: dict[str, t.Any], replication_key: str) -> bool:
    """Fold the old per-inbox ``partitions`` layout into one bookmark (in place).

    The old layout kept a bookmark per inbox and view. The new bookmark is the **oldest** of
    them, so the first run after the upgrade re-reads no history and skips no change, and
    ``covered`` lists the slices those bookmarks held for (an inbox without one is then read
    from ``start_date``). Unfinished old walks are dropped: their slices are read again from
    their bookmark. Returns whether anything was migrated.
    """
    partitions = stream_state.get("partitions")
    if not isinstance(partitions, list):
        return False
    bookmarks: dict[Slice, str] = {}
    for partition in partitions:
        context = partition.get("context") if isinstance(partition, dict) else None
        value = partition.get("replication_key_value") if isinstance(partition, dict) else None
        if (
            isinstance(context, dict)
            and "inbox_id" in context
            and isinstance(value, str)
            and partition.get("replication_key") == replication_key
        ):
            bookmarks[(context["inbox_id"], bool(context.get("closed")))] = value
    del stream_state["partitions"]
    if bookmarks and "replication_key_value" not in stream_state:
        stream_state["replication_key"] = replication_key
        stream_state["replication_key_value"] = min(bookmarks.values())
        stream_state["covered"] = slice_list(bookmarks)
    return True
