"""One run of an incremental stream: plan its windows, read them at once, emit, keep state.

:class:`Walk` is the walk's one entry point (``NewestFirstStream.get_records`` only starts
it). It plans windows (:func:`tap_heymarket.walk.plan.plan_windows`), hands each to a worker
(:class:`~tap_heymarket.walk.walker.WindowWalker`, through
:class:`~tap_heymarket.concurrency.Interleaver`) and emits their pages from the main thread
in arrival order.

State is the SDK's: it tracks the newest ``replication_key`` value of the records it emits
and, when the stream ends, makes it the bookmark (capped at the time the run started).
The walk adds two keys to the stream's state, changed only in the main thread and only
after a page's records have been emitted, so a STATE message (written by the SDK every
``STATE_MSG_FREQUENCY`` records, after each BATCH file, or by the walk when the run fails or
is interrupted) never covers a record that has not gone out: ``resume`` (the unfinished
windows and the newest value emitted so far) while a run is under way, and, for
conversations, ``covered`` (the inbox views the bookmark holds for). The layout of both, and
how each is read back and checked, is :mod:`tap_heymarket.walk.state`'s.
"""

from __future__ import annotations

import functools
import typing as t

from tap_heymarket import clock, interrupt
from tap_heymarket.concurrency import Interleaver, call_interruptibly
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.progress import CountUnavailable, ProgressReporter
from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk.inflight import InFlight
from tap_heymarket.walk.plan import Settings, Slice, Window, plan_windows
from tap_heymarket.walk.split_off import is_split_off
from tap_heymarket.walk.state import (
    SavedState,
    cap_bookmark,
    hold_bookmark,
    read_state,
    saved_instant,
    slice_list,
    warn_future_bookmark,
    write_resume,
)
from tap_heymarket.walk.strays import Handoff, name_strays, report_strays
from tap_heymarket.walk.totals import FINAL_WAIT, MAX_SCOPES, ScopedCounts, walks_total
from tap_heymarket.walk.walker import Page, WindowWalker

if t.TYPE_CHECKING:
    from tap_heymarket.walk.stream import NewestFirstStream

#: The ceiling on windows read at once; how many are is Little's law's (:mod:`.inflight`).
DEFAULT_MAX_CONCURRENCY = 32


