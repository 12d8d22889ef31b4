"""One window of a walk, read on a worker thread: fetch, sift, decide, hand pages over.

A :class:`WindowWalker` is not a stream: it reads through a :class:`WalkSource` (what it
needs of its stream: the listing, the record shape, the cursor's field and policy, the page
size), so a window can be walked, and tested, with any source. Nothing here emits a message
or touches state; :class:`~tap_heymarket.walk.run.Walk` plans a run and emits its pages in
the main thread.

Each page is shaped, filtered against the window's bounds as a whole (a record out of place
is kept wherever its value falls, :mod:`tap_heymarket.walk.sift`), and de-duplicated by ID
against what the window already handed over; the cursor's decision is
:class:`~tap_heymarket.walk.pagination.UpdatedCursorPaginator`'s. A ``null`` or ``{}`` page is
an empty one (which the paginator asks for again before it ends the walk). A 403 on a walk
over several inboxes splits it to find the inbox refused; a long walk may hand its lower part
to other workers (:mod:`tap_heymarket.walk.split_off`).
"""

from __future__ import annotations

import dataclasses
import time
import typing as t

from tap_heymarket.errors import AccessDeniedError, HeymarketFatalError
from tap_heymarket.walk.inflight import InFlight, Walked
from tap_heymarket.walk.page_size import LimitRefusedError, PageRequest, PageSize, Sent
from tap_heymarket.walk.pagination import (
    Cursor,
    CursorIgnoredError,
    CursorPolicy,
    CursorUnreadableError,
    PageValues,
    UpdatedCursorPaginator,
    below_ladder,
)
from tap_heymarket.walk.plan import Slice, Window
from tap_heymarket.walk.sift import Memo, sift_page
from tap_heymarket.walk.split_off import SplitOff

if t.TYPE_CHECKING:
    import logging

    from tap_heymarket.endpoint import Endpoint
    from tap_heymarket.walk.splitting import Splitter


class WalkError(HeymarketFatalError):
    """A listing that cannot be walked further (its cursor is ignored, or unreadable)."""


class WalkSource(t.Protocol):
    """What a walker needs of its stream (:class:`~tap_heymarket.walk.stream.NewestFirstStream`)."""

    name: str
    path: str
    http_method: str
    primary_keys: t.Sequence[str]
    cursor_request_field: str
    cursor_policy: CursorPolicy
    page_size: PageSize
    splitter: Splitter | None

    @property
    def logger(self) -> logging.Logger: ...
    @property
    def cursor_field(self) -> str: ...
    @property
    def listing(self) -> Endpoint: ...
    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]: ...
    def fetch(self, context: t.Mapping[str, t.Any] | None, token: t.Any) -> t.Any: ...
    def count_before(self, date: str | None) -> int: ...
    def get_http_request_counter(self) -> t.Any: ...


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


