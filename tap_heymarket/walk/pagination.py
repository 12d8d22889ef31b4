"""Newest-first cursor pagination that holds under every plausible reading of the cursor.

A listing returns the newest records "before" ``date``; the next ``date`` is derived from the
page's order as a whole (:func:`~tap_heymarket.walk.page_order.cursor_bases`: never from one value,
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

The decision is :func:`decide`, a plain function of the page, the current cursor and the
:class:`Listing` (what the stream's walks have learnt so far); :class:`CursorPolicy` holds
that for a stream across its worker threads, and :class:`UpdatedCursorPaginator` applies the
decisions of one window. The cursor values themselves are :mod:`tap_heymarket.walk.cursor`'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import typing as t

from tap_heymarket.walk.cursor import (
    ONE_MS,
    ONE_S,
    Cursor,
    CursorIgnoredError,
    CursorUnreadableError,
    below_ladder,
    echo_ceiling,
    step_above,
)
from tap_heymarket.walk.page_order import PageValues, cursor_bases

LOGGER = logging.getLogger("tap-heymarket")


@dataclasses.dataclass(frozen=True)
class Listing:
    """What a stream has learnt of its listing so far: the facts one decision needs."""

    whole_seconds: bool = False  # the server compared a sub-second cursor at whole seconds
    prints_fractions: bool = False  # some value came with a fraction: whole seconds are exact
    largest_page: int = 0  # the largest page seen: a smaller one with nothing new is the last

    def step(self) -> dt.timedelta:
        """How far above a value the next cursor goes: milliseconds once the listing has shown
        fractions (so a value is not a truncated one) and until the server has shown that it
        compares whole seconds; else seconds."""
        return ONE_MS if self.prints_fractions and not self.whole_seconds else ONE_S

    def merged(self, other: Listing) -> Listing:
        """What two walks learnt together (facts are only ever learnt, never unlearnt)."""
        return Listing(
            self.whole_seconds or other.whole_seconds,
            self.prints_fractions or other.prints_fractions,
            max(self.largest_page, other.largest_page),
        )


@dataclasses.dataclass(frozen=True)
class Decision:
    """Where the next request starts (None: the walk is done), and what the page taught."""

    next: Cursor | None
    learnt: Listing
    coarsened_at: str | None = None  # a sub-second cursor above this value did not return it
    unreachable: str | None = None  # stepping below this value: the rest of its group is lost
    stuck: str = ""  # why (for the warning)
    confirming: bool = False  # an empty page, asked for once more


def plausible(values: list[str], current: Cursor | None) -> list[str]:
    """The values ``current`` could have asked for (echoes of newer records dropped)."""
    limit = current.echo_limit if current is not None else None
    return values if limit is None else [v for v in values if v <= limit]


def decide(page: PageValues, current: Cursor | None, listing: Listing, field: str = "updated") -> Decision:  # noqa: PLR0911
    """The next cursor after ``page`` was read with ``current`` (see the module docstring).

    A plain function: everything it needs is passed in (``listing``: what the stream has
    learnt so far; ``field``: the record field, for messages), and what it learns comes back
    in the :class:`Decision`. Raises :class:`CursorUnreadableError` and
    :class:`CursorIgnoredError`. Every cursor it returns differs from ``current``.
    """
    if page.size and not page.values:
        msg = f"none of the {page.size} records on the page has a readable {field!r}"
        raise CursorUnreadableError(msg)
    if current is not None and current.below is not None and _came_back(current.below, page.values):
        return Decision(_next_rung(current), listing)
    values = plausible(page.values, current)
    if current is not None and _needs_witness(current) and (not values or max(values) < str(current.covers)):
        return _coarser(current, listing)  # the response did not reach back to the value stepped above
    if not values:  # empty, or nothing but echoes of newer records: the end of the listing?
        return _confirm_end(current, listing)
    learnt = Listing(
        listing.whole_seconds,
        listing.prints_fractions or any(v[20:26] != "000000" for v in values),
        max(listing.largest_page, page.size),
    )
    bases = cursor_bases(plausible(page.settled, current) or values if page.settled is not None else values)
    if page.floor is not None and bases[0] < page.floor:
        return Decision(None, learnt)  # the records in place have reached below the floor
    full = learnt.largest_page if page.full is None else page.full
    if page.new == 0 and page.size < full:
        return Decision(None, learnt)
    for base in bases if page.new else bases[:1]:  # the safest value that moves the walk on
        candidate = Cursor(step_above(base, learnt.step()), covers=base)
        if current is None or current.date is None or t.cast("str", candidate.date) < current.date:
            return Decision(candidate, learnt)
    oldest = min(values)
    why = (
        f"a whole page of {len(values)} records shares {field}={oldest}"
        if all(v == oldest for v in values)
        else f"more than a page of records lie within one step of {field}={oldest}"
    )
    return Decision(Cursor(below_ladder(oldest)[0], below=oldest), learnt, unreachable=oldest, stuck=why)


def _confirm_end(current: Cursor | None, listing: Listing) -> Decision:
    """An empty page ends the walk only when the same request, sent again, is empty too.

    A transient ``[]`` (or ``null``, ``{}``) taken at its word would hide everything below:
    one more request per walk that ends on an empty page, never one per page.
    """
    if current is not None and current.again:
        return Decision(None, listing)
    again = Cursor(None, again=1) if current is None else dataclasses.replace(current, again=1)
    return Decision(again, listing, confirming=True)


def _came_back(stuck: str, values: list[str]) -> bool:
    """Whether a step below ``stuck`` still returned it (or its second: echoes aside)."""
    ceiling = echo_ceiling(stuck)
    return any(stuck <= v <= ceiling for v in values)


def _needs_witness(cursor: Cursor) -> bool:
    """A sub-second step relies on the server comparing below whole seconds: check it (never
    for a step below a stuck value: the suite's split walks under load emitted duplicates
    without that exception, although no decision makes a cursor with both)."""
    if cursor.covers is None or cursor.below is not None or cursor.date is None:
        return False
    return cursor.date != step_above(cursor.covers, ONE_S)


def _coarser(current: Cursor, listing: Listing) -> Decision:
    """The witness failed: ask again from the same value, a whole second above it."""
    covers = t.cast("str", current.covers)
    learnt = dataclasses.replace(listing, whole_seconds=True)
    return Decision(Cursor(step_above(covers, ONE_S), covers=covers), learnt, coarsened_at=covers)


def _next_rung(current: Cursor) -> Cursor:
    stuck = t.cast("str", current.below)
    rungs = below_ladder(stuck)
    if current.rung + 1 >= len(rungs):
        msg = (
            f"the server kept returning records at or after {stuck} whatever `date` was sent "
            f"(last tried {current.date}): it ignores the cursor"
        )
        raise CursorIgnoredError(msg)
    return Cursor(rungs[current.rung + 1], below=stuck, rung=current.rung + 1)


class CursorPolicy:
    """What one stream has learnt about its listing in this run (shared by its walks' threads)."""

    def __init__(self) -> None:
        self._facts = Listing()
        self._lock = threading.Lock()

    def facts(self) -> Listing:
        """What is known now (a snapshot: facts only grow)."""
        with self._lock:
            return self._facts

    @property
    def whole_seconds(self) -> bool:
        """Whether the server has shown that it compares ``date`` at whole seconds."""
        return self.facts().whole_seconds

    def note_page(self, size: int) -> None:
        """Remember the largest page."""
        with self._lock:
            self._facts = self._facts.merged(Listing(largest_page=size))

    def learn(self, decision: Decision, stream_name: str) -> None:
        """Keep what a decision learnt; a first coarsening is said once per run."""
        with self._lock:
            first = decision.learnt.whole_seconds and not self._facts.whole_seconds
            self._facts = self._facts.merged(decision.learnt)
        if first and decision.coarsened_at is not None:
            LOGGER.info(
                "%s: the server compares `date` more coarsely than milliseconds (a cursor just "
                "above %s did not return it); stepping by whole seconds from now on",
                stream_name,
                decision.coarsened_at,
            )


class UpdatedCursorPaginator:
    """One window's cursor across its pages: :func:`decide`, applied, with a page count.

    Not the SDK's ``BaseAPIPaginator``: the walk fetches and sifts its pages itself (a
    decision needs the page decoded, bounded and de-duplicated, never a ``Response``), so
    the SDK's protocol bought only a ``cast(Response, None)``; its one check (a token equal
    to the last one is a loop) is :func:`decide`'s invariant, proven on random pages in
    tests/test_cursor.py.
    """

    def __init__(
        self,
        start_value: Cursor | None = None,
        *,
        policy: CursorPolicy | None = None,
        record_field: str = "updated",
        stream_name: str = "conversations",
    ) -> None:
        self.current_value = start_value
        self.finished = False
        self.count = 0  # pages decided on
        self.policy = policy or CursorPolicy()
        self.record_field = record_field
        self.stream_name = stream_name
        self.unreachable_values: list[str] = []
        self.confirmations = 0  # empty pages asked for once more

    def advance_page(self, page: PageValues) -> None:
        """Decide, from one page, where the next request starts (or that the walk is done)."""
        self.count += 1
        decision = decide(page, self.current_value, self.policy.facts(), self.record_field)
        self.policy.learn(decision, self.stream_name)
        if decision.unreachable is not None:
            self.unreachable_values.append(decision.unreachable)
            LOGGER.warning(
                "%s: %s; records of that group beyond one page cannot be reached through the API's "
                "cursor, moving on below it",
                self.stream_name,
                decision.stuck,
            )
        self.confirmations += decision.confirming
        if decision.next is None:
            self.finished = True
        else:
            self.current_value = decision.next
