"""The count curve: how many records lie below each instant, as the counts asked so far say.

The listing's count endpoint answers "how many records are older than ``date``" for the whole
account. Between the dates asked, the curve is linear; below the listing's estimated end it
is zero. It places a walk's boundaries (equal shares of its records) and says how far a
window is from done: a window's own density, read off its first pages, says little about
what lies below it, since older records are sparser (an active conversation's ``updated``
moves to now): on the independent stand-in, extrapolating it put 3,068 pages where there
were 300. Scaled by the records the window has read against what the curve says of the same
span, the curve holds for one walk's inboxes and view as well as those are spread like the
account's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import typing as t

from tap_heymarket.timestamps import parse_instant

if t.TYPE_CHECKING:
    from tap_heymarket.walk.inflight import Walked


@dataclasses.dataclass(frozen=True)
class Curve:
    """Points ``(instant, records below it)``, oldest first, counts rising strictly."""

    points: tuple[tuple[dt.datetime, float], ...]

    @classmethod
    def through(cls, end: str, counts: dict[str, int]) -> Curve | None:
        """The curve from zero at ``end`` through the counts of the dates above it (None:
        nothing above it counted records)."""
        points = [(parse_instant(end), 0.0)]
        for instant, count in sorted((parse_instant(date), count) for date, count in counts.items()):
            if instant > points[-1][0] and count > points[-1][1]:  # a span of time for each step
                points.append((instant, float(count)))
        return cls(tuple(points)) if len(points) >= 2 else None

    def count_at(self, instant: dt.datetime) -> float:
        """The count below ``instant`` (flat beyond the curve's ends)."""
        for (t0, c0), (t1, c1) in itertools.pairwise(self.points):
            if instant <= t1:
                return c0 + (c1 - c0) * min(max((instant - t0) / (t1 - t0), 0.0), 1.0)
        return self.points[-1][1]

    def instant_of(self, count: float) -> dt.datetime:
        """Where the curve reaches ``count``."""
        for (t0, c0), (t1, c1) in itertools.pairwise(self.points):
            if count <= c1:
                return t0 + (t1 - t0) * ((count - c0) / (c1 - c0))
        return self.points[-1][0]

    def between(self, high: str, low: str) -> float:
        """Records between ``low`` and ``high`` (zero if ``high`` is not above ``low``)."""
        return max(self.count_at(parse_instant(high)) - self.count_at(parse_instant(low)), 0.0)

    def pages_left(self, walked: Walked, top: str, low: str, page: int) -> float | None:
        """Pages between ``low`` and ``top`` for a window that has ``walked`` so far, at
        ``page`` records a page less the one each page sends again: the curve's records
        there, scaled by the window's own share of the account over the span it read (None:
        it has read nothing yet, or the curve says none lie where it read)."""
        if walked.newest is None or walked.oldest is None or walked.records <= 0:
            return None
        seen = self.between(walked.newest, walked.oldest)
        if seen <= 0:
            return None
        return self.between(top, low) * walked.records / seen / max(page - 1, 1)
