"""Newest-first cursor pagination that holds under every plausible reading of the cursor.

A listing returns the newest records "before" ``date``; the next ``date`` is derived from the
page's order as a whole (:func:`~tap_heymarket.page_order.cursor_bases`: never from one value,
which may be out of place). The reference leaves open how ``date`` is compared (to the
microsecond, millisecond or whole second; "before" or "before or equal"), so no reading may
lose a record:

* **Step above the value ``m`` the page's order allows**, to the next whole millisecond (a
  whole second when ``m`` has no fraction: it may have been cut), so the rest of a tie group
  at ``m`` comes back under every reading. What comes back twice is dropped by ID.
* **Trust, but verify.** A server that compares at whole seconds cuts such a cursor back to
  the second, skipping the rest of ``m``'s group. Every response to a sub-second cursor must
  reach back to ``m`` (a witness); if it does not, the stream's cursors coarsen to whole
  seconds for the rest of the run and the page is asked for again. Cost: one request, once.
* **Stuck is found, not looped on.** If a page brings no older cursor (more records share one
  value, or one second on a second-precision server, than fit a page), the walk steps
  strictly below that value, trying the few spellings of "below" that the readings need, and
  warns naming the value: those records cannot be reached through the cursor. If no way below
  works, the server ignores the cursor: :class:`CursorIgnoredError`, never a loop.
* **A page with no readable cursor value** is an error (:class:`CursorUnreadableError`),
  never a silent end of the listing; an empty page is asked for once more before it ends one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from tap_heymarket.page_order import PageValues, cursor_bases
from tap_heymarket.timestamps import (
    TimestampError,
    format_instant,
    normalize_instant,
    parse_instant,
    shifted,
    truncate,
)

if t.TYPE_CHECKING:
    import requests

LOGGER = logging.getLogger("tap-heymarket")
ONE_US = dt.timedelta(microseconds=1)
ONE_MS = dt.timedelta(milliseconds=1)
ONE_S = dt.timedelta(seconds=1)
#: Beyond any reading's overlap: a record this much newer than the cursor was echoed, not asked for.
ECHO_TOLERANCE = ONE_S


class CursorIgnoredError(Exception):
    """The server kept answering at or above a value whatever cursor was sent."""


class CursorUnreadableError(Exception):
    """A page came back whose records carry no readable cursor value."""


def _shift(value: str, unit: dt.timedelta, delta: dt.timedelta) -> str:
    """``value`` cut down to a whole ``unit``, then moved by ``delta`` (held within the calendar)."""
    return format_instant(shifted(truncate(parse_instant(value), unit), delta))


def step_above(value: str, unit: dt.timedelta) -> str:
    """The smallest whole ``unit`` strictly above ``value``: a cursor that still includes it."""
    return _shift(value, unit, unit)


def ceil_to_second(value: str) -> str:
    """``value`` itself when it is a whole second, else the next whole second."""
    parsed = parse_instant(value)
    return value if parsed.microsecond == 0 else step_above(value, ONE_S)


@dataclasses.dataclass(frozen=True)
class Cursor:
    """One request's ``date`` and what its response must show to be trusted."""

    date: str | None  # the value to send; None: no cursor (the newest page)
    covers: str | None = None  # the response must reach back to this value (a witness)
    below: str | None = None  # stepping past a stuck value: nothing at or above it may come back
    rung: int = 0  # attempt on the ladder of spellings of "below"
    again: int = 0  # 1: the same request once more, to confirm that the listing ends here

    def to_state(self) -> dict[str, t.Any]:
        """A JSON-safe form for STATE (where an interrupted walk resumes)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, 0)}

    @classmethod
    def from_state(cls, value: t.Any) -> Cursor | None:
        """Read a resume point back; anything unreadable means "start from the top"."""
        if not isinstance(value, dict):
            return None
        try:
            fields = {
                name: None if value.get(name) is None else normalize_instant(value[name])
                for name in ("date", "covers", "below")
            }
        except TimestampError:
            return None
        rung = value.get("rung", 0)
        rung = rung if isinstance(rung, int) and 0 <= rung < 8 else 0
        return cls(fields["date"], fields["covers"], fields["below"], rung=rung)

    def resumable(self) -> Cursor:
        """Where a later run resumes: never past a stuck value (stuck may have been a fault)."""
        if self.below is None:
            return dataclasses.replace(self, again=0)
        return Cursor(step_above(self.below, ONE_S), covers=self.below)

    @property
    def echo_limit(self) -> str | None:
        """Values above this were not asked for under any reading (None: no limit)."""
        return None if self.date is None else _shift(self.date, ONE_US, ECHO_TOLERANCE)


def below_ladder(value: str) -> list[str]:
    """Cursors that mean "strictly below ``value``" under the strict and inclusive readings."""
    rungs = [
        value,
        _shift(value, ONE_US, -ONE_US),
        _shift(value, ONE_MS, -ONE_MS),
        _shift(value, ONE_S, -ONE_S),
    ]
    return list(dict.fromkeys(rungs))


class CursorPolicy:
    """What one stream has learnt about its listing in this run (shared by its walks)."""

    def __init__(self) -> None:
        self.whole_seconds = False  # the server compared a sub-second cursor at whole seconds
        self.prints_fractions = False  # some value came with a fraction: whole seconds are exact
        self.page_size = 0  # the largest page seen: a smaller one is the listing's last
        self._lock = threading.Lock()

    def step(self) -> dt.timedelta:
        """How far above a value the next cursor goes.

        Milliseconds, once the listing has shown fractions (so a value is not a truncated
        one) and until the server has shown that it compares whole seconds; else seconds.
        """
        return ONE_MS if self.prints_fractions and not self.whole_seconds else ONE_S

    def note_values(self, values: list[str]) -> None:
        """Learn from a page whether the listing writes fractions of a second."""
        if not self.prints_fractions and any(v[20:26] != "000000" for v in values):
            self.prints_fractions = True

    def coarsen(self, stream_name: str, value: str) -> None:
        """From now on step by whole seconds (said once per run)."""
        with self._lock:
            if not self.whole_seconds:
                self.whole_seconds = True
                LOGGER.info(
                    "%s: the server compares `date` more coarsely than milliseconds (a cursor just "
                    "above %s did not return it); stepping by whole seconds from now on",
                    stream_name,
                    value,
                )

    def note_page(self, size: int) -> None:
        """Remember the largest page."""
        with self._lock:
            self.page_size = max(self.page_size, size)


class UpdatedCursorPaginator(BaseAPIPaginator[Cursor | None]):
    """The next ``date`` from the page's oldest value (see the module docstring)."""

    def __init__(
        self,
        start_value: Cursor | None = None,
        *,
        policy: CursorPolicy | None = None,
        record_field: str = "updated",
        stream_name: str = "conversations",
    ) -> None:
        super().__init__(start_value)
        self.policy = policy or CursorPolicy()
        self.record_field = record_field
        self.stream_name = stream_name
        self.unreachable_values: list[str] = []
        self.confirmations = 0  # empty pages asked for once more
        self._page = PageValues([], 0, 0)
        self._next: Cursor | None = None

    def advance_page(self, page: PageValues) -> None:
        """Decide, from one page, where the next request starts (or that the walk is done)."""
        self._page = page
        self.advance(t.cast("requests.Response", None))

    def plausible(self, values: list[str]) -> list[str]:
        """The values the current cursor could have asked for (echoes of newer records dropped)."""
        limit = self.current_value.echo_limit if self.current_value else None
        return values if limit is None else [v for v in values if v <= limit]

    def has_more(self, response: requests.Response | None) -> bool:
        """Decide now; :meth:`get_next` hands the decision over."""
        self._next = self._decide()
        return self._next is not None

    def get_next(self, response: requests.Response | None) -> Cursor | None:
        """The cursor :meth:`has_more` decided on."""
        return self._next

    def _decide(self) -> Cursor | None:  # noqa: PLR0911
        page, current = self._page, self.current_value
        if page.size and not page.values:
            msg = f"none of the {page.size} records on the page has a readable {self.record_field!r}"
            raise CursorUnreadableError(msg)
        if current is not None and current.below is not None and self._came_back(current.below, page.values):
            return self._next_rung(current)
        values = self.plausible(page.values)
        if not values:  # empty, or nothing but echoes of newer records: the end of the listing?
            if current is not None and self._needs_witness(current):
                return self._coarser(current)
            return self._confirm_end(current)
        oldest, newest = min(values), max(values)
        if current is not None and self._needs_witness(current) and newest < t.cast("str", current.covers):
            return self._coarser(current)
        self.policy.note_page(page.size)
        self.policy.note_values(values)
        bases = cursor_bases(self.plausible(page.settled) or values if page.settled is not None else values)
        if page.floor is not None and bases[0] < page.floor:
            return None  # the records in place have reached below the floor
        full = self.policy.page_size if page.full is None else page.full
        if page.new == 0 and page.size < full:
            return None
        for base in bases if page.new else bases[:1]:  # the safest value that moves the walk on
            candidate = Cursor(step_above(base, self.policy.step()), covers=base)
            if current is None or current.date is None or t.cast("str", candidate.date) < current.date:
                return candidate
        return self._stuck(oldest, all(v == oldest for v in values), len(values))

    def _confirm_end(self, current: Cursor | None) -> Cursor | None:
        """An empty page ends the walk only when the same request, sent again, is empty too.

        A transient ``[]`` (or ``null``, ``{}``) taken at its word would hide everything below:
        one more request per walk that ends on an empty page, never one per page.
        """
        if current is not None and current.again:
            return None
        self.confirmations += 1
        if current is None:
            return Cursor(None, again=1)
        return dataclasses.replace(current, again=1)

    @staticmethod
    def _came_back(stuck: str, values: list[str]) -> bool:
        """Whether a step below ``stuck`` still returned it (or its second: echoes aside)."""
        ceiling = _shift(stuck, ONE_US, ECHO_TOLERANCE)
        return any(stuck <= v <= ceiling for v in values)

    def _needs_witness(self, cursor: Cursor) -> bool:
        """A sub-second step relies on the server comparing below whole seconds: check it."""
        if cursor.covers is None or cursor.below is not None or cursor.date is None:
            return False
        return cursor.date != step_above(cursor.covers, ONE_S)

    def _coarser(self, current: Cursor) -> Cursor:
        """The witness failed: ask again from the same value, a whole second above it."""
        covers = t.cast("str", current.covers)
        self.policy.coarsen(self.stream_name, covers)
        return Cursor(step_above(covers, ONE_S), covers=covers)

    def _stuck(self, value: str, tied: bool, count: int) -> Cursor:
        self.unreachable_values.append(value)
        what = (
            f"a whole page of {count} records shares {self.record_field}={value}"
            if tied
            else f"more than a page of records lie within one step of {self.record_field}={value}"
        )
        LOGGER.warning(
            "%s: %s; records of that group beyond one page cannot be reached through the API's "
            "cursor, moving on below it",
            self.stream_name,
            what,
        )
        return Cursor(below_ladder(value)[0], below=value)

    def _next_rung(self, current: Cursor) -> Cursor:
        stuck = t.cast("str", current.below)
        rungs = below_ladder(stuck)
        if current.rung + 1 >= len(rungs):
            msg = (
                f"the server kept returning records at or after {stuck} whatever `date` was sent "
                f"(last tried {current.date}): it ignores the cursor"
            )
            raise CursorIgnoredError(msg)
        return Cursor(rungs[current.rung + 1], below=stuck, rung=current.rung + 1)
