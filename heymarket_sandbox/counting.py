"""The conversation count as each reading of the reference answers it.

The reference documents only ``date`` for ``POST /v1/conversations/count`` ("only
conversations updated before it are counted", "the total number of conversations"). Whether
the count takes the listing's ``filters`` (inboxes, view) and what an omitted ``closed``
counts are left open: :attr:`~heymarket_sandbox.readings.Reading.count_filters` and
:attr:`~heymarket_sandbox.readings.Reading.count_closed` answer them.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t

from heymarket_sandbox.listing import Listing
from heymarket_sandbox.readings import Reading


def conversation_count(
    listing: Listing,
    reading: Reading,
    body: dict[str, t.Any],
    before: dt.datetime | None,
    inboxes: t.Iterable[int],
) -> tuple[int, bytes]:
    """Status and body of one count request (``before``: its ``date``, read; ``inboxes``:
    every inbox of the account)."""
    filters = body.get("filters")
    if filters is not None and reading.count_filters == "rejects":
        return 400, b'{"error":"bad_data","message":"unknown field: filters"}'
    if not isinstance(filters, dict) or reading.count_filters == "ignores":
        filters = {}
    elif reading.count_filters in ("inboxes", "closed"):  # honoured in part: that field only
        filters = {k: v for k, v in filters.items() if k == reading.count_filters}
    chosen = filters.get("inboxes") or list(inboxes)
    if "closed" in filters:
        views = [bool(filters["closed"])]
    else:
        views = [False] if reading.count_closed == "open" else [False, True]
    count = listing.count(before, [(inbox, view) for inbox in chosen for view in views])
    return 200, json.dumps({"count": count}).encode()
