"""The newest-first walk: how every incremental Heymarket listing is read.

Heymarket has no "updated after" filter; listings come newest first. A run plans windows
(:mod:`tap_heymarket.plan`), reads them on worker threads and emits their pages from the
main thread. Each window is walked by :class:`~tap_heymarket.pagination.UpdatedCursorPaginator`,
whose cursor holds under every reading of ``date`` the reference leaves open. A page is
filtered as a whole (never cut at the first older record: one record out of order must not
hide its neighbours) against the window's bounds, and records a wider overlap re-sends are
dropped by ID.

State is the SDK's: it tracks the newest ``replication_key`` value of the records it emits
and, when the stream ends, makes it the bookmark (capped at the time the run started).
This module adds two keys to the stream's state, changed only in the main thread and only
after a page's records have been emitted, so a STATE message (written by the SDK every
``STATE_MSG_FREQUENCY`` records, after each BATCH file, or by the walk when the run fails or
is interrupted) never covers a record that has not gone out: ``resume`` (the unfinished
windows and the newest value emitted so far) while a run is under way, and, for
conversations, ``covered`` (the inbox views the bookmark holds for). The layout of both, and
how each is read back and checked, is :mod:`tap_heymarket.walk_state`'s; the plan of a run is
:func:`tap_heymarket.plan.plan_windows`, a plain function of that state, the slices and settings.
"""

from __future__ import annotations

import functools
import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_heymarket import clock, interrupt
from tap_heymarket.concurrency import Interleaver, call_interruptibly
from tap_heymarket.cursor import Cursor
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.inflight import InFlight
from tap_heymarket.page_size import PageRequest, PageSize
from tap_heymarket.pagination import CursorPolicy
from tap_heymarket.plan import Settings, Slice, Window, plan_windows
from tap_heymarket.progress import CountUnavailable, ProgressReporter
from tap_heymarket.strays import Handoff, name_strays, report_strays
from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk_state import (
    SavedState,
    cap_bookmark,
    hold_bookmark,
    read_state,
    saved_instant,
    slice_list,
    warn_future_bookmark,
    write_resume,
)
from tap_heymarket.window_reader import Page, WindowReader, is_split_off
from tap_heymarket.windows import Splitter

FULL_TABLE = "FULL_TABLE"
#: Records a page asks for: ``ceil(N / 99)`` requests instead of ``ceil(N / 29)`` where the
#: server honours it; capped lower or refused, the walk learns so on its first page.
DEFAULT_PAGE_SIZE = 100
#: The ceiling on windows read at once; how many are is Little's law's (:mod:`.inflight`).
DEFAULT_MAX_CONCURRENCY = 32


