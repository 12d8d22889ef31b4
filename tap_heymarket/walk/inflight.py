"""How many windows a stream reads at once: enough to keep the request budget busy, no more.

A walk is sequential, so the rate it reaches is one request per *service time*: the round
trip (``response.elapsed``: no wait for the limiter, no wait for the interpreter lock in it).
Little's law gives the windows needed to reach ``max_requests_per_minute``: rate x service
time. The service time is measured at run time (the fastest of the latest responses of the
stream), so the same settings fit 50 ms and 2 s of latency; ``max_concurrency`` stays a
ceiling a user sets. The rate worth reaching is also capped by what the main thread can
emit (pages a second, measured too): windows beyond it would only hold pages in memory.

Windows are split (see :mod:`tap_heymarket.walk.splitting`) while fewer are in flight than that
target, and again whenever one finishes while another still has far to go (the tail is
rebalanced): a free slot goes to a window with at least :data:`MIN_PART_PAGES` pages left and
at least half as many as the window farthest from done. Small accounts never pay for it.
A window may take several free slots at once (one split into several windows: the ramp to
the target takes one round trip, not one per doubling), each part keeping ``MIN_PART_PAGES``.

Where the interpreter, not the budget, limits the rate (a budget above the pages a second one
interpreter can decode and emit, some 700 here: Heymarket's 500 requests a minute is far below
it), the latest round trips are no measure of the server: each holds its worker's wait for the
interpreter lock, which grows with the windows in flight, so sizing on them fed on itself (at
no latency, 5-11 windows where 1-2 keep the interpreter busy, each holding a page). There the
service time is the run's fastest round trip.

When the main thread is what limits the run (it is busy emitting nearly all the time, as
with no latency to speak of), or the server is (its round trips grow with the windows in
flight, :data:`QUEUEING`, as congestion control reads a queue), more windows would only
hold more pages and threads in memory: the target then stops growing past those in flight.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading

from tap_heymarket import clock
from tap_heymarket.timestamps import parse_instant

#: A split costs one page that both sides read: a window with fewer pages left than this is
#: not split. A split is only made while the budget has free slots (so a latency-free run
#: barely splits), where the page more costs no time, and the run's end is spread over at
#: most this many round trips: two, not four (at 1 s and 1,200 a minute, four pages left in
#: the last windows were a fifth of a short run; the latency-free request counts are the same).
MIN_PART_PAGES = 2
HEADROOM = 1.5  # half as many more than Little's law, for the spread of latencies
SMOOTHING = 0.2  # weight of the newest value in the main thread's and workers' moving averages
ROUND_TRIPS = 9  # the latest round trips whose median is the service time
#: The share of its time the main thread spends emitting, beyond which it is what limits the run.
SATURATED = 0.9
#: Round trips this many times slower than the run's first ones, with more windows in flight
#: than then: the server is queueing the requests (its own capacity, not latency, limits the
#: run), and more windows would only lengthen its queue.
QUEUEING = 2.0


class InFlight:
    """The target number of windows in flight, and the windows that are (one stream, one run)."""

    def __init__(self, ceiling: int, requests_per_minute: float) -> None:
        self.ceiling = max(1, ceiling)
        self.rate = requests_per_minute / 60.0  # requests a second the budget allows
        self._round_trips: collections.deque[float] = collections.deque(maxlen=ROUND_TRIPS)
        self._first_trips: list[float] = []  # the run's first round trips: the server unloaded
        self._first_active = 0  # the windows in flight then
        self._fastest: float | None = None  # the run's fastest round trip
        self.consumer: float | None = None  # seconds the main thread needs to emit a page
        self.busy: float | None = None  # share of the main thread's time spent emitting
        self.work: float | None = None  # CPU seconds a worker spends on a page (decode, sift)
        self._last_page: float | None = None  # when the main thread last finished a page
        self._active: set[str] = set()
        self._reserved = 0  # slots promised to windows being split off
        self._left: dict[str, float] = {}  # pages left, as each window last estimated
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        """One response's round trip."""
        with self._lock:
            seconds = max(seconds, 0.0)
            self._round_trips.append(seconds)
            self._fastest = seconds if self._fastest is None else min(self._fastest, seconds)
            if len(self._first_trips) < ROUND_TRIPS:
                self._first_trips.append(seconds)
                self._first_active = max(self._first_active, len(self._active))

    @property
    def service(self) -> float | None:
        """Seconds a walk needs per page: the fastest of the latest round trips (None: none yet).

        Not a mean: a listing's first responses are often far slower than the rest (a cold
        cache or connection), and such an answer must not fill every free slot; the spread
        of latencies is what :data:`HEADROOM` is for.
        """
        with self._lock:
            return self._service()

    def _service(self) -> float | None:
        return min(self._round_trips) if self._round_trips else None

    def observe_work(self, seconds: float) -> None:
        """The CPU time a worker spent on one page (the interpreter runs one thread at a time,
        so pages cost the run this on top of the main thread's share: it caps the rate too)."""
        with self._lock:
            self.work = _average(self.work, max(seconds, 0.0))

    def observe_consumer(self, seconds: float) -> None:
        """How long emitting one page took the main thread (it caps the rate worth reaching),
        and the share of its time that is since the page before (near 1: it is saturated)."""
        now = clock.monotonic()
        with self._lock:
            seconds = max(seconds, 1e-6)
            self.consumer = _average(self.consumer, seconds)
            if self._last_page is not None:
                share = min(seconds / max(now - self._last_page, seconds), 1.0)
                self.busy = _average(self.busy, share)
            self._last_page = now

    @property
    def target(self) -> int:
        """Windows to keep in flight: rate x service time (Little's law), within the ceiling.

        The rate is the budget's, or the pages a second the interpreter can handle if fewer
        (the main thread's time to emit a page and a worker's CPU time to decode and sift it):
        windows beyond that would only hold pages and threads in memory, and the service time
        is then the run's fastest round trip (see the module docstring). A
        saturated main thread (see the module docstring) holds the target where it is.
        """
        with self._lock:
            return self._target()

    def _target(self) -> int:
        service = self._service()
        if service is None:
            return self.ceiling
        per_page = (self.consumer or 0.0) + (self.work or 0.0)  # interpreter time a page takes
        rate = self.rate if per_page <= 0 else min(self.rate, 1.0 / per_page)
        if rate < self.rate and self._fastest is not None:  # the interpreter, not the budget, binds
            service = self._fastest  # the latest round trips hold waits for it (see the docstring)
        needed = max(1, min(self.ceiling, math.ceil(rate * service * HEADROOM)))
        grown = len(self._active) > self._first_active
        queueing = grown and service > QUEUEING * max(min(self._first_trips), 1e-3)
        if queueing or (self.busy is not None and self.busy >= SATURATED):
            return min(needed, max(len(self._active), 1))
        return needed

    def started(self, key: str, *, reserved: bool = False) -> None:
        """A window went to a worker (``reserved``: into the slot its split claimed)."""
        with self._lock:
            self._active.add(key)
            if reserved:
                self._reserved = max(self._reserved - 1, 0)

    def finished(self, key: str) -> None:
        """A window is done: its slot is free for a window that still has far to go."""
        with self._lock:
            self._active.discard(key)
            self._left.pop(key, None)

    def has_room(self) -> bool:
        """Whether fewer windows are in flight than the target (cheap: asked after every page)."""
        with self._lock:
            return self._room() > 0

    def _room(self) -> int:
        return self._target() - len(self._active) - self._reserved

    def claim(self, key: str, pages_left: float, parts: int = 1) -> int:
        """How many parts window ``key``, with about ``pages_left`` pages to go, should split
        off now (0: none; at most ``parts``, the free slots, and what keeps every part at
        :data:`MIN_PART_PAGES` pages).

        Checked and reserved under one lock, so windows splitting at once on several worker
        threads never claim more slots than are free. Each part reserves its slot
        (:meth:`release` gives back those not used); slots go to windows farthest from done.
        """
        with self._lock:
            if math.isfinite(pages_left):  # a walk's first page (not yet estimated) is not kept
                self._left[key] = pages_left
            room = self._room()
            if room <= 0 or pages_left < MIN_PART_PAGES:
                return 0
            if pages_left < 0.5 * max(self._left.values(), default=0.0):
                return 0
            fit = pages_left // MIN_PART_PAGES - 1 if math.isfinite(pages_left) else parts
            granted = int(max(1, min(parts, room, fit)))
            self._reserved += granted
            return granted

    def release(self, parts: int = 1) -> None:
        """Claimed parts that were not split off after all."""
        with self._lock:
            self._reserved = max(self._reserved - parts, 0)

    def room(self) -> int:
        """Free slots: windows the target wants beyond those in flight or promised."""
        with self._lock:
            return max(self._room(), 0)

    @property
    def active(self) -> int:
        """Windows in flight now."""
        with self._lock:
            return len(self._active)


