"""Listings paged by number (``{"limit": n, "page": k}``, surveys): the same progress rule.

A date walk that makes no progress stops with :class:`~tap_heymarket.walk.pagination.CursorIgnoredError`
(one line, exit 1); a page-number listing must meet the same rule: a full page that brings no
record not already read means the server ignores ``page`` (it would answer the same page for
ever), so the walk stops with the same error, reported the same way (a
:class:`~tap_heymarket.walk.walker.WalkError` line naming stream, endpoint and page).
A short page ends the listing; so does an empty one.
"""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from tap_heymarket.walk.pagination import CursorIgnoredError

if t.TYPE_CHECKING:
    import requests


class PageNumberPaginator(BaseAPIPaginator[int]):
    """Page numbers from 1 until a short page; a full page of known records is an error."""

    def __init__(self, page_size: int, key: str = "id") -> None:
        super().__init__(1)
        self.page_size = page_size
        self.key = key
        self._seen: set[t.Any] = set()
        self._page: list[t.Any] = []

    def advance_page(self, records: t.Sequence[t.Any]) -> list[t.Any]:
        """Decide from one page's records; returns those not read before (in page order)."""
        fresh = []
        for record in records:
            key = record.get(self.key) if isinstance(record, dict) else None
            if key is None or key not in self._seen:
                fresh.append(record)
            if key is not None:
                self._seen.add(key)
        if records and len(records) >= self.page_size and not fresh:
            msg = (
                f"page {self.current_value} brought no record not already read (all {len(records)} "
                "were on earlier pages): it ignores the page number"
            )
            raise CursorIgnoredError(msg)
        self._page = list(records)
        self.advance(t.cast("requests.Response", None))
        return fresh

    def has_more(self, response: requests.Response | None) -> bool:
        """A full page may have a next one."""
        return len(self._page) >= self.page_size

    def get_next(self, response: requests.Response | None) -> int:
        """The next page number."""
        return self.current_value + 1
