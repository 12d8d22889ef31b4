"""Time windows: a long walk split so that its parts are read at once.

One walk is sequential (each cursor comes from the page before), so a one-inbox account has
two walks (its open and closed views) and a long backfill runs at two requests per round
trip, far below the API's 500 a minute when requests take 250 ms. A walk with a long way to
go is therefore cut, after its first page, at a boundary ``b`` chosen from the listing's count
endpoint (whose ``date`` counts what is older): the walk goes on down to ``b``, and a new
window reads from ``b`` down to the old floor, on another worker.

Exactly once across the boundary under every reading of the cursor: ``b`` is a whole second,
so any server's truncation leaves it as it is; the lower window's first cursor is ``b`` and it
keeps only values strictly below ``b``; the upper window keeps values at or above ``b`` and
stops after the page that reaches below it (ties at ``b`` included). What it costs: the
count probes (shared by the walks of a stream, at most :data:`MAX_PROBES` per boundary) and
one page per boundary that both sides read. Splitting stops when that would exceed
:data:`OVERHEAD_SHARE` of the pages the walk has left, so small accounts never pay for it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import typing as t

from tap_heymarket.timestamps import format_instant, parse_instant, shifted

MIN_PAGES = 40  # a walk with fewer pages left is not worth splitting
OVERHEAD_SHARE = 0.04  # probes and boundary pages, as a share of the pages left
MAX_PROBES = 3
TOLERANCE = 0.15  # a boundary this close to the middle (as a share of the records) will do


class Counter(t.Protocol):
    """``count(date)``: records "before" ``date`` (None: all), as the listing's count endpoint says."""

    def __call__(self, date: str | None) -> int: ...


class Splitter:
    """Chooses boundaries for one stream in one run; caches counts (its walks share them)."""

    def __init__(self, count: Counter, page_size: int = 30) -> None:
        self._count = count
        self.page_size = page_size
        self.probes = 0
        self._cache: dict[str | None, int] = {}
        self._boundaries: dict[tuple[str | None, str | None], str | None] = {}
        self._lock = threading.Lock()
        self._counting = threading.Lock()
        self._search_thread: threading.Thread | None = None
        self.newest: str | None = None
        self._searching = threading.Lock()

    def count(self, date: str | None) -> int:
        """``count(date)``, asked once per date per run (callers at once wait for one answer)."""
        with self._counting:
            with self._lock:
                if date in self._cache:
                    return self._cache[date]
            value = self._count(date)
            with self._lock:
                self.probes += 1
                self._cache[date] = value
            return value

    def boundary(
        self, oldest: str, span: float, records: int, floor: str | None, top: str | None = None
    ) -> str | None:
        """A whole second between ``floor`` and ``oldest`` with about half of the records
        between ``floor`` and ``top`` (None: the newest) below it, or None when the walk is not
        worth splitting.

        ``oldest``, ``span`` (seconds) and ``records`` describe the walk's last page: its
        density places the first probe; each further probe is placed by secant. Walks that
        share their bounds (a stream's views, on their first page) share the boundary.
        """
        with self._searching:  # the views ask at once: one searches, the other waits for it
            if (top, floor) not in self._boundaries:
                self._boundaries[(top, floor)] = self._search(oldest, span, records, floor, top)
            return self._boundaries[(top, floor)]

    def _search(
        self, oldest: str, span: float, records: int, floor: str | None, top: str | None
    ) -> str | None:
        newest = self.count(top)
        below = self.count(floor) if floor is not None else 0
        left = newest - below
        if left < MIN_PAGES * self.page_size:
            return None
        target = below + left / 2
        density = 2 * max(records, 1) / max(span, 1.0)  # records a second: two views, roughly
        lower = parse_instant(floor) if floor is not None else None
        high_t, high_c = parse_instant(oldest), newest
        guess = high_t - dt.timedelta(seconds=(newest - target) / density)
        best: tuple[float, str] | None = None
        for _ in range(MAX_PROBES):
            if lower is not None and guess <= lower:
                guess = lower + (high_t - lower) / 2
            candidate = format_instant(guess.replace(microsecond=0))
            if candidate >= oldest or (floor is not None and candidate <= floor):
                break
            found = self.count(candidate)
            miss = abs(found - target) / left
            if best is None or miss < best[0]:
                best = (miss, candidate)
            if miss <= TOLERANCE:
                break
            if found > target:  # still too recent: go further back at the density seen so far
                slope = max(high_c - found, 1) / max((high_t - guess).total_seconds(), 1.0)
                high_t, high_c = guess, found
                guess = guess - dt.timedelta(seconds=(found - target) / slope)
            else:  # too far back: interpolate between this probe and the last one above
                slope = max(high_c - found, 1) / max((high_t - guess).total_seconds(), 1.0)
                guess = guess + dt.timedelta(seconds=(target - found) / slope)
        return best[1] if best is not None and best[0] <= 0.35 else None

    def search_in_background(
        self, oldest: str, span: float, records: int, newest: str, wait: float = 0.0
    ) -> str | Searching | None:
        """:meth:`boundary` for a walk's first page, on a thread of its own, so the walk reads
        on while the count is probed (start-up work overlaps with reading). The boundary once
        found (None: not worth splitting), else :data:`SEARCHING`.

        A search under way is waited for up to ``wait`` seconds: its probe left about when the
        walk's page did, so it is nearly back, and every window split off then starts a round
        trip sooner.
        """
        with self._lock:
            running = self._search_thread
        if running is not None and wait > 0:
            running.join(timeout=wait)
        with self._lock:
            if (None, None) in self._boundaries:
                return self._boundaries[(None, None)]
            if self._search_thread is None:
                self.newest = newest  # the count of everything stands at the newest value read
                self._search_thread = threading.Thread(
                    target=self._search_quietly,
                    args=(oldest, span, records),
                    name="count-probes",
                    daemon=True,
                )
                self._search_thread.start()
        return SEARCHING

    def _search_quietly(self, oldest: str, span: float, records: int) -> None:
        try:
            self.boundary(oldest, span, records, None)
        except Exception:  # a count that fails only costs the split, never the sync
            with self._lock:
                self._boundaries[(None, None)] = None

    def shares(self, top: str, low: str, parts: int) -> list[str] | None:
        """``parts`` instants below ``top``, newest first, that cut the records between ``low``
        and ``top`` in equal shares as the counts asked so far say (linear between them, none
        below :meth:`oldest`); None when they cannot say. The counts are the whole account's:
        for one walk's inboxes and view they place boundaries as well as its records are spread
        like the account's (and the tail is rebalanced when they are not)."""
        end = self.oldest()
        if end is None:
            return None
        with self._lock:
            points = {d: c for d, c in self._cache.items() if d is not None and d > end}
            if self.newest is not None and None in self._cache and self.newest > end:
                points.setdefault(self.newest, self._cache[None])
        curve = [(parse_instant(end), 0.0)]
        for date, count in sorted(points.items()):
            if count > curve[-1][1]:
                curve.append((parse_instant(date), float(count)))
        if len(curve) < 2:
            return None
        high, base = _count_at(curve, parse_instant(top)), _count_at(curve, parse_instant(low))
        if high <= base:
            return None
        share = (high - base) / (parts + 1)
        cuts = [_instant_of(curve, high - share * n) for n in range(1, parts + 1)]
        return [format_instant(cut.replace(microsecond=0)) for cut in cuts]

    def oldest(self) -> str | None:
        """About where the listing's records end, from the counts asked so far (no request).

        The lowest probe's count, drained at the rate the two lowest points show (records a
        second, the whole account's: a span of time, whatever the walk's scope), places it;
        the newest value the search started from stands for the count of everything. None
        until a search has probed. Only a split's balance rests on it, never a record.
        """
        with self._lock:
            points = sorted((d, c) for d, c in self._cache.items() if d is not None)
            newest = self.newest
            if newest is not None and None in self._cache and (not points or newest > points[-1][0]):
                points.append((newest, self._cache[None]))
        if len(points) < 2:
            return None
        (low, below), (high, above) = points[0], points[1]
        if below <= 0:
            return low
        seconds = (parse_instant(high) - parse_instant(low)).total_seconds()
        if above <= below or seconds <= 0:
            return None
        rate = (above - below) / seconds
        return format_instant(shifted(parse_instant(low), -dt.timedelta(seconds=below / rate)))


