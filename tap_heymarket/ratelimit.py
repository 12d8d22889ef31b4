"""A request budget shared by every thread the tap runs.

Heymarket allows 500 requests a minute per key. A sliding one-minute window would let a
burst of 500 go out at once and then stall; instead requests are spaced evenly
(``60 / limit`` seconds apart), which keeps any one-minute window under the limit. A 429 from
any slice pauses every slice: the API's budget is per key, not per thread.
"""

from __future__ import annotations

import logging
import threading

from tap_heymarket import clock

LOGGER = logging.getLogger("tap-heymarket")


class RequestRateLimiter:
    """Evenly spaced request slots, shared across threads, with a global pause."""

    def __init__(self, requests_per_minute: float) -> None:
        self._interval = 60.0 / requests_per_minute if requests_per_minute > 0 else 0.0
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0

    @property
    def interval(self) -> float:
        """Seconds between two request slots."""
        return self._interval

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        with self._lock:
            now = clock.monotonic()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
        clock.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, clock.monotonic() + seconds)
