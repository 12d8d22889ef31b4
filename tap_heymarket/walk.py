"""The newest-first walk: how every incremental Heymarket listing is read.

Heymarket has no "updated after" filter; listings come newest first. So each slice (an
inbox's open or closed view, or a whole team-wide listing) is walked from the top down and
stops at the first record older than the slice's bookmark. One walk serves every
incremental stream; a stream only says what its slices are and how a record is shaped.

State, per slice, in the SDK's ``partitions`` layout::

    {"context": {...slice...}, "replication_key": "updated",
     "replication_key_value": "<newest updated seen, never past the run's start>",
     "resume": {"cursor": {...}, "newest": "..."}}   # only while a walk is unfinished

``resume`` is written after every page, so a run that dies part-way through a backfill is
resumed from its last page by the next run instead of from the top; the walk finalises it
into ``replication_key_value`` when it reaches the bottom (or the old bookmark).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from tap_heymarket.client import HeymarketStream
from tap_heymarket.concurrency import interleave
from tap_heymarket.errors import CredentialsRejectedError
from tap_heymarket.pagination import UpdatedCursor, UpdatedCursorPaginator
from tap_heymarket.progress import ProgressReporter
from tap_heymarket.records import BadRecordError, require_instant, require_key
from tap_heymarket.timestamps import (
    TimestampError,
    format_instant,
    normalize_instant,
    parse_instant,
)


class SlicePlan(t.NamedTuple):
    """Where one slice's walk starts and where it stops."""

    context: dict[str, t.Any]
    bookmark: str | None  # stop below this (the state's bookmark, lookback or start_date)
    resume: UpdatedCursor | None  # an interrupted walk's next page, else None: the top


@dataclasses.dataclass
class SlicePage:
    """One page of one slice, already shaped and de-duplicated."""

    context: dict[str, t.Any]
    records: list[dict[str, t.Any]]
    next_cursor: UpdatedCursor | None  # None: the slice's walk is complete
    skipped: int = 0