def near_the_end(upper: str | None, floor: str | None, pages_left: float | None) -> bool:
    """Whether a window split off a walk's bottom (an ``upper``, no ``floor``: it reads to the
    listing's end) is too close to that end to split again: fewer than twice :data:`MIN_PART_PAGES`
    pages left by an estimate that rests on where the counts say the listing ends. A part cut
    below the real end would cost two empty pages (an empty page is asked twice) at the very
    end of the run, the longest tail there is."""
    return upper is not None and floor is None and (pages_left or 0.0) < 2 * MIN_PART_PAGES


def _average(old: float | None, new: float) -> float:
    """The moving average: the newest value weighs :data:`SMOOTHING`."""
    return new if old is None else (1 - SMOOTHING) * old + SMOOTHING * new


@dataclasses.dataclass
class Walked:
    """What one window has read so far: its newest and oldest values and how many records."""

    newest: str | None = None
    oldest: str | None = None
    records: int = 0

    def add(self, values: list[str], kept: int) -> None:
        """Count one page."""
        if values:
            self.newest = max(values) if self.newest is None else max(self.newest, *values)
            self.oldest = min(values) if self.oldest is None else min(self.oldest, *values)
        self.records += kept

    def density(self) -> float:
        """Records a second over the span read so far (at least one second's worth)."""
        if self.newest is None or self.oldest is None:
            return 0.0
        span = (parse_instant(self.newest) - parse_instant(self.oldest)).total_seconds()
        return self.records / max(span, 1.0)

    def pages_between(self, top: str, floor: str, page: int) -> float:
        """Pages left between ``top`` and ``floor`` at this window's own density."""
        seconds = (parse_instant(top) - parse_instant(floor)).total_seconds()
        return max(seconds, 0.0) * self.density() / max(page - 1, 1)
