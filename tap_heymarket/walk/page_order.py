"""A page's order as a whole: which records are out of place, and where the next cursor may start.

Newest first is the server's promise, not a law: a server may sort by a key it does not show
(an index updated at other moments than ``updated``), so a few records can carry values that
do not fit where they stand. A record's value says nothing about its neighbours when it is
out of place, so no single value may decide how far the walk jumps:

* **Out of place** are the records outside one longest non-increasing subsequence of the
  page's values (in page order). They are few when the server mostly keeps its promise; the
  walk emits them wherever they fall, counts them and names them.
* **The cursor** comes from the value below which at most :data:`OUT_OF_PLACE_TOLERANCE`
  values of the page lie. Every record in place that is still to come lies at or below the
  oldest value in place on the page, and at most that many values can be below it; so a cursor
  just above this order statistic reaches every record in place still to come, however the
  few odd values are placed (first, middle or last; a page's tail cannot be told apart from a
  stale record, so the tail is always re-read). Cost: up to that many records of each page are
  asked for again (dropped by ID).
"""

from __future__ import annotations

import bisect
import dataclasses
import typing as t

#: How many values of one page may be out of place without moving the cursor past a record in place.
OUT_OF_PLACE_TOLERANCE = 2


def out_of_place(values: t.Sequence[str]) -> list[int]:
    """Positions of the values outside one longest non-increasing subsequence (ascending)."""
    # A longest non-increasing subsequence of ``values`` is a longest non-decreasing one of the
    # reversed page: patience sorting, O(n log n), with back links to recover its members.
    reversed_values = list(reversed(values))
    tails: list[str] = []  # smallest tail value of a run of each length
    tail_at: list[int] = []  # position (in reversed_values) of that tail
    back: list[int] = [-1] * len(reversed_values)
    for position, value in enumerate(reversed_values):
        length = bisect.bisect_right(tails, value)
        back[position] = tail_at[length - 1] if length else -1
        if length == len(tails):
            tails.append(value)
            tail_at.append(position)
        else:
            tails[length] = value
            tail_at[length] = position
    kept: set[int] = set()
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        kept.add(len(values) - 1 - position)
        position = back[position]
    return [i for i in range(len(values)) if i not in kept]


def cursor_bases(values: t.Sequence[str]) -> list[str]:
    """Values the next cursor may step above, safest first.

    The first is the order statistic of the module docstring; the others (each older) are the
    fallbacks for a page that has too few values below the last cursor to afford the margin.
    """
    ranked = sorted(values)
    robust = min(OUT_OF_PLACE_TOLERANCE, len(ranked) - 1)
    return [ranked[i] for i in range(robust, -1, -1)]


@dataclasses.dataclass
class PageValues:
    """What the paginator needs to know of a page (the walk decodes and filters it)."""

    values: list[str]  # every readable cursor value on the page, in page order
    size: int  # records on the page, readable or not
    new: int  # records the walk has not seen before in this window
    floor: str | None = None  # the window's lower bound: a page reaching below it is the last
    settled: list[str] | None = None  # the values the cursor may use (None: all of them)
    #: a full page for the request that brought it (:mod:`tap_heymarket.walk.page_size`); None:
    #: the largest page the stream has seen
    full: int | None = None
