"""One page of a window, sifted: shaped, bounded, de-duplicated, out-of-place records found.

Used by :mod:`tap_heymarket.walk.walker` (which fetches pages and decides, with the
paginator, where the next starts). A page is filtered against the window's bounds as a
whole; what the cursor may learn from is the values of records never found out of place.
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_heymarket.records import BadRecordError, require_instant, require_key
from tap_heymarket.walk.cursor import echo_ceiling
from tap_heymarket.walk.page_order import out_of_place

if t.TYPE_CHECKING:
    from tap_heymarket.walk.cursor import Cursor
    from tap_heymarket.walk.plan import Window


@dataclasses.dataclass
class Memo:
    """What one window remembers of the records out of place it met (few; never forgotten)."""

    lowest: str | None  # the walk's own floor (a split raises the window's floor to a boundary)
    strays: set[t.Any] = dataclasses.field(default_factory=set)  # emitted (or handed over) as such
    odd: set[t.Any] = dataclasses.field(default_factory=set)  # ever found out of place


@dataclasses.dataclass
class Sifted:
    """One page, sifted: what to emit, and what the cursor may learn from."""

    kept: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    values: list[str] = dataclasses.field(default_factory=list)  # every readable value, in page order
    settled: list[str] = dataclasses.field(default_factory=list)  # those of records never out of place
    skipped: int = 0
    named: list[tuple[t.Any, str]] = dataclasses.field(default_factory=list)  # (id, value) out of place
    handoff: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)  # for the window below


def sift_page(
    stream: t.Any,
    raw: list[t.Any],
    window: Window,
    cursor: Cursor | None,
    seen: dict[t.Any, str],
    *,
    memo: Memo,
) -> Sifted:
    """Shape a page; keep what is this window's and new (see :class:`Sifted`).

    A record out of place (:mod:`tap_heymarket.walk.page_order`) is kept wherever its value
    falls, even below the walk's floor, above the cursor or above the window's upper bound:
    its value says nothing about where the server keeps it, so this page may be the only one
    that shows it (the window above a split stops at the boundary, never reaching a record
    kept far below it; tests/test_walk_completeness.py). Only one within the overlap that
    every reading lets the window above read at its bound (ties, coarse comparisons: up to
    :data:`~tap_heymarket.walk.cursor.ECHO_TOLERANCE` above it) is left to that window, which has
    it (tests/test_time_windows.py: each record once). Below a
    split boundary it is handed to the window below (:class:`~tap_heymarket.walk.strays.Handoff`).
    Once found out of place, a record's value never counts for the cursor again (a server
    that filters the shown value serves a stale record on every later page).
    """
    pk, field = stream.primary_keys[0], stream.cursor_field
    limit = cursor.echo_limit if cursor is not None else None
    readable: list[tuple[dict[str, t.Any], str]] = []
    out = Sifted()
    for item in raw:
        try:  # a non-object item is a NotAnObject here (records_in), refused by shaping
            shaped = stream.shape_record(item)
            require_key(shaped, pk)
            readable.append((shaped, require_instant(shaped, field)))
        except BadRecordError as exc:
            out.skipped += 1
            stream.logger.warning("%s: skipping a record with %s", stream.name, exc)
    out.values = [value for _record, value in readable]
    odd = set(out_of_place(out.values))
    memo.odd.update(readable[position][0][pk] for position in odd)
    out.settled = [value for shaped, value in readable if shaped[pk] not in memo.odd]
    on_page: set[t.Any] = set()
    for position, (shaped, value) in enumerate(readable):
        key = shaped[pk]
        if position in odd:
            out.named.append((key, value))  # named even when known: a page's tail looks in place
        if key in seen or key in on_page or key in memo.strays:
            continue
        if position in odd:
            if window.upper is not None and window.upper <= value <= echo_ceiling(window.upper):
                continue  # in the overlap the window above reads at its bound: that window's
            memo.strays.add(key)
            lowest = memo.lowest
            if window.floor is not None and value < window.floor and (lowest is None or value >= lowest):
                out.handoff.append(shaped)
                continue
        elif (
            (window.floor is not None and value < window.floor)
            or (window.upper is not None and value >= window.upper)
            or (limit is not None and value > limit)
        ):
            continue
        on_page.add(key)
        out.kept.append(shaped)
    return out
