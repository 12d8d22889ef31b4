"""Time windows: a long walk split so that its parts are read at once.

One walk is sequential (each cursor comes from the page before), so a one-inbox account has
two walks (its open and closed views) and a long backfill runs at two requests per round
trip, far below the API's 500 a minute when requests take 250 ms. A walk with a long way to
go is therefore cut, after its first page, at boundaries ``b`` placed by the listing's count
endpoint (whose ``date`` counts what is older) and that page's density: the walk goes on down
to the first ``b``, and new windows read from each ``b`` down to the next, on other workers.

Exactly once across the boundary under every reading of the cursor: ``b`` is a whole second,
so any server's truncation leaves it as it is; the lower window's first cursor is ``b`` and it
keeps only values strictly below ``b``; the upper window keeps values at or above ``b`` and
stops after the page that reaches below it (ties at ``b`` included). What it costs: the
count probes (shared by the walks of a stream: the total, asked anyway for progress,
:data:`RUNGS` and at most :data:`DESCENTS` more) and one page per boundary that both sides
read. An account of fewer than :data:`MIN_ACCOUNT_PAGES` pages by the total's count is not split and
asks no probe, so small accounts never pay for it; past that, a window splits only while
slots are free, into parts of at least :data:`tap_heymarket.walk.inflight.MIN_PART_PAGES` pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import typing as t

from tap_heymarket.timestamps import format_instant, parse_instant, shifted
from tap_heymarket.walk.curve import Curve

MIN_ACCOUNT_PAGES = 40  # an account of fewer pages (the total's count) is not worth a probe or a split
#: Where the first split's probes count, as shares of the span the first page's density gives
#: the records below it: the middle, where they should end, and 4, 16 and 64 times as far down
#: (each its own request, at once). Older records are sparser than the first page (an active
#: conversation's ``updated`` moves to now), so the end lies lower than the density says: on
#: the independent stand-in about 55 times lower. The far rungs bracket it in the same round trip;
#: on an evenly spread account they count none and cost three requests a run.
RUNGS = (0.5, 1.0, 4.0, 16.0, 64.0)
#: Counts asked below the first ones, one after another in the background, to follow the
#: listing's end down (:meth:`Splitter._descend`); on the stand-in three reach it.
DESCENTS = 6


class Counter(t.Protocol):
    """``count(date)``: records "before" ``date`` (None: all), as the listing's count endpoint says."""

    def __call__(self, date: str | None) -> int: ...


class Bounded(t.Protocol):
    """A planned window's bounds (:class:`~tap_heymarket.plan.Window`)."""

    @property
    def floor(self) -> str | None: ...

    @property
    def upper(self) -> str | None: ...