class NewestFirstStream(HeymarketStream):
    """An incremental listing read newest first with early stop (see module docstring)."""

    replication_key = "updated"
    is_sorted = False
    #: body field that carries the cursor
    cursor_request_field = "date"
    #: record field the cursor is taken from (the replication key by default)
    cursor_record_field: str | None = None
    #: ``POST …/count`` path that counts this listing, if the API has one
    count_path: str | None = None

    # -- what a stream provides ---------------------------------------------------------

    def slices(self) -> list[dict[str, t.Any]]:
        """The independent units this listing is walked in; one, team-wide, by default."""
        return [{}]

    def request_body(self, context: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The body for one slice, without the cursor."""
        return {}

    def lookback_window(self) -> dt.timedelta | None:
        """How far below its bookmark each run re-reads (records that change after creation)."""
        return None

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Give a record the stream's one stable shape; raise BadRecordError to skip it."""
        return record

    # -- SDK hooks ----------------------------------------------------------------------

    @property
    def partitions(self) -> list[dict] | None:
        """Slices are walked by :meth:`get_records` itself (concurrently), not by the SDK."""
        return None

    def _increment_stream_state(self, latest_record: t.Any, *, context: t.Any = None) -> None:
        """Bookmarks are kept per slice by the walk, page by page, not per record.

        The SDK's per-record progress markers assume one partition at a time and a sort
        order this API does not have; the walk records exact per-slice state instead.
        """

    def get_new_paginator(self) -> UpdatedCursorPaginator:
        """A fresh tie-safe cursor paginator."""
        return UpdatedCursorPaginator(record_field=self.cursor_field, stream_name=self.name)

    def prepare_request_payload(
        self, context: t.Mapping[str, t.Any] | None, next_page_token: UpdatedCursor | None
    ) -> dict[str, t.Any]:
        """The slice's body plus the cursor, if any."""
        body = self.request_body(context or {})
        if next_page_token is not None:
            body[self.cursor_request_field] = next_page_token.request_value
        return body

    @property
    def cursor_field(self) -> str:
        """The record field pages are cursored on."""
        return self.cursor_record_field or str(self.replication_key)

    # -- the walk -----------------------------------------------------------------------

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """Walk every slice (up to ``max_concurrency`` at once), emitting state per page."""
        run_started = format_instant(self.heymarket.run_started)
        slices = self.slices()
        plans = [self._plan(dict(s)) for s in slices]
        full_sync = all(p.bookmark is None and p.resume is None for p in plans)
        progress = ProgressReporter(self, expected_total=self._expected_total() if full_sync else None)
        producers = [self._producer(plan) for plan in plans]
        concurrency = int(self.config.get("max_concurrency", 6))

        def emit() -> t.Iterator[dict[str, t.Any]]:
            for page in interleave(producers, concurrency):
                yield from page.records
                self._record_page(page, run_started)
                progress.page(len(page.records), page.skipped)
            progress.finish(complete=full_sync)

        yield from self.guarded(emit)

    def _plan(self, context: dict[str, t.Any]) -> SlicePlan:
        if self.replication_method == "FULL_TABLE":  # forced in the catalog: read everything
            return SlicePlan(context, None, None)
        state = self.get_context_state(context)
        bookmark = None
        if state.get("replication_key") == self.replication_key:
            bookmark = _normalized_or_none(state.get("replication_key_value"))
        lookback = self.lookback_window()
        if bookmark is not None and lookback:
            bookmark = format_instant(parse_instant(bookmark) - lookback)
        start_date = _normalized_or_none(self.config.get("start_date"))
        if start_date and (bookmark is None or start_date > bookmark):
            bookmark = start_date
        resume = state.get("resume")
        cursor = UpdatedCursor.from_state(resume.get("cursor")) if isinstance(resume, dict) else None
        return SlicePlan(context, bookmark, cursor)

    def _producer(self, plan: SlicePlan) -> t.Callable[[], t.Iterator[SlicePage]]:
        return lambda: self._walk_slice(plan.context, plan.bookmark, plan.resume)

    def _walk_slice(
        self,
        context: dict[str, t.Any],
        bookmark: str | None,
        start: UpdatedCursor | None,
    ) -> t.Iterator[SlicePage]:
        """Pages of one slice, newest first, down to ``bookmark`` (inclusive)."""
        paginator = UpdatedCursorPaginator(start, record_field=self.cursor_field, stream_name=self.name)
        pk = self.primary_keys[0]
        cursor_field = self.cursor_field
        floor: str | None = None  # oldest cursor value emitted so far in this walk
        ids_at_floor: set[t.Any] = set()
        while not paginator.finished:
            raw = self.records_in(self.fetch(context, paginator.current_value))
            fresh: list[dict[str, t.Any]] = []
            skipped = 0
            passed_bookmark = False
            for record in raw:
                try:
                    shaped = self.shape_record(record)
                    require_key(shaped, pk)
                    value = require_instant(shaped, cursor_field)
                except BadRecordError as exc:
                    skipped += 1
                    self.logger.warning("%s: skipping a record with %s", self.name, exc)
                    continue
                if bookmark is not None and value < bookmark:
                    passed_bookmark = True
                    break
                if value == floor:
                    if shaped[pk] in ids_at_floor:
                        continue  # seen on the previous page (tie-safe cursor overlap)
                    ids_at_floor.add(shaped[pk])
                elif floor is None or value < floor:
                    floor, ids_at_floor = value, {shaped[pk]}
                fresh.append(shaped)
            if passed_bookmark:
                yield SlicePage(context, fresh, None, skipped)
                return
            paginator.advance_page(raw)
            done = paginator.finished
            yield SlicePage(context, fresh, None if done else paginator.current_value, skipped)

    def _record_page(self, page: SlicePage, run_started: str) -> None:
        """Advance the slice's state after its page's records were emitted."""
        if self.replication_method == "FULL_TABLE":
            return  # a full read keeps no bookmark and no resume point
        state = self.get_context_state(page.context)
        resume = state.get("resume") if isinstance(state.get("resume"), dict) else {}
        newest = _normalized_or_none(resume.get("newest")) if resume else None
        if page.records:
            field = self.cursor_field
            top = min(max(r[field] for r in page.records), run_started)
            newest = top if newest is None or top > newest else newest
        if page.next_cursor is None:
            state.pop("resume", None)
            if newest is not None:
                old = _normalized_or_none(state.get("replication_key_value"))
                state["replication_key"] = self.replication_key
                state["replication_key_value"] = newest if old is None else max(old, newest)
        else:
            state["resume"] = {"cursor": page.next_cursor.to_state(), "newest": newest}
        self._tap.state_writer.write_state(self.tap_state)

    def _expected_total(self) -> int | None:
        """The API's count for a full sync, or None (the count must never fail a sync)."""
        if not self.count_path or not self.heymarket.covers_whole_account():
            return None
        try:
            return _count_of(self.post_once(self.count_path, {}))
        except CredentialsRejectedError:
            raise  # the listing would fail the same way: report it once, now
        except Exception as exc:
            self.logger.warning("Could not count %s for progress (%s); continuing", self.name, exc)
            return None


def _normalized_or_none(value: object) -> str | None:
    if value in (None, ""):
        return None
    try:
        return normalize_instant(value)
    except TimestampError:
        return None


def _count_of(body: object) -> int:
    """``{"count": n}``, a bare integer, or a numeric string: the reference prints none."""
    if isinstance(body, dict):
        body = body.get("count", body.get("total"))
    if isinstance(body, bool):
        raise TypeError(body)
    if isinstance(body, (int, str)):
        return int(body)
    msg = f"unexpected count body: {body!r}"
    raise TypeError(msg)
