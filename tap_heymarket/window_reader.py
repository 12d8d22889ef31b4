"""One window of a walk, read on a worker thread: fetch, sift, decide, hand pages over.

Split out of :mod:`tap_heymarket.walk` (which plans a run and emits its pages in the main
thread); nothing here emits a message or touches state. Each page is shaped, filtered
against the window's bounds as a whole (a record out of place is kept wherever its value
falls, :mod:`tap_heymarket.page_order`), and de-duplicated by ID against what the window
already handed over; the cursor's decision is
:class:`~tap_heymarket.pagination.UpdatedCursorPaginator`'s. A ``null`` or ``{}`` page is an
empty one (which the paginator asks for again before it ends the walk). A 403 on a walk over several
inboxes splits it to find the inbox refused; a long walk may hand its lower part to another
worker (:mod:`tap_heymarket.windows`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import typing as t
from functools import cached_property

from tap_heymarket.client import HeymarketStream
from tap_heymarket.errors import AccessDeniedError, HeymarketFatalError, describe
from tap_heymarket.inflight import MIN_PAGES, InFlight, Walked, near_the_end
from tap_heymarket.page_size import LimitRefusedError, PageRequest, PageSize, Sent
from tap_heymarket.pagination import (
    Cursor,
    CursorIgnoredError,
    CursorPolicy,
    CursorUnreadableError,
    PageValues,
    UpdatedCursorPaginator,
    below_ladder,
)
from tap_heymarket.plan import Slice, Window
from tap_heymarket.progress import OptionalCount
from tap_heymarket.sift import Memo, sift_page
from tap_heymarket.timestamps import parse_instant
from tap_heymarket.windows import SEARCHING, Searching, Splitter, boundaries

if t.TYPE_CHECKING:
    import requests


#: The longest a walk's page waits for a count probe under way (half a round trip, at most this).
MAX_WAIT = 2.0


class WalkError(HeymarketFatalError):
    """A listing that cannot be walked further (its cursor is ignored, or unreadable)."""


@dataclasses.dataclass
class Page:
    """One page of one window, shaped, filtered and de-duplicated by a worker."""

    key: str
    records: list[dict[str, t.Any]]
    window: Window  # the window as it stands after this page (its cursor: where it resumes)
    done: bool
    skipped: int = 0
    unreachable: list[str] = dataclasses.field(default_factory=list)
    replaced_by: list[tuple[str, Window]] = dataclasses.field(default_factory=list)
    denied: list[Slice] = dataclasses.field(default_factory=list)
    reason: str = ""  # why the slices were denied (the API's answer, one line)
    spawned: list[tuple[str, Window]] = dataclasses.field(default_factory=list)  # split off below
    strays: list[tuple[t.Any, str]] = dataclasses.field(default_factory=list)  # (id, value) out of place
    handoff: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)  # strays for the window below
    first: bool = False  # the window's first page


class WindowReader(HeymarketStream):
    """The worker-side half of a newest-first stream (see the module docstring)."""

    cursor_request_field = "date"  # body field that carries the cursor
    cursor_record_field: str | None = None  # record field it comes from (the replication key)
    count_path: str | None = None  # ``POST …/count`` path that counts this listing, if any
    #: body field that asks for a page size (:mod:`tap_heymarket.page_size`); None: not sent
    limit_field: str | None = "limit"
    cursor_policy: CursorPolicy
    page_size: PageSize
    splitter: Splitter | None
    inflight: InFlight | None = None  # set for each run (None: never split)
    #: the walk's own floor for each window split off but not yet started: a split-off window's
    #: floor is its parent's, which an earlier split may have raised to a boundary, and records
    #: out of place below a boundary belong to the window there (:mod:`tap_heymarket.sift`)
    split_floors: dict[str, str | None]

    @property
    def cursor_field(self) -> str:
        """The record field pages are cursored on (the replication key unless said otherwise)."""
        return self.cursor_record_field or str(self.replication_key)

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Give a record the stream's one stable shape; raise BadRecordError to skip it."""
        return record

    def _read_window(self, key: str, window: Window) -> t.Iterator[Page]:
        """Pages of one window, newest first, down to its floor."""
        paginator = UpdatedCursorPaginator(
            window.start, policy=self.cursor_policy, record_field=self.cursor_field, stream_name=self.name
        )
        seen: dict[t.Any, str] = {}
        memo = Memo(self.split_floors.pop(key, window.floor))
        reported = 0
        sent: Sent | None = None
        walked = Walked()
        with self.get_http_request_counter() as counter:
            counter.with_context(window.scope)
            while not paginator.finished:
                cpu = time.thread_time()  # this worker's CPU only: no network or lock waits
                cursor = paginator.current_value
                try:
                    body, sent = self._fetch_page(window.scope, cursor, sent)
                    raw = self.listing.records_in(_blank_as_empty(body))
                except AccessDeniedError as exc:
                    yield from self._denied(key, dataclasses.replace(window, cursor=cursor), exc)
                    return
                finally:
                    counter.increment()
                sifted = sift_page(self, raw, window, cursor, seen, memo=memo)
                kept, values = sifted.kept, sifted.values
                walked.add(sifted.settled, len(kept))
                full = self.page_size.seen(sent, len(raw))
                try:
                    paginator.advance_page(
                        PageValues(values, len(raw), len(kept), window.floor, sifted.settled, full)
                    )
                except (CursorIgnoredError, CursorUnreadableError) as exc:
                    msg = f"{self.name}: cannot walk {self._where(window, cursor)}: {exc}"
                    raise WalkError(msg) from None
                self.page_size.settle(sent, len(raw), len(kept), paginator.finished)
                for record in kept:
                    seen[record[self.primary_keys[0]]] = record[self.cursor_field]
                after = None if paginator.finished else paginator.current_value
                if after is None and not raw and cursor is not None and cursor.again and window.floor is None:
                    self._check_gap(window, cursor)
                _forget_above(seen, after)
                if self.inflight is not None:  # before the split it may weigh on
                    self.inflight.observe_work(time.thread_time() - cpu)
                spawned = self._split(f"{key}.{paginator.count}", window, after, sifted.settled, walked)
                if spawned:
                    window = dataclasses.replace(window, floor=spawned[0][1].upper)
                    self.split_floors.update((part, memo.lowest) for part, _window in spawned)
                unreachable = paginator.unreachable_values[reported:]
                reported = len(paginator.unreachable_values)
                yield Page(
                    key,
                    kept,
                    dataclasses.replace(window, cursor=after.resumable() if after is not None else None),
                    paginator.finished,
                    sifted.skipped,
                    unreachable,
                    spawned=spawned,
                    strays=sifted.named,
                    handoff=sifted.handoff,
                    first=paginator.count == 1,
                )

    def _split(
        self, key: str, window: Window, after: Cursor | None, values: list[str], walked: Walked
    ) -> list[tuple[str, Window]]:
        """While fewer windows are in flight than the budget needs (:mod:`.inflight`), hand the
        part of a long walk below a boundary to other workers: as many parts as there are free
        slots (``key`` names the first; the others ``key-1``, ``key-2``, ...), newest first."""
        inflight = self.inflight
        if inflight is None or after is None or after.date is None or not window.long or not values:
            return []
        if not inflight.has_room():
            return []
        boundary, left = self._count_boundary(window, after.date, values)
        estimate = self._pages_left(window, after.date, walked)
        if boundary is SEARCHING or near_the_end(window.upper, window.floor, estimate):
            return []
        if boundary is None:
            left, wanted = estimate, inflight.room()
            if self.splitter is not None and window.upper is None and window.floor is None:  # its share
                wanted = self.splitter.parts_for(estimate, self.page_size.expected, inflight.target, wanted)
        else:  # the count's boundary: one part, or as many as keep MIN_PAGES each at its density
            wanted = 1 if estimate is None else max(1, int(estimate // MIN_PAGES) - 1)
        parts = inflight.claim(window_key(key), left, wanted) if left is not None else 0
        if not parts:
            return []
        bottom = window.floor or self._bottom()
        shares = self.splitter.shares if self.splitter is not None else None
        bounds = boundaries(after.date, window.floor, bottom, boundary, parts, shares=shares)
        if len(bounds) < parts:
            inflight.release(parts - len(bounds))
        if not bounds:
            return []
        self.logger.debug(
            "%s: splitting a window at %s (%.0f pages left; %d of %d in flight)",
            self.name,
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

    def _count_boundary(
        self, window: Window, top: str, values: list[str]
    ) -> tuple[str | Searching | None, float | None]:
        """A walk's top window splits first where the count says half the records lie (the
        search runs beside the walk: :data:`SEARCHING` until it is done), once per stream."""
        if window.floor is not None or window.upper is not None or self.splitter is None:
            return None, None
        oldest, newest = min(values), max(values)
        span = (parse_instant(newest) - parse_instant(oldest)).total_seconds()
        service = self.inflight.service if self.inflight is not None else None
        wait = min(service or 0.0, MAX_WAIT) / 2  # a search under way is about that close
        found = self.splitter.search_in_background(oldest, span, len(values), newest, wait)
        if isinstance(found, str) and found < top:
            return found, math.inf
        return (SEARCHING, None) if found is SEARCHING else (None, None)

    def _bottom(self) -> str | None:
        """Where a walk's bottom window probably ends (the counts asked so far say)."""
        return self.splitter.oldest() if self.splitter is not None else None

    def _pages_left(self, window: Window, top: str, walked: Walked) -> float | None:
        """About how many pages a window has left below ``top`` (None: cannot say): its own
        density over the time it has left, down to its floor or where the listing ends."""
        bottom = window.floor or self._bottom()
        return None if bottom is None else walked.pages_between(top, bottom, self.page_size.expected)

    def _fetch_page(
        self, scope: dict[str, t.Any], cursor: Cursor | None, held: Sent | None
    ) -> tuple[t.Any, Sent]:
        """One page's body and the ``limit`` it was asked with (see :mod:`.page_size`).

        A confirmation of an empty page (``cursor.again``) is the same request again, ``limit``
        included: asked with another ``limit`` (the stream's probe settled meanwhile) it would
        be another request, and a second transient blank would end the walk early.
        """
        if cursor is not None and cursor.again and held is not None:
            sent = Sent(held.limit)
        else:
            sent = self.page_size.next_request(held)
        try:
            return self.fetch(scope, PageRequest(cursor, sent.limit)), sent
        except LimitRefusedError as exc:
            if not self.page_size.refuse(sent, str(exc)):
                raise
            return self.fetch(scope, PageRequest(cursor, None)), Sent(None)
        except BaseException:
            self.page_size.abandon(sent)
            raise

    def round_trip(self, response: requests.Response) -> float:
        """Seconds from sending a request to its response's headers (no limiter wait, no GIL)."""
        return response.elapsed.total_seconds()

    def screen_response(self, response: requests.Response) -> None:
        """Each round trip feeds the windows-in-flight target (:mod:`.inflight`); a 400 naming
        ``limit`` to a request that carried it is :class:`LimitRefusedError` (asked again)."""
        if self.inflight is not None and response.status_code < 400:
            self.inflight.observe(self.round_trip(response))
        if response.status_code == 400 and self.limit_field is not None:
            try:
                sent = json.loads(response.request.body or b"{}") if response.request is not None else {}
            except ValueError:
                sent = {}
            if isinstance(sent, dict) and self.limit_field in sent and self.limit_field in response.text:
                raise LimitRefusedError(describe(response, f"Heymarket refused `{self.limit_field}`"))

    def _check_gap(self, window: Window, cursor: Cursor) -> None:
        """A walk that ended on a (confirmed) empty page: does the count say more lies below?

        Under every reading modelled, a walk that has read records ends on a page that sends
        its last records again, never on ``[]``; so an empty end after records is odd, and the
        count (account-wide; only where it takes ``date``) says how much may lie below.
        One request per such walk; a count that fails costs the check, never the sync.
        """
        if self.splitter is None or cursor.covers is None:
            return
        below = below_ladder(cursor.covers)[-1]
        try:
            missing = self.count_before(below)
        except Exception as exc:
            self.logger.debug("%s: could not count below the walk's end: %s", self.name, exc)
            return
        if missing > 0:
            self.logger.warning(
                "%s: %s ended on an empty page (asked twice), but the count endpoint says %d "
                "record(s) lie below %s (account-wide): the listing may not have handed them over",
                self.name,
                self._where(window, cursor),
                missing,
                below,
            )

    def count_before(self, date: str | None) -> int:
        """The count endpoint: records "before" ``date`` (all when None); one request, best
        effort (:class:`~tap_heymarket.progress.OptionalCount`: a failure is "no count")."""
        return self._optional_count(date)

    @cached_property
    def _optional_count(self) -> OptionalCount:
        return OptionalCount(self, lambda date: self.listing.count(str(self.count_path), date))

    def _denied(self, key: str, window: Window, exc: AccessDeniedError) -> t.Iterator[Page]:
        """A 403: split a walk over several inboxes to find the one(s) denied; skip those."""
        inboxes = window.scope.get("inboxes")
        if not inboxes:
            raise exc
        if len(inboxes) > 1:
            parts = [
                (f"{key}.{n}", dataclasses.replace(window, scope={**window.scope, "inboxes": [inbox]}))
                for n, inbox in enumerate(inboxes)
            ]
            yield Page(key, [], window, done=True, replaced_by=parts)
            for part_key, part in parts:
                yield from self._read_window(part_key, part)
            return
        self.logger.warning(
            "%s: skipping inbox %s (%s view): Heymarket denied user %s access to it (HTTP 403); "
            "check that user_id (or the inbox's members) can read it",
            self.name,
            inboxes[0],
            "closed" if window.scope.get("closed") else "open",
            window.scope.get("user"),
        )
        yield Page(key, [], window, done=True, denied=window.slices(), reason=str(exc))

    def _where(self, window: Window, cursor: Cursor | None) -> str:
        scope = ", ".join(f"{k}={v}" for k, v in window.scope.items()) or "team-wide"
        date = cursor.date if cursor is not None else None
        return f"slice [{scope}] on {self.http_method} {self.path} at {self.cursor_request_field}={date}"


def _blank_as_empty(body: t.Any) -> t.Any:
    """``null`` or ``{}`` for a page: an empty one (which the paginator confirms before it ends)."""
    return [] if body is None or body == {} else body


def _forget_above(seen: dict[t.Any, str], cursor: Cursor | None) -> None:
    """Drop IDs no plausible reading of the next cursor can send again (memory stays flat)."""
    limit = cursor.echo_limit if cursor is not None else None
    if limit is None:
        return
    for key in [k for k, v in seen.items() if v > limit]:
        del seen[key]


def is_split_off(key: str) -> bool:
    """Whether ``key`` names a window split off another (``<window key>.<page>``), not one
    the walk planned (``0``, ``1``, ...)."""
    return "." in key


def window_key(part_key: str) -> str:
    """The key of the window a split-off part (``<window key>.<page>``) comes from."""
    return part_key.rsplit(".", 1)[0]
