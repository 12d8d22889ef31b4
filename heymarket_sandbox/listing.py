"""Indexed newest-first listings with a "before" cursor, as the API pages them.

Records are kept in ``(-instant, -id)`` order per scope (e.g. an inbox's open view), so a
page is a bisect and a slice, and each record's JSON is encoded once and reused. How the
cursor is compared, how pages are ordered and how instants are spelled follow the listing's
:class:`~heymarket_sandbox.readings.Reading` (the reference's own reading by default).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import typing as t

from heymarket_sandbox.data import spell
from heymarket_sandbox.readings import Reading, epoch_seconds

Scope = t.Hashable


def micros(instant: dt.datetime) -> int:
    """Microseconds since the epoch (exact for the sandbox's whole milliseconds)."""
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)


def render(record: dict[str, t.Any], reading: Reading | None = None, field: str = "updated") -> bytes:
    """A record as the API spells it: instants as the reading writes them, no private keys."""
    reading = reading or Reading()
    variant = int(record.get("id", 0))
    out = {
        k: reading.spell(v, variant, spell) if isinstance(v, dt.datetime) else v
        for k, v in record.items()
        if not k.startswith("_")
    }
    if reading.epoch_cursor and isinstance(record.get(field), dt.datetime):
        out[field] = epoch_seconds(record[field])
    return json.dumps(out, separators=(",", ":")).encode()


def _lane(keys: list[tuple[int, int]], ids: list[int], start: int) -> t.Iterator[tuple[tuple[int, int], int]]:
    """One scope's records from ``start`` on (a function, so each lane binds its own lists)."""
    for i in range(start, len(keys)):
        yield keys[i], ids[i]


class Listing:
    """One listing (conversations, contacts, …) ordered newest first on ``field``."""

    def __init__(
        self,
        records: list[dict[str, t.Any]],
        field: str,
        scope_of: t.Callable[[dict[str, t.Any]], Scope] = lambda _r: None,
    ) -> None:
        self.records = {r["id"]: r for r in records}
        self.field = field
        self.scope_of = scope_of
        self._index: dict[Scope, tuple[list[tuple[int, int]], list[int]]] | None = None
        self._encoded: dict[int, bytes] = {}
        self._reading = Reading()

    @property
    def reading(self) -> Reading:
        """How this listing reads its cursor and spells instants."""
        return self._reading

    @reading.setter
    def reading(self, value: Reading) -> None:
        self._reading = value
        self._encoded.clear()
        self._index = None

    def rank(self, record: dict[str, t.Any]) -> dt.datetime:
        """Where the server keeps a record: its hidden ``_rank`` under ``hidden_sort``, else its value."""
        if self.reading.hidden_sort:
            return t.cast("dt.datetime", record.get("_rank", record[self.field]))
        return t.cast("dt.datetime", record[self.field])

    def misplace(self, record_id: int, value: dt.datetime) -> None:
        """Show ``value`` for a record while the server keeps it where it was (a stale index)."""
        record = self.records[record_id]
        record.setdefault("_rank", record[self.field])
        record[self.field] = value
        self.changed(record_id)

    def changed(self, record_id: int | None = None) -> None:
        """Invalidate after a mutation (of one record, or of all)."""
        self._index = None
        if record_id is None:
            self._encoded.clear()
        else:
            self._encoded.pop(record_id, None)

    def warm(self) -> None:
        """Build the index now, as a server's is before its first request: built on demand,
        a 200,000-record listing's first page took some 150 ms against 2-7 ms for the rest,
        and a client sizing its concurrency on that first round trip saw a latency that no
        real index has (the benchmark's memory section: 17 windows at once instead of 3)."""
        self._scopes()

    def _scopes(self) -> dict[Scope, tuple[list[tuple[int, int]], list[int]]]:
        """The per-scope index, built whole before it is published (requests run in threads)."""
        index = self._index
        if index is None:
            grouped: dict[Scope, list[tuple[int, int]]] = {}
            for record in list(self.records.values()):
                key = (-micros(self.rank(record)), -int(record["id"]))
                grouped.setdefault(self.scope_of(record), []).append(key)
            index = {}
            for scope, keys in grouped.items():
                keys.sort()
                index[scope] = (keys, [-k[1] for k in keys])
            self._index = index
        return index

    def page(
        self,
        scopes: t.Iterable[Scope] | None,
        before: dt.datetime | None,
        size: int,
        keep: t.Callable[[dict[str, t.Any]], bool] | None = None,
    ) -> list[int]:
        """IDs of up to ``size`` records in ``scopes`` "before" ``before``, as the reading has it."""
        newest = self._page(scopes, None, self.reading.echo_newer, keep) if self.reading.echo_newer else []
        cutoff = self.reading.cutoff(before)
        if self.reading.hidden_sort and not self.reading.filter_hidden and cutoff is not None:
            keep = _before(self.field, cutoff, keep)  # sorted by the hidden key, filtered on the value
            cutoff = None
        ids = self._page(scopes, cutoff, size - len(newest), keep)
        return self.reading.arrange(newest + ids)

    def _page(
        self,
        scopes: t.Iterable[Scope] | None,
        cutoff: dt.datetime | None,
        size: int,
        keep: t.Callable[[dict[str, t.Any]], bool] | None,
    ) -> list[int]:
        index = self._scopes()
        chosen = index.keys() if scopes is None else [s for s in scopes if s in index]
        lanes = []
        for scope in chosen:
            keys, ids = index[scope]
            start = 0 if cutoff is None else bisect.bisect_right(keys, (-micros(cutoff), 1 << 62))
            lanes.append(_lane(keys, ids, start))
        merged = (record_id for _key, record_id in heapq.merge(*lanes))
        if keep is not None:
            merged = (i for i in merged if keep(self.records[i]))
        return list(itertools.islice(merged, max(size, 0)))

    def body(self, ids: list[int]) -> bytes:
        """The JSON array of these records, from the per-record encoding cache."""
        parts = []
        for record_id in ids:
            encoded = self._encoded.get(record_id)
            if encoded is None:
                encoded = self._encoded[record_id] = render(self.records[record_id], self.reading, self.field)
            parts.append(encoded)
        return b"[" + b",".join(parts) + b"]"

    def count(self, before: dt.datetime | None = None, scopes: t.Iterable[Scope] | None = None) -> int:
        """How many records (of ``scopes``; None: all) lie "before" ``before`` as the reading
        compares (all when None)."""
        cutoff = None if before is None else self.reading.cutoff(before)
        if cutoff is not None and self.reading.hidden_sort and not self.reading.filter_hidden:
            chosen = None if scopes is None else set(scopes)  # compared on a value not indexed
            records = (r for r in self.records.values() if chosen is None or self.scope_of(r) in chosen)
            return sum(1 for r in records if r[self.field] < cutoff)
        # by the index (kept on the rank), as a server counts: a scan of 200,000 records per
        # count held the sandbox's interpreter for some 50 ms, slowing every page served beside it
        index = self._scopes()
        total = 0
        for scope in index.keys() if scopes is None else set(scopes) & index.keys():
            keys = index[scope][0]
            start = 0 if cutoff is None else bisect.bisect_right(keys, (-micros(cutoff), 1 << 62))
            total += len(keys) - start
        return total


def _before(
    field: str, cutoff: dt.datetime, keep: t.Callable[[dict[str, t.Any]], bool] | None
) -> t.Callable[[dict[str, t.Any]], bool]:
    """A filter on the shown value (the server's own filter ``keep`` too, if any)."""
    return lambda record: record[field] < cutoff and (keep is None or keep(record))