class NewestFirstStream(WindowReader):
    """An incremental listing read newest first down to its bookmark (module docstring)."""

    replication_key = "updated"
    is_sorted = False
    #: Records are conformed to the schema by the stream's own shaping (one faithful step).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Interim STATE every ten pages or so: a long backfill resumes close to where it died.
    STATE_MSG_FREQUENCY = 300
    #: Whether the count endpoint takes ``date`` (what is older): long walks are then split.
    count_takes_date = False

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_policy = CursorPolicy()
        asked = int(self.config.get("page_size", DEFAULT_PAGE_SIZE))
        self.page_size = PageSize(self.name, asked if self.limit_field is not None else None)
        self.splitter = Splitter(self.count_before) if self.count_path and self.count_takes_date else None

    # -- what a stream provides ---------------------------------------------------------

    def slices(self) -> list[Slice]:
        """What a bookmark can cover; the whole listing by default."""
        return [()]

    def scopes(self, slices: list[Slice]) -> list[dict[str, t.Any]]:
        """The walks that read ``slices`` (one scope each); one, team-wide, by default."""
        return [{}]

    def request_body(self, scope: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The body for one walk, without the cursor."""
        return {}

    def reread_floor(self, bookmark: str) -> str:
        """Where an incremental walk stops: the bookmark, or below it for records that change."""
        return bookmark

    # -- SDK hooks ----------------------------------------------------------------------

    @property
    def partitions(self) -> list[dict] | None:
        """One SDK context: the SDK reads partitions one after another, the walk at once."""
        return None

    def prepare_request_payload(
        self, context: t.Mapping[str, t.Any] | None, next_page_token: PageRequest | Cursor | None
    ) -> dict[str, t.Any]:
        """The walk's body plus the cursor, if any, and the page size asked for, if any."""
        body = self.request_body(context or {})
        request = next_page_token
        if not isinstance(request, PageRequest):
            request = PageRequest(request)
        if request.cursor is not None and request.cursor.date is not None:
            body[self.cursor_request_field] = request.cursor.date
        if request.limit is not None and self.limit_field is not None:
            body[self.limit_field] = request.limit
        return body

    @property
    def end_date(self) -> str | None:
        """The end of a backfill window (``end_date``), or None (up to now)."""
        return None if self.full_table else saved_instant(self.config.get("end_date"))

    def get_replication_key_signpost(self, context: t.Any = None) -> t.Any:
        """The most the bookmark may become: the run's start, in the tap's one spelling.

        In a backfill window (``end_date``) never past its end, and never back: a bookmark
        already later stays, and so does one below a window that leaves a gap above it.
        """
        signpost = super().get_replication_key_signpost(context)
        if signpost is None:
            return None
        cap = format_instant(signpost)
        end = self.end_date
        if end is None:
            return cap
        cap = min(cap, end)
        held = saved_instant(self.stream_state.get("replication_key_value"))
        if held is None:
            return cap
        start = saved_instant(self.config.get("start_date"))
        if start is not None and start > held:
            return held  # the window does not reach down to the bookmark: it stays
        return max(held, cap)

    @property
    def full_table(self) -> bool:
        """Read FULL_TABLE (forced in the catalog): no bookmark is read or resumed."""
        return self.replication_method == FULL_TABLE

    # -- the run ------------------------------------------------------------------------

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """Every window's records; a listing the key may not read is skipped when others are selected."""
        yield from self.guarded(self._walk)
        self.close_full_table_version()

    def _walk(self) -> t.Iterator[dict[str, t.Any]]:
        """Plan the windows, read them concurrently, emit their pages in arrival order."""
        windows, slices_now, top = self._plan()
        state = self.stream_state
        tracked = {str(n): w for n, w in enumerate(windows)}
        run_started = format_instant(self.run_started)
        denied: set[Slice] = set()
        strays: dict[t.Any, str] = {}
        handoff = Handoff(self.primary_keys[0])
        reason = ""
        pool = self._pool(windows)
        for key, window in tracked.items():
            self._start(pool, key, window)
        progress = self._progress(pool, windows)
        held = saved_instant(state.get("replication_key_value"))
        if self.end_date is not None and held is not None:
            hold_bookmark(state, str(self.replication_key), held)
        if not self.full_table:
            self._write_resume(state, top, slices_now, tracked)
        try:
            for page in pool:
                received = clock.monotonic()
                page.records = handoff.fresh(page.records, page.strays, self.cursor_field)
                for record in page.records:
                    interrupt.check()
                    yield record
                handoff.emitted(page.records, first_below=page.first and is_split_off(page.key))
                handoff.hold(page.handoff)
                top = self._newest(page, top, run_started)
                self._account(page, tracked, pool, denied, received)
                reason = page.reason or reason
                if not self.full_table:
                    self._write_resume(state, top, slices_now, tracked)
                progress.page(len(page.records), page.skipped, page.unreachable)
                name_strays(self, page.strays, strays)
        except GeneratorExit:
            raise
        except BaseException:
            if self.get_batch_config(self.config) is None:
                self._tap.state_writer.write_state(self.tap_state)  # what was emitted, no more
            raise
        yield from handoff.remaining()
        if denied and denied >= set(slices_now):
            msg = f"{reason} (every slice was refused: {_describe(denied)})"
            raise HeymarketFatalError(msg)
        if not self.full_table:
            state.pop("resume", None)
            cap_bookmark(state, top, held)
            if slices_now != [()] and (self.end_date is None or held is None):
                state["covered"] = slice_list(set(slices_now) - denied)
        progress.finish(complete=not any(w.floor for w in windows), denied=_describe(denied))
        report_strays(self, strays)

    def _account(
        self,
        page: Page,
        tracked: dict[str, Window],
        pool: Interleaver[Page],
        denied: set[Slice],
        received: float,
    ) -> None:
        """What a page changes in the run's windows (after its records went out, which took the
        main thread since ``received``: its pace caps the windows worth reading at once)."""
        tracked.pop(page.key, None)
        tracked.update(page.replaced_by)
        if not page.done:
            tracked[page.key] = page.window
        if self.inflight is not None:
            self.inflight.observe_consumer(clock.monotonic() - received)
            if page.done:
                self.inflight.finished(page.key)
            for key, _part in page.replaced_by:
                self.inflight.started(key)
        for key, window in page.spawned:
            tracked[key] = window
            self._start(pool, key, window, reserved=True)
        denied.update(page.denied)

    def _pool(self, windows: list[Window]) -> Interleaver[Page]:
        """The workers, and the windows-in-flight target they keep to (:mod:`.inflight`); the
        count the first split needs goes out first, beside the windows' first pages."""
        concurrency = int(self.config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))
        budget = float(self.config.get("max_requests_per_minute", 500))
        self.inflight = None if self.ABORT_AT_RECORD_COUNT is not None else InFlight(concurrency, budget)
        self.split_floors = {}
        if self.splitter is not None and self.inflight is not None:
            self.splitter.start(windows)
        return Interleaver(concurrency, interrupt.check)

    def _progress(self, pool: Interleaver[Page], windows: list[Window]) -> ProgressReporter:
        """Progress, counted while the windows already read (the count is not serial start-up)."""
        try:
            return ProgressReporter(self, expected_total=self._expected_total(windows))
        except BaseException:
            pool.close()
            raise

    def _start(self, pool: Interleaver[Page], key: str, window: Window, *, reserved: bool = False) -> None:
        """Hand a window to a worker (``reserved``: into the slot its split claimed)."""
        if self.inflight is not None:
            self.inflight.started(key, reserved=reserved)
        pool.submit(functools.partial(self._read_window, key, window))

    def _plan(self) -> tuple[list[Window], list[Slice], str | None]:
        """Windows for this run, the slices it covers, and where a resumed run had got to
        (:func:`~tap_heymarket.plan.plan_windows`, from what this stream and its state say)."""
        slices = self.slices()
        if self.full_table:
            plan = plan_windows(SavedState(), slices, Settings(full_table=True), self.scopes)
            return plan.windows, plan.slices, plan.top
        saved = read_state(self.stream_state)
        warn_future_bookmark(self, saved.bookmark, format_instant(self.run_started))
        starting = saved_instant(self.get_starting_replication_key_value(None))
        settings = Settings(
            start_date=saved_instant(self.config.get("start_date")),
            end_date=self.end_date,
            floor=None if starting is None else self.reread_floor(starting),
        )
        plan = plan_windows(saved, slices, settings, self.scopes)
        return plan.windows, plan.slices, plan.top

    def _write_resume(
        self, state: dict[str, t.Any], top: str | None, slices: list[Slice], tracked: dict[str, Window]
    ) -> None:
        """Where the run stands (:func:`~tap_heymarket.walk_state.write_resume`)."""
        write_resume(state, top, slices, tracked.values())

    def _newest(self, page: Page, top: str | None, run_started: str) -> str | None:
        """The newest value emitted in place so far (a record out of place never sets it), never
        past the run's start: it is ``resume.top``, where a resumed run reads down to, so a
        record dated in the future would hide what changes after this run began (the SDK's
        signpost caps only the bookmark; tests/test_guards.py proves both)."""
        odd = {key for key, _value in page.strays}
        values = [r[self.cursor_field] for r in page.records if r[self.primary_keys[0]] not in odd]
        if not values:
            return top
        newest = min(max(values), run_started)
        return newest if top is None or newest > top else top

    def _expected_total(self, windows: list[Window]) -> int | None:
        """The API's count for a full sync, or None (the count must never fail a sync)."""
        full = all(w.floor is None and w.cursor is None for w in windows)
        if not full or not self.count_path or not self.api.directory.covers_whole_account():
            return None
        count = self.splitter.count if self.splitter is not None else self.count_before
        try:
            return call_interruptibly(lambda: count(None), interrupt.check)
        except CountUnavailable:
            return None  # warned once where it was asked


def _describe(slices: t.Iterable[Slice]) -> str:
    return ", ".join(
        f"inbox {s[0]} ({'closed' if s[1] else 'open'})" if s else "the whole listing" for s in sorted(slices)
    )