class Searching:
    """A boundary search still under way."""


SEARCHING = Searching()


def _count_at(curve: list[tuple[dt.datetime, float]], instant: dt.datetime) -> float:
    """The count below ``instant`` on a piecewise-linear curve (flat beyond its ends)."""
    for (t0, c0), (t1, c1) in itertools.pairwise(curve):
        if instant <= t1:
            return c0 + (c1 - c0) * min(max((instant - t0) / (t1 - t0), 0.0), 1.0)
    return curve[-1][1]


def _instant_of(curve: list[tuple[dt.datetime, float]], count: float) -> dt.datetime:
    """Where the curve reaches ``count`` (counts rise strictly along it)."""
    for (t0, c0), (t1, c1) in itertools.pairwise(curve):
        if count <= c1:
            return t0 + (t1 - t0) * ((count - c0) / (c1 - c0))
    return curve[-1][0]


def even_splits(top: str, floor: str, parts: int) -> list[str]:
    """``parts`` whole seconds cutting the time between ``floor`` and ``top`` evenly, newest
    first (those that fall outside, or on one another, left out)."""
    low, high = parse_instant(floor), parse_instant(top)
    step = (high - low) / (parts + 1)
    cuts = [format_instant((high - step * n).replace(microsecond=0)) for n in range(1, parts + 1)]
    return [cut for n, cut in enumerate(cuts) if floor < cut < top and (n == 0 or cut < cuts[n - 1])]


def boundaries(
    top: str,
    floor: str | None,
    bottom: str | None,
    found: str | Searching | None,
    parts: int,
    *,
    shares: t.Callable[[str, str, int], list[str] | None] | None,
) -> list[str]:
    """Where a window reading down from ``top`` to ``floor`` (None: the listing's end, about
    ``bottom``) splits into ``parts`` more: whole seconds strictly inside, newest first.

    The count's own boundary (``found``) when one part is split off; else the shares of the
    records the counts asked so far say (``shares``), else an even split of the time. Fewer
    when the span has fewer whole seconds, none when nothing says where the listing ends.
    """
    if isinstance(found, str) and (parts == 1 or bottom is None):
        candidates = [found]
    elif bottom is None:
        return []
    else:
        candidates = (shares(top, bottom, parts) if shares is not None else None) or even_splits(
            top, bottom, parts
        )
    out: list[str] = []
    for candidate in candidates:
        if (floor or "") < candidate < (out[-1] if out else top):
            out.append(candidate)
    return out
