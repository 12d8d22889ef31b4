"""What a walk checks and says about the state it was given (records out of place: :mod:`.strays`).

It also holds the two touches a walk makes to the SDK's interim state (a held bookmark, a
capped one), so that what the walk trusts of a saved value is written down in one place.

Nothing here decides what is read; these are the warnings that make a narrowed or odd run
visible (a bookmark in the future, records the server keeps out of its own order), so no
single saved value or record can silently narrow what a run reads.
"""

from __future__ import annotations

import typing as t

from tap_heymarket.timestamps import TimestampError, normalize_instant

if t.TYPE_CHECKING:
    from singer_sdk import Stream


def saved_instant(value: object) -> str | None:
    """A saved (or configured) instant in the tap's one spelling; None when absent or unreadable."""
    if value in (None, ""):
        return None
    try:
        return normalize_instant(value)
    except TimestampError:
        return None


#: The SDK's interim state key for the most a bookmark may become (tests/test_sdk_contracts.py).
SIGNPOST = "replication_key_signpost"


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
    to now. Starting its ``progress_markers`` (the SDK's documented interim state) at the
    bookmark keeps it (tests/test_backfill_window.py fails if the SDK stops reading it).
    """
    markers = state.setdefault("progress_markers", {"Note": "Progress is not resumable if interrupted."})
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