class WindowWalker:
    """Walks the windows of one stream's run, each newest first down to its floor (one per
    worker at a time; the split-off floors are shared, under the GIL's atomic dict steps)."""

    def __init__(self, source: WalkSource, inflight: InFlight | None) -> None:
        self.source = source
        self.inflight = inflight  # None: never split (and nothing measured)
        self.split_off = SplitOff(source, inflight)
        #: the walk's own floor for each window split off but not yet started: a split-off
        #: window's floor is its parent's, which an earlier split may have raised to a
        #: boundary, and records out of place below a boundary belong to the window there
        #: (:mod:`tap_heymarket.walk.sift`)
        self.split_floors: dict[str, str | None] = {}

    def read(self, key: str, window: Window) -> t.Iterator[Page]:
        """Pages of one window, newest first, down to its floor."""
        source = self.source
        field, pk = source.cursor_field, source.primary_keys[0]
        paginator = UpdatedCursorPaginator(
            window.start, policy=source.cursor_policy, record_field=field, stream_name=source.name
        )
        seen: dict[t.Any, str] = {}
        memo = Memo(self.split_floors.pop(key, window.floor))
        reported = 0
        sent: Sent | None = None
        walked = Walked()
        with source.get_http_request_counter() as counter:
            counter.with_context(window.scope)
            while not paginator.finished:
                cpu = time.thread_time()  # this worker's CPU only: no network or lock waits
                cursor = paginator.current_value
                try:
                    body, sent = self._fetch_page(window.scope, cursor, sent)
                    raw = source.listing.records_in(_blank_as_empty(body))
                except AccessDeniedError as exc:
                    yield from self._denied(key, dataclasses.replace(window, cursor=cursor), exc)
                    return
                finally:
                    counter.increment()
                sifted = sift_page(source, raw, window, cursor, seen, memo=memo)
                kept, values = sifted.kept, sifted.values
                walked.add(sifted.settled, len(kept))
                full = source.page_size.seen(sent, len(raw))
                try:
                    paginator.advance_page(
                        PageValues(values, len(raw), len(kept), window.floor, sifted.settled, full)
                    )
                except (CursorIgnoredError, CursorUnreadableError) as exc:
                    msg = f"{source.name}: cannot walk {self.where(window, cursor)}: {exc}"
                    raise WalkError(msg) from None
                source.page_size.settle(sent, len(raw), len(kept), paginator.finished)
                for record in kept:
                    seen[record[pk]] = record[field]
                after = None if paginator.finished else paginator.current_value
                if after is None and not raw and cursor is not None and cursor.again and window.floor is None:
                    self._check_gap(window, cursor)
                _forget_above(seen, after)
                if self.inflight is not None:  # before the split it may weigh on
                    self.inflight.observe_work(time.thread_time() - cpu)
                spawned = self.split_off.parts(
                    f"{key}.{paginator.count}", window, after, sifted.settled, walked
                )
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

    def _fetch_page(
        self, scope: dict[str, t.Any], cursor: Cursor | None, held: Sent | None
    ) -> tuple[t.Any, Sent]:
        """One page's body and the ``limit`` it was asked with (see :mod:`.page_size`).

        A confirmation of an empty page (``cursor.again``) is the same request again, ``limit``
        included: asked with another ``limit`` (the stream's probe settled meanwhile) it would
        be another request, and a second transient blank would end the walk early.
        """
        page_size = self.source.page_size
        if cursor is not None and cursor.again and held is not None:
            sent = Sent(held.limit)
        else:
            sent = page_size.next_request(held)
        try:
            return self.source.fetch(scope, PageRequest(cursor, sent.limit)), sent
        except LimitRefusedError as exc:
            if not page_size.refuse(sent, str(exc)):
                raise
            return self.source.fetch(scope, PageRequest(cursor, None)), Sent(None)
        except BaseException:
            page_size.abandon(sent)
            raise

    def _check_gap(self, window: Window, cursor: Cursor) -> None:
        """A walk that ended on a (confirmed) empty page: does the count say more lies below?

        Under every reading modelled, a walk that has read records ends on a page that sends
        its last records again, never on ``[]``; so an empty end after records is odd, and the
        count (account-wide; only where it takes ``date``) says how much may lie below.
        One request per such walk; a count that fails costs the check, never the sync.
        """
        source = self.source
        if source.splitter is None or cursor.covers is None:
            return
        below = below_ladder(cursor.covers)[-1]
        try:
            missing = source.count_before(below)
        except Exception as exc:
            source.logger.debug("%s: could not count below the walk's end: %s", source.name, exc)
            return
        if missing > 0:
            source.logger.warning(
                "%s: %s ended on an empty page (asked twice), but the count endpoint says %d "
                "record(s) lie below %s (account-wide): the listing may not have handed them over",
                source.name,
                self.where(window, cursor),
                missing,
                below,
            )

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
                yield from self.read(part_key, part)
            return
        self.source.logger.warning(
            "%s: skipping inbox %s (%s view): Heymarket denied user %s access to it (HTTP 403); "
            "check that user_id (or the inbox's members) can read it",
            self.source.name,
            inboxes[0],
            "closed" if window.scope.get("closed") else "open",
            window.scope.get("user"),
        )
        yield Page(key, [], window, done=True, denied=window.slices(), reason=str(exc))

    def where(self, window: Window, cursor: Cursor | None) -> str:
        """A window's place, for an error: its scope, the request and the cursor sent."""
        source = self.source
        scope = ", ".join(f"{k}={v}" for k, v in window.scope.items()) or "team-wide"
        date = cursor.date if cursor is not None else None
        return (
            f"slice [{scope}] on {source.http_method} {source.path} at {source.cursor_request_field}={date}"
        )


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