class Splitter:
    """Places boundaries for one stream in one run; caches counts (its walks share them).

    Start-up takes one round trip: :meth:`start` asks ``count(None)`` beside the walks' first
    pages, so when a walk's first page is back the count is too, and :meth:`search_in_background`
    can at once say where the records lie: below the newest value read, as densely as that
    page (the two views at once), down to where ``count(None)`` of them are used up
    (:meth:`oldest`). The first window then splits into every free slot, evenly in records as
    far as that says; the probes it fires (:data:`RUNGS`, each its own request, at once) refine
    the estimate for the splits that follow and for the tail, and once they are back the end
    is followed down (:meth:`_follow_end`) while the walks read. Each count is asked once per run.
    """

    def __init__(self, count: Counter, page_size: int = 30) -> None:
        self._count = count
        self.page_size = page_size
        self.probes = 0
        self._cache: dict[str | None, int] = {}
        self._asking: dict[str | None, threading.Lock] = {}  # one request per date, at once per date
        self._placed = False  # the first page's rate and probes are set (once per run)
        self._lock = threading.Lock()
        self._search_thread: threading.Thread | None = None  # the total's count, under way
        self._probe_threads: list[threading.Thread] = []
        self._pending = 0  # probes under way whose answers may move the end (:meth:`_descend`)
        self._descents = 0
        self._finished = False  # the stream's run is over: no count more
        self.newest: str | None = None
        self.rate: float | None = None  # records a second at the top, from a walk's first page

    def count(self, date: str | None) -> int:
        """``count(date)``, asked once per date per run: callers of one date at once wait for
        its one answer, counts of different dates go out at once."""
        with self._lock:
            if date in self._cache:
                return self._cache[date]
            asking = self._asking.setdefault(date, threading.Lock())
        with asking:
            with self._lock:
                if date in self._cache:
                    return self._cache[date]
            value = self._count(date)
            with self._lock:
                self.probes += 1
                self._cache[date] = value
            return value

    def start(self, windows: t.Iterable[Bounded]) -> None:
        """Ask ``count(None)`` now, beside the first pages, if a planned window reads from the
        newest record to the listing's end (the only window whose first split counts place):
        it costs no request more, the progress count and the first split share it."""
        if any(w.floor is None and w.upper is None for w in windows):
            self._start_total()

    def _start_total(self) -> threading.Thread:
        with self._lock:
            if self._search_thread is None:
                self._search_thread = self._probe(None, "count-total")
            return self._search_thread

    def _probe(
        self, date: str | None, name: str = "count-probe", *, follow: bool = False
    ) -> threading.Thread:
        """Count ``date`` in the background; a ``follow`` probe (its share of :attr:`_pending`
        already taken) is followed, once every such probe is back, by :meth:`_follow_end`."""
        thread = threading.Thread(target=self._count_quietly, args=(date, follow), name=name, daemon=True)
        thread.start()
        return thread

    def _count_quietly(self, date: str | None, follow: bool) -> None:
        with contextlib.suppress(Exception):  # a count that fails only costs the split, never the sync
            self.count(date)
        if follow:
            with self._lock:
                self._pending -= 1
                last = self._pending == 0
            if last:
                self._follow_end()

    def search_in_background(
        self, oldest: str, span: float, records: int, newest: str, wait: float = 0.0
    ) -> Searching | None:
        """For a walk's first page (``records`` values between ``oldest`` and ``newest``,
        ``span`` seconds apart): None once the counts can place boundaries (:meth:`shares`,
        :meth:`oldest`) or the walk is not worth splitting; :data:`SEARCHING` while the total's
        count is still under way (it is waited for up to ``wait`` seconds: it left about when
        the page did, so it is nearly back, and every window split off then starts a round
        trip sooner). Never a single boundary: the first split takes every free slot at once.
        """
        running = self._start_total()  # (already under way when the run started it)
        if wait > 0:
            running.join(timeout=wait)
        with self._lock:
            if self._placed:
                return None
            if running.is_alive():
                return SEARCHING
            self._placed = True
            total = self._cache.get(None)
            if total is None or total < MIN_ACCOUNT_PAGES * self.page_size:  # no count, or not worth it
                return None
            self.newest = newest  # the count of everything stands at the newest value read
            self.rate = 2 * max(records, 1) / max(span, 1.0)  # records a second: two views, roughly
            top, seconds = parse_instant(newest), total / self.rate
            dates = [format_instant(shifted(top, -dt.timedelta(seconds=seconds * q))) for q in RUNGS]
            dates = [date for date in dates if date < oldest]
            self._pending += len(dates)
            self._probe_threads = [self._probe(date, follow=True) for date in dates]
        return None

    def probe_below(self, date: str) -> None:
        """A window read down to ``date``, past where the counts said the listing ends
        (:meth:`oldest`): the estimate is wrong, so count what lies below ``date`` (one request,
        in the background; the walk does not wait). The lowest two counts then place the end
        again. Records are rarely spread evenly: older ones are sparser (a conversation's
        ``updated`` moves to now when it is active again), so an end drained from the
        denser, newer counts falls short, and without this the window read the rest alone.
        """
        self._descend(date)

    def _follow_end(self) -> None:
        """Once the probes under way are back, count below where they now say the listing ends
        (:meth:`oldest`): records there mean the end lies lower, and their count, beside the
        lowest before it, gives the density down there (older records are sparser, so each
        estimate drained from the counts above falls short). In the background, one after
        another, while the walks read; it stops at a count of none or :data:`DESCENTS`."""
        estimate = self.oldest()
        if estimate is not None:
            self._descend(estimate)

    def _descend(self, date: str) -> None:
        """Count below ``date``'s whole second if that can say something new: one such probe
        at a time (the one before may move the end), strictly between the highest count of
        none and the lowest count of some, at most :data:`DESCENTS` a run."""
        cut = format_instant(parse_instant(date).replace(microsecond=0))
        with self._lock:
            if self._finished or self._pending or self._descents >= DESCENTS or cut in self._asking:
                return
            counted = [(d, c) for d, c in self._cache.items() if d is not None]
            if any(d <= cut for d, c in counted if c > 0) or any(cut <= d for d, c in counted if c <= 0):
                return
            self._descents += 1
            self._pending += 1
            self._probe_threads.append(self._probe(cut, follow=True))

    def finish(self) -> None:
        """The stream's run is over: no probe more (one under way is let be: its answer is moot)."""
        with self._lock:
            self._finished = True

    def parts_for(self, pages_left: float | None, page: int, target: int, room: int) -> int:
        """Parts a walk's first window splits into (``room`` at most): its share of the windows
        the budget wants in flight (``target``), as its records left (``pages_left`` pages of
        ``page``) are of the account's count, less its own slot. The walks' first pages come
        back at about the same time: the first must not take every slot from the others."""
        with self._lock:
            total = self._cache.get(None)
        if not total or pages_left is None:
            return room
        share = min(max(pages_left * max(page - 1, 1) / total, 0.0), 1.0)
        return max(1, min(room, round(target * share) - 1))

    def shares(self, top: str, low: str, parts: int, last: float = 1.0) -> list[str] | None:
        """``parts`` instants below ``top``, newest first, that cut the records between ``low``
        and ``top`` in equal shares as the counts asked so far say (linear between them, none
        below :meth:`oldest`); None when they cannot say. The counts are the whole account's:
        for one walk's inboxes and view they place boundaries as well as its records are spread
        like the account's (and the tail is rebalanced when they are not)."""
        curve = self.curve()
        if curve is None:
            return None
        high, base = curve.count_at(parse_instant(top)), curve.count_at(parse_instant(low))
        if high <= base:
            return None
        share = (high - base) / (parts + last)
        cuts = [curve.instant_of(high - share * n) for n in range(1, parts + 1)]
        return [format_instant(cut.replace(microsecond=0)) for cut in cuts]

    def curve(self) -> Curve | None:
        """The count curve of the counts asked so far, down to :meth:`oldest` (no request);
        the newest value read stands for the count of everything."""
        end = self.oldest()
        if end is None:
            return None
        with self._lock:
            points = {d: c for d, c in self._cache.items() if d is not None}
            if self.newest is not None and None in self._cache:
                points.setdefault(self.newest, self._cache[None])
        return Curve.through(end, points)

    def oldest(self) -> str | None:
        """About where the listing's records end, from the counts asked so far (no request).

        The lowest probe's count, drained at the rate the two lowest points show (records a
        second, the whole account's: a span of time, whatever the walk's scope), places it,
        never below a probe that counted none; the newest value read stands for the count
        of everything. With no probe of some back yet, the first page's density says it
        (drained from the newest value), never below a count of none. None until then.
        Only a split's balance rests on it, never a record.
        """
        with self._lock:
            points = sorted((d, c) for d, c in self._cache.items() if d is not None)
            newest, rate, total = self.newest, self.rate, self._cache.get(None)
            if newest is not None and total is not None and (not points or newest > points[-1][0]):
                points.append((newest, total))
        empty = max((d for d, c in points if c <= 0), default=None)
        counted = [(d, c) for d, c in points if c > 0]
        if len(counted) < 2:
            guess = None
            if len(counted) == 1 and rate and counted[0][0] == newest:
                guess = _drained(counted[0][0], counted[0][1], rate)
            if guess is None or empty is None:
                return guess or empty
            return max(guess, empty)  # a far rung back before the near ones: not the end yet
        (low, below), (high, above) = counted[0], counted[1]
        seconds = (parse_instant(high) - parse_instant(low)).total_seconds()
        if above <= below or seconds <= 0:
            return empty
        end = _drained(low, below, (above - below) / seconds)
        return max(end, empty) if empty is not None else end


def _drained(date: str, count: int, rate: float) -> str:
    """Where ``count`` records below ``date`` end at ``rate`` records a second."""
    return format_instant(shifted(parse_instant(date), -dt.timedelta(seconds=count / rate)))


class Searching:
    """A boundary search still under way."""


SEARCHING = Searching()
