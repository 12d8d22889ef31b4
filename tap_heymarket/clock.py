"""The tap's only source of time, so tests can advance or freeze it.

Token minting, the request limiter and bookmark capping read the clock here; tests patch
these functions instead of sleeping for real.
"""

from __future__ import annotations

import datetime as dt
import time


def wall() -> float:
    """Seconds since the epoch (JWT ``iat``)."""
    return time.time()


def monotonic() -> float:
    """A clock that never goes back (rate limiting)."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    """Wait; a no-op for non-positive values."""
    if seconds > 0:
        time.sleep(seconds)


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.fromtimestamp(wall(), tz=dt.timezone.utc)
