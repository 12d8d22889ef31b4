"""Messages: walked newest first by creation, re-reading below the bookmark only what can change.

``POST /v1/messages/all`` pages on ``created_at`` (the last message's ``date``), so the
stream walks in creation order and bookmarks the newest ``date``. A message's status changes
after it is sent (sent, then delivered or failed), and a walk on creation order cannot see
that change unless it reads the message again. Re-reading a fixed ``messages_lookback_days``
below the bookmark did so at the price of a backfill: 5,000 messages a day made every idle
run re-read 35,000 of them (about 1,170 requests).

So each run also notes the oldest message it emitted whose status was not yet settled
(``unsettled_since`` in the stream's state, beside the bookmark), and the next run reads down
to that message, not further: an idle run of a busy account reads the few minutes in which
messages were still on their way. ``messages_lookback_days`` stays the bound (a message stuck
in ``sent`` for longer is not re-read forever). A status outside :data:`SETTLED` (including
one the tap does not know) counts as unsettled, so an unknown spelling costs requests, never
a missed change. State written before ``unsettled_since`` existed re-reads the whole lookback
once. Until a run finishes, the state holds the floor that run started from, so an interrupted
run's successor reads at least as far down.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from functools import cached_property

from tap_heymarket.records import as_reference
from tap_heymarket.timestamps import format_instant, parse_instant, shifted
from tap_heymarket.walk.state import saved_instant
from tap_heymarket.walk.stream import NewestFirstStream

#: Statuses after which a message does not change (our reading: the reference names sent,
#: delivered and failed; an inbound message is received once).
SETTLED = frozenset({"delivered", "failed", "received"})
#: The state key: the ``date`` of the oldest message emitted unsettled, or None.
UNSETTLED_SINCE = "unsettled_since"


class MessagesStream(NewestFirstStream):
    """Every message, newest first by creation (``date``), re-reading what can still change."""

    name = "messages"
    path = "/v1/messages/all"
    primary_keys = ("id",)
    replication_key = "date"
    cursor_request_field = "created_at"

    @cached_property
    def _unsettled(self) -> _OldestUnsettled:
        return _OldestUnsettled()

    def lookback_window(self) -> dt.timedelta:
        """How far below the bookmark a run may re-read at most."""
        return dt.timedelta(days=float(self.config.get("messages_lookback_days", 7)))

    def reread_floor(self, bookmark: str) -> str:
        """Down to the oldest message last seen unsettled, within the lookback (all of it for old state)."""
        lowest = format_instant(shifted(parse_instant(bookmark), -self.lookback_window()))
        state = self.stream_state
        if UNSETTLED_SINCE in state:
            unsettled = saved_instant(state[UNSETTLED_SINCE])
            floor = max(lowest, bookmark if unsettled is None else min(unsettled, bookmark))
        else:
            floor = lowest
        state[UNSETTLED_SINCE] = floor  # what an interrupted run leaves for the next one
        self._unsettled.floor = floor
        return floor

    def request_body(self, context: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Newest first by creation (``limit``, the page size, is the walk's: see page_size.py)."""
        return {"order": "created_at", "ascending": False}

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The conversation reference as an object, then the stream's schema; noted if unsettled."""
        if type(record) is dict and "conversation" in record:
            record["conversation"] = as_reference(record["conversation"])
        shaped = self.conformer(record)
        self._unsettled.note(shaped.get("date"), shaped.get("status"))
        return shaped

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """The walk; once it finished, the oldest unsettled message it read goes into the state."""
        yield from super().get_records(context)
        if not self.full_table and self._unsettled.seen:
            self.stream_state[UNSETTLED_SINCE] = self._unsettled.oldest


class _OldestUnsettled:
    """The oldest ``date`` among the unsettled messages read at or above the floor (thread-safe)."""

    def __init__(self) -> None:
        self.floor: str | None = None
        self.oldest: str | None = None
        self.seen = 0
        self._lock = threading.Lock()

    def note(self, date: object, status: object) -> None:
        if not isinstance(date, str) or (self.floor is not None and date < self.floor):
            return
        with self._lock:
            self.seen += 1
            if status not in SETTLED and (self.oldest is None or date < self.oldest):
                self.oldest = date