class Walk:
    """One run of one incremental stream (see the module docstring)."""

    def __init__(self, stream: NewestFirstStream) -> None:
        self.stream = stream
        config = stream.config
        concurrency = int(config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))
        budget = float(config.get("max_requests_per_minute", 500))
        #: the windows-in-flight target (None under the SDK's record limit: one window at a time)
        self.inflight = None if stream.ABORT_AT_RECORD_COUNT is not None else InFlight(concurrency, budget)
        self.walker = WindowWalker(stream, self.inflight)
        self.pool: Interleaver[Page] = Interleaver(concurrency, interrupt.check)
        self.scoped: ScopedCounts | None = None  # each walk's own count, for the total
        self.unfiltered: int | None = None  # the count of everything (None: not had)

    def records(self) -> t.Iterator[dict[str, t.Any]]:
        """Plan the windows, read them concurrently, emit their pages in arrival order."""
        stream = self.stream
        windows, slices_now, top = self._plan()
        state = stream.stream_state
        tracked = {str(n): w for n, w in enumerate(windows)}
        run_started = format_instant(stream.run_started)
        denied: set[Slice] = set()
        strays: dict[t.Any, str] = {}
        handoff = Handoff(stream.primary_keys[0])
        reason = ""
        self._start_all(windows, tracked)
        progress = self._progress(windows)
        held = saved_instant(state.get("replication_key_value"))
        if stream.end_date is not None and held is not None:
            hold_bookmark(state, str(stream.replication_key), held)
        if not stream.full_table:
            write_resume(state, top, slices_now, tracked.values())
        try:
            for page in self.pool:
                received = clock.monotonic()
                page.records = handoff.fresh(page.records, page.strays, stream.cursor_field)
                for record in page.records:
                    interrupt.check()
                    yield record
                handoff.emitted(page.records, first_below=page.first and is_split_off(page.key))
                handoff.hold(page.handoff)
                top = self._newest(page, top, run_started)
                self._account(page, tracked, denied, received)
                reason = page.reason or reason
                if not stream.full_table:
                    write_resume(state, top, slices_now, tracked.values())
                self._count_page(progress, page)
                name_strays(stream, page.strays, strays)
        except GeneratorExit:
            raise
        except BaseException:
            if stream.get_batch_config(stream.config) is None:
                stream.write_emitted_state()  # what was emitted, no more
            raise
        yield from handoff.remaining()
        if denied and denied >= set(slices_now):
            msg = f"{reason} (every slice was refused: {_describe(denied)})"
            raise HeymarketFatalError(msg)
        if not stream.full_table:
            state.pop("resume", None)
            cap_bookmark(state, top, held)
            if slices_now != [()] and (stream.end_date is None or held is None):
                state["covered"] = slice_list(set(slices_now) - denied)
        self._settle_total(progress, wait=True)
        progress.finish(complete=not any(w.floor for w in windows), denied=_describe(denied))
        report_strays(stream, strays)

    def _account(self, page: Page, tracked: dict[str, Window], denied: set[Slice], received: float) -> None:
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
            self._start(key, window, reserved=True)
        denied.update(page.denied)

    def _progress(self, windows: list[Window]) -> ProgressReporter:
        """Progress, counted while the windows already read (the count is not serial start-up)."""
        try:
            return ProgressReporter(self.stream, expected_total=self._expected_total(windows))
        except BaseException:
            self.pool.close()
            raise

    def _start_all(self, windows: list[Window], tracked: dict[str, Window]) -> None:
        """The planned windows, each to a worker; the count the first split needs goes out
        first, beside their first pages (:meth:`~tap_heymarket.walk.splitting.Splitter.start`)."""
        splitter = self.stream.splitter
        if splitter is not None and self.inflight is not None:
            splitter.start(windows)
        for key, window in tracked.items():
            self._start(key, window)
        self.scoped = self._count_scopes(windows)  # behind the first pages: only the total waits

    def _start(self, key: str, window: Window, *, reserved: bool = False) -> None:
        """Hand a window to a worker (``reserved``: into the slot its split claimed)."""
        if self.inflight is not None:
            self.inflight.started(key, reserved=reserved)
        self.pool.submit(functools.partial(self.walker.read, key, window))

    def _plan(self) -> tuple[list[Window], list[Slice], str | None]:
        """Windows for this run, the slices it covers, and where a resumed run had got to
        (:func:`~tap_heymarket.walk.plan.plan_windows`, from what the stream and its state say)."""
        stream = self.stream
        slices = stream.slices()
        if stream.full_table:
            plan = plan_windows(SavedState(), slices, Settings(full_table=True), stream.scopes)
            return plan.windows, plan.slices, plan.top
        saved = read_state(stream.stream_state)
        warn_future_bookmark(stream, saved.bookmark, format_instant(stream.run_started))
        starting = saved_instant(stream.get_starting_replication_key_value(None))
        settings = Settings(
            start_date=saved_instant(stream.config.get("start_date")),
            end_date=stream.end_date,
            floor=None if starting is None else stream.reread_floor(starting),
        )
        plan = plan_windows(saved, slices, settings, stream.scopes)
        return plan.windows, plan.slices, plan.top

    def _newest(self, page: Page, top: str | None, run_started: str) -> str | None:
        """The newest value emitted in place so far (a record out of place never sets it), never
        past the run's start: it is ``resume.top``, where a resumed run reads down to, so a
        record dated in the future would hide what changes after this run began (the SDK's
        signpost caps only the bookmark; tests/test_guards.py proves both)."""
        stream = self.stream
        odd = {key for key, _value in page.strays}
        values = [r[stream.cursor_field] for r in page.records if r[stream.primary_keys[0]] not in odd]
        if not values:
            return top
        newest = min(max(values), run_started)
        return newest if top is None or newest > top else top

    def _count_scopes(self, windows: list[Window]) -> ScopedCounts | None:
        """For a full sync, each walk's count with its own filters, asked now beside the first
        pages (:mod:`tap_heymarket.walk.totals`); None where the listing's count is not scoped."""
        stream = self.stream
        if not self._counted(windows) or len(windows) > MAX_SCOPES:
            return None
        walks = [(stream.in_default_view(w.scope), stream.count_body(w.scope)) for w in windows]
        if any(body is None for _open, body in walks):
            return None
        return ScopedCounts(
            stream.count_scoped, [(is_open, body) for is_open, body in walks if body is not None]
        )

    def _expected_total(self, windows: list[Window]) -> int | None:
        """The records a full sync should emit, by the unfiltered count for now (None: no count
        says; it must never fail a sync); each walk's own count may correct it once back
        (:meth:`_settle_total`)."""
        stream = self.stream
        if not self._counted(windows):
            return None
        count = stream.splitter.count if stream.splitter is not None else stream.count_before
        try:
            self.unfiltered = call_interruptibly(lambda: count(None), interrupt.check)
        except CountUnavailable:
            return None  # warned once where it was asked
        return self.unfiltered

    def _counted(self, windows: list[Window]) -> bool:
        """Whether the API's count says what this run should emit: a full sync of the whole
        account (one narrowed by a setting has no count to check the walks' own against)."""
        stream = self.stream
        return bool(stream.count_path) and _full(windows) and stream.api.directory.covers_whole_account()

    def _count_page(self, progress: ProgressReporter, page: Page) -> None:
        """One page emitted: progress counts it, and takes the walks' own total once it is back."""
        default_view = self.stream.in_default_view(page.window.scope)
        progress.page(len(page.records), page.skipped, page.unreachable, default_view=default_view)
        self._settle_total(progress)

    def _settle_total(self, progress: ProgressReporter, *, wait: bool = False) -> None:
        """Once every walk's own count is back (``wait``: wait for them), the total they say
        (:func:`.walks_total`) replaces the unfiltered count's. Not waited for at the start:
        the main thread would hold back the first pages, and with them the walks' next requests."""
        scoped = self.scoped
        if scoped is None or not (wait or scoped.done()):
            return
        self.scoped = None
        values = call_interruptibly(lambda: scoped.wait(FINAL_WAIT), interrupt.check)
        stream = self.stream
        if scoped.failure is not None:
            stream.logger.info(
                "%s: the count was not had for each walk's own filters (%s); the total is the account's",
                stream.name,
                scoped.failure,
            )
        total = walks_total(self.unfiltered, values)
        progress.expected_total, progress.total_unchecked = total.value, not total.checked


def _full(windows: list[Window]) -> bool:
    """Whether the run reads every planned window from the newest record to the listing's end
    (not below a bookmark or ``start_date``, nor only up to ``end_date``: the count's total
    is not what such a run emits)."""
    return all(w.floor is None and w.cursor is None and w.upper is None for w in windows)


def _describe(slices: t.Iterable[Slice]) -> str:
    return ", ".join(
        f"inbox {s[0]} ({'closed' if s[1] else 'open'})" if s else "the whole listing" for s in sorted(slices)
    )
