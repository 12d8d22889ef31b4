"""The incremental stream: what every newest-first Heymarket listing declares and answers.

Heymarket has no "updated after" filter; listings come newest first. A
:class:`NewestFirstStream` says what its listing is (slices, the walks that read them, the
body, where a re-read stops) and answers the SDK's hooks (the signpost, the request body,
FULL_TABLE); its ``get_records`` only starts the run, :class:`~tap_heymarket.walk.run.Walk`,
which plans windows, reads them on workers and emits their pages. Each window is walked by
:class:`~tap_heymarket.walk.walker.WindowWalker`, whose cursor holds under every reading of
``date`` the reference leaves open (:mod:`tap_heymarket.walk.pagination`).
"""

from __future__ import annotations

import json
import typing as t
from functools import cached_property

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_heymarket.client import HeymarketStream
from tap_heymarket.errors import describe
from tap_heymarket.progress import OptionalCount
from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk.cursor import Cursor
from tap_heymarket.walk.page_size import LimitRefusedError, PageRequest, PageSize
from tap_heymarket.walk.pagination import CursorPolicy
from tap_heymarket.walk.plan import Slice
from tap_heymarket.walk.run import Walk
from tap_heymarket.walk.splitting import Splitter
from tap_heymarket.walk.state import saved_instant

if t.TYPE_CHECKING:
    import requests

FULL_TABLE = "FULL_TABLE"
#: Records a page asks for: ``ceil(N / 99)`` requests instead of ``ceil(N / 29)`` where the
#: server honours it; capped lower or refused, the walk learns so on its first page.
DEFAULT_PAGE_SIZE = 100


class NewestFirstStream(HeymarketStream):
    """An incremental listing read newest first down to its bookmark (module docstring)."""

    replication_key = "updated"
    is_sorted = False
    #: Records are conformed to the schema by the stream's own shaping (one faithful step).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Interim STATE every ten pages or so: a long backfill resumes close to where it died.
    STATE_MSG_FREQUENCY = 300
    #: Whether the count endpoint takes ``date`` (what is older): long walks are then split.
    count_takes_date = False
    cursor_request_field = "date"  # body field that carries the cursor
    cursor_record_field: str | None = None  # record field it comes from (the replication key)
    count_path: str | None = None  # ``POST …/count`` path that counts this listing, if any
    #: body field that asks for a page size (:mod:`tap_heymarket.walk.page_size`); None: not sent
    limit_field: str | None = "limit"
    walk: Walk | None = None  # the run under way, if any

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

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Give a record the stream's one stable shape; raise BadRecordError to skip it."""
        return record

    def count_body(self, scope: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        """The count's body for one walk's own scope (:mod:`tap_heymarket.walk.totals`), or None:
        this listing's count is not asked per walk (the default: one walk, team-wide)."""
        return None

    def in_default_view(self, scope: t.Mapping[str, t.Any]) -> bool:
        """Whether a walk reads the view a body without one reads (conversations: the open one),
        which is all an unfiltered count may count (:mod:`tap_heymarket.walk.totals`)."""
        return False

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
        """Every window's records (:class:`~tap_heymarket.walk.run.Walk`); a listing the key may
        not read is skipped when others are selected."""
        walk = Walk(self)
        self.walk = walk
        try:
            yield from self.guarded(walk.records)
        finally:
            self.walk = None
            if self.splitter is not None:
                self.splitter.finish()  # no count more once the run is over
        self.close_full_table_version()

    def write_emitted_state(self) -> None:
        """A STATE message of what was emitted, now (a run that fails or is interrupted): the
        SDK's ``_write_state_message`` without its "nothing changed" check (tests pin it)."""
        self._tap.state_writer.write_state(self.tap_state)

    # -- what the walk measures and asks ----------------------------------------------

    @property
    def cursor_field(self) -> str:
        """The record field pages are cursored on (the replication key unless said otherwise)."""
        return self.cursor_record_field or str(self.replication_key)

    def round_trip(self, response: requests.Response) -> float:
        """Seconds from sending a request to its response's headers (no limiter wait, no GIL)."""
        return response.elapsed.total_seconds()

    def screen_response(self, response: requests.Response) -> None:
        """Each round trip feeds the windows-in-flight target (:mod:`.inflight`); a 400 naming
        ``limit`` to a request that carried it is :class:`LimitRefusedError` (asked again)."""
        inflight = self.walk.inflight if self.walk is not None else None
        if inflight is not None and response.status_code < 400:
            inflight.observe(self.round_trip(response))
        if response.status_code == 400 and self.limit_field is not None:
            try:
                sent = json.loads(response.request.body or b"{}") if response.request is not None else {}
            except ValueError:
                sent = {}
            if isinstance(sent, dict) and self.limit_field in sent and self.limit_field in response.text:
                raise LimitRefusedError(describe(response, f"Heymarket refused `{self.limit_field}`"))

    def count_before(self, date: str | None) -> int:
        """The count endpoint: records "before" ``date`` (all when None); one request, best
        effort (:class:`~tap_heymarket.progress.OptionalCount`: a failure is "no count")."""
        return self._optional_count(date)

    def count_scoped(self, body: dict[str, t.Any]) -> int:
        """The count endpoint asked with ``body`` (:meth:`count_body`): one request, no retry;
        a failure raises (the caller, :class:`~tap_heymarket.walk.totals.ScopedCounts`, copes)."""
        return self.listing.count(str(self.count_path), None, body)

    @cached_property
    def _optional_count(self) -> OptionalCount:
        return OptionalCount(self, lambda date: self.listing.count(str(self.count_path), date))
