"""Newest-first cursor pagination, safe against ties.

Heymarket lists newest first and pages with ``date`` = the last record's ``updated``, keeping
only records **strictly before** it. Several records can share one ``updated``: if a page
ends inside such a group, ``date = last`` would skip the rest of the group. So the next
cursor is "just after the last value" (one microsecond later): the next page starts with the
part of the group already seen, which the walk drops by ID, then goes on.

When a whole page shares one value and the cursor is already just after it, no cursor can
reach further into that group: the paginator then steps strictly before the value and
warns, naming it, rather than asking for the same page forever.
"""

from __future__ import annotations

import dataclasses
import logging
import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from tap_heymarket.timestamps import (
    ONE_MICROSECOND,
    TimestampError,
    format_instant,
    normalize_instant,
    parse_instant,
)

if t.TYPE_CHECKING:
    import requests

LOGGER = logging.getLogger("tap-heymarket")


@dataclasses.dataclass(frozen=True)
class UpdatedCursor:
    """Where the next page starts: at ``boundary``, with or without its tie group."""

    boundary: str
    include_boundary: bool = True

    @property
    def request_value(self) -> str:
        """The ``date`` to send: just after the boundary, or the boundary itself."""
        if not self.include_boundary:
            return self.boundary
        return format_instant(parse_instant(self.boundary) + ONE_MICROSECOND)

    def to_state(self) -> dict[str, t.Any]:
        """A JSON-safe form for STATE (the resume point of an interrupted walk)."""
        return {"boundary": self.boundary, "include_boundary": self.include_boundary}

    @classmethod
    def from_state(cls, value: t.Any) -> UpdatedCursor | None:
        """Read a resume point back; anything unreadable means "start from the top"."""
        if not isinstance(value, dict) or not isinstance(value.get("boundary"), str):
            return None
        try:
            boundary = normalize_instant(value["boundary"])
        except TimestampError:
            return None
        return cls(boundary, bool(value.get("include_boundary", True)))


class UpdatedCursorPaginator(BaseAPIPaginator[UpdatedCursor | None]):
    """Next token from the last record's cursor field (``updated`` by default).

    The page's decoded records are handed over by the walk (:meth:`advance_page`), so the
    body is decoded once; :meth:`advance` (the SDK's entry point) decodes it itself.
    """

    def __init__(
        self,
        start_value: UpdatedCursor | None = None,
        *,
        record_field: str = "updated",
        stream_name: str = "conversations",
    ) -> None:
        super().__init__(start_value)
        self.record_field = record_field
        self.stream_name = stream_name
        self._page: list[dict[str, t.Any]] = []
        self._largest_page = 0
        self.unreachable_values: list[str] = []

    def advance_page(self, records: list[dict[str, t.Any]]) -> None:
        """Advance from a page of records the caller already decoded."""
        self._page = records
        self.advance(t.cast("requests.Response", None))

    def has_more(self, response: requests.Response | None) -> bool:
        """An empty page ends the listing."""
        return bool(self._page_from(response))

    def get_next(self, response: requests.Response | None) -> UpdatedCursor | None:
        """The cursor after this page (see the module docstring for ties)."""
        values = [v for v in (self._value_of(r) for r in self._page_from(response)) if v]
        if not values:
            return None
        last = values[-1]
        page_len = len(self._page)
        could_be_full = page_len >= self._largest_page
        self._largest_page = max(self._largest_page, page_len)
        whole_page_tied = values[0] == last
        if whole_page_tied and self.current_value == UpdatedCursor(last, include_boundary=True):
            if not could_be_full:  # a short page: the group ends on it
                return UpdatedCursor(last, include_boundary=False)
            self.unreachable_values.append(last)
            LOGGER.warning(
                "%s: a whole page of %d records shares %s=%s; records of that group beyond "
                "one page cannot be reached through the API's cursor, moving on before it",
                self.stream_name,
                len(values),
                self.record_field,
                last,
            )
            return UpdatedCursor(last, include_boundary=False)
        return UpdatedCursor(last, include_boundary=True)

    def _page_from(self, response: requests.Response | None) -> list[dict[str, t.Any]]:
        if response is not None:
            self._page = response.json()
        return self._page

    def _value_of(self, record: dict[str, t.Any]) -> str | None:
        try:
            return normalize_instant(record.get(self.record_field))
        except TimestampError:
            return None
