"""Whether a window hands its lower part to other workers, and where it is cut.

A walk is sequential: to read at the request budget, a long window gives the part of its
walk below one or more boundaries to other workers while fewer windows are in flight than
the budget needs (:mod:`tap_heymarket.walk.inflight`). Where the cuts lie is the count's
shares of the records (:class:`~tap_heymarket.walk.splitting.Splitter`), else an even split
of time; how many parts, the free slots claimed at once. Exactly once across each boundary
is the sift's and the cursor's (:mod:`tap_heymarket.walk.splitting`).
"""

from __future__ import annotations

import typing as t

from tap_heymarket.timestamps import parse_instant
from tap_heymarket.walk.cuts import boundaries
from tap_heymarket.walk.inflight import InFlight, Walked, near_the_end
from tap_heymarket.walk.plan import Window
from tap_heymarket.walk.splitting import SEARCHING

if t.TYPE_CHECKING:
    from tap_heymarket.walk.cursor import Cursor
    from tap_heymarket.walk.walker import WalkSource


#: The longest a walk's page waits for a count probe under way (half a round trip, at most this).
MAX_WAIT = 2.0


class SplitOff:
    """The split decisions of one stream's run (its windows in flight, its count's boundaries)."""

    def __init__(self, source: WalkSource, inflight: InFlight | None) -> None:
        self.source = source
        self.inflight = inflight

    def parts(
        self, key: str, window: Window, after: Cursor | None, values: list[str], walked: Walked
    ) -> list[tuple[str, Window]]:
        """While fewer windows are in flight than the budget needs (:mod:`.inflight`), hand the
        part of a long walk below a boundary to other workers: as many parts as there are free
        slots (``key`` names the first; the others ``key-1``, ``key-2``, ...), newest first.

        Every boundary lies below the oldest value of ``values`` (the page's records in place,
        which this window has kept), not only below the next cursor: that cursor may stand
        above some of them (it steps above the page's third-oldest value, and a server found
        to compare coarsely has the page asked again from higher up), and a part split off
        above a record already kept would emit it a second time.
        """
        inflight = self.inflight
        if inflight is None or after is None or after.date is None or not window.long or not values:
            return []
        if not inflight.has_room() or self._searching(window, values):
            return []
        top = min(after.date, *values)  # below every value this window has kept (the docstring)
        splitter = self.source.splitter
        bottom = window.floor or self._bottom()
        if splitter is not None and window.floor is None and bottom is not None and top <= bottom:
            splitter.probe_below(top)  # read past where the listing was estimated to end
        left = None if bottom is None else self._pages_left(walked, top, bottom)
        if left is None or near_the_end(window.upper, window.floor, left):
            return []
        wanted = inflight.room()
        if splitter is not None and window.upper is None and window.floor is None:  # its share
            wanted = splitter.parts_for(left, self.source.page_size.expected, inflight.target, wanted)
        parts = inflight.claim(window_key(key), left, wanted)
        if not parts:
            return []
        shares = splitter.shares if splitter is not None else None
        bounds = boundaries(top, window.floor, bottom, parts, shares=shares)
        if len(bounds) < parts:
            inflight.release(parts - len(bounds))
        if not bounds:
            return []
        self.source.logger.debug(
            "%s: splitting a window at %s (%.0f pages left; %d of %d in flight)",
            self.source.name,
            ", ".join(bounds),
            left,
            inflight.active,
            inflight.target,
        )
        lows = [*bounds[1:], window.floor]
        names = [key, *(f"{key}-{n}" for n in range(1, len(bounds)))]
        return [
            (name, Window(window.scope, upper=upper, floor=low, long=True))
            for name, upper, low in zip(names, bounds, lows, strict=True)
        ]

    def _searching(self, window: Window, values: list[str]) -> bool:
        """Whether a walk's top window waits for the total's count to place its first split
        (the count went out beside the first pages: :meth:`.Splitter.start`), once per stream."""
        splitter = self.source.splitter
        if window.floor is not None or window.upper is not None or splitter is None:
            return False
        oldest, newest = min(values), max(values)
        span = (parse_instant(newest) - parse_instant(oldest)).total_seconds()
        service = self.inflight.service if self.inflight is not None else None
        wait = min(service or 0.0, MAX_WAIT) / 2  # a count under way is about that close
        return splitter.search_in_background(oldest, span, len(values), newest, wait) is SEARCHING

    def _pages_left(self, walked: Walked, top: str, bottom: str) -> float:
        """Pages between ``top`` and ``bottom``: the count curve's records there, scaled to the
        window's own share of them (:meth:`.Curve.pages_left`), else the window's own density."""
        page = self.source.page_size.expected
        splitter = self.source.splitter
        curve = splitter.curve() if splitter is not None else None
        estimate = curve.pages_left(walked, top, bottom, page) if curve is not None else None
        return estimate if estimate is not None else walked.pages_between(top, bottom, page)

    def _bottom(self) -> str | None:
        """Where a walk's bottom window probably ends (the counts asked so far say)."""
        splitter = self.source.splitter
        return splitter.oldest() if splitter is not None else None


def window_key(part_key: str) -> str:
    """The key of the window a split-off part (``<window key>.<page>``) comes from."""
    return part_key.rsplit(".", 1)[0]


def is_split_off(key: str) -> bool:
    """Whether ``key`` names a window split off another (``<window key>.<page>``), not one
    the walk planned (``0``, ``1``, ...)."""
    return "." in key
