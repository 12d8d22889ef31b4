"""How many windows a stream reads at once: enough to keep the request budget busy, no more.

A walk is sequential, so the rate it reaches is one request per *service time*: the round
trip (``response.elapsed``: no wait for the limiter, no wait for the interpreter lock in it).
Little's law gives the windows needed to reach ``max_requests_per_minute``: rate x service
time. The service time is measured at run time (a moving average over every response of the
stream), so the same settings fit 50 ms and 2 s of latency; ``max_concurrency`` stays a
ceiling a user sets. The rate worth reaching is also capped by what the main thread can
emit (pages a second, measured too): windows beyond it would only hold pages in memory.

Windows are split (see :mod:`tap_heymarket.windows`) while fewer are in flight than that
target, and again whenever one finishes while another still has far to go (the tail is
rebalanced): a free slot goes to a window with at least :data:`MIN_PAGES` pages left and
at least half as many as the window farthest from done. Small accounts never pay for it.
"""

from __future__ import annotations

import dataclasses
import math
import threading

from tap_heymarket.timestamps import parse_instant

#: A split costs one page that both sides read: a window with fewer pages left than this is
#: not split (a split costs at most 1/8 more requests of what is left; it is only made
#: while the budget needs more windows in flight, so a latency-free run barely splits).
MIN_PAGES = 8
HEADROOM = 1.5  # half as many more than Little's law, for the spread of latencies
SMOOTHING = 0.2  # weight of the newest service time in the moving average


class InFlight:
    """The target number of windows in flight, and the windows that are (one stream, one run)."""

    def __init__(self, ceiling: int, requests_per_minute: float) -> None:
        self.ceiling = max(1, ceiling)
        self.rate = requests_per_minute / 60.0  # requests a second the budget allows
        self.service: float | None = None  # seconds a walk needs per page (moving average)
        self.consumer: float | None = None  # seconds the main thread needs to emit a page
        self._active: set[str] = set()
        self._reserved = 0  # slots promised to windows being split off
        self._left: dict[str, float] = {}  # pages left, as each window last estimated
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        """One response's round trip."""
        with self._lock:
            seconds = max(seconds, 0.0)
            self.service = (
                seconds if self.service is None else ((1 - SMOOTHING) * self.service + SMOOTHING * seconds)
            )

    def observe_consumer(self, seconds: float) -> None:
        """How long emitting one page took the main thread (it caps the rate worth reaching)."""
        with self._lock:
            seconds = max(seconds, 1e-6)
            self.consumer = (
                seconds if self.consumer is None else ((1 - SMOOTHING) * self.consumer + SMOOTHING * seconds)
            )

    @property
    def target(self) -> int:
        """Windows to keep in flight: rate x service time (Little's law), within the ceiling.

        The rate is the budget's, or the pages a second the main thread can emit if fewer:
        windows beyond what the consumer can take would only hold pages in memory.
        """
        if self.service is None:
            return self.ceiling
        rate = self.rate if self.consumer is None else min(self.rate, 1.0 / self.consumer)
        needed = math.ceil(rate * self.service * HEADROOM)
        return max(1, min(self.ceiling, needed))

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
            return len(self._active) + self._reserved < self.target

    def claim(self, key: str, pages_left: float) -> bool:
        """Whether window ``key``, with about ``pages_left`` pages to go, should split now.

        True reserves a slot for the part split off (:meth:`release` gives it back if no
        boundary is found); the slot goes to windows farthest from done first.
        """
        with self._lock:
            if math.isfinite(pages_left):  # a walk's first page (not yet estimated) is not kept
                self._left[key] = pages_left
            if len(self._active) + self._reserved >= self.target or pages_left < MIN_PAGES:
                return False
            if pages_left < 0.5 * max(self._left.values(), default=0.0):
                return False
            self._reserved += 1
            return True

    def release(self) -> None:
        """A claimed split did not happen."""
        with self._lock:
            self._reserved = max(self._reserved - 1, 0)

    @property
    def active(self) -> int:
        """Windows in flight now."""
        with self._lock:
            return len(self._active)


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
