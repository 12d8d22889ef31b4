"""Indexed newest-first listings with a strictly-"before" cursor, as the API pages them.

Records are kept in ``(-instant, -id)`` order per scope (e.g. an inbox's open view), so a
page is a bisect and a slice, and each record's JSON is encoded once and reused.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import typing as t

from tap_heymarket.sandbox.data import spell

Scope = t.Hashable


def micros(instant: dt.datetime) -> int:
    """Microseconds since the epoch (exact for the sandbox's whole milliseconds)."""
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)


def render(record: dict[str, t.Any]) -> bytes:
    """A record as the API spells it: instants in one of three spellings, no private keys."""
    variant = int(record.get("id", 0))
    out = {
        k: spell(v, variant) if isinstance(v, dt.datetime) else v
        for k, v in record.items()
        if not k.startswith("_")
    }
    return json.dumps(out, separators=(",", ":")).encode()


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

    def changed(self, record_id: int | None = None) -> None:
        """Invalidate after a mutation (of one record, or of all)."""
        self._index = None
        if record_id is None:
            self._encoded.clear()
        else:
            self._encoded.pop(record_id, None)

    def _scopes(self) -> dict[Scope, tuple[list[tuple[int, int]], list[int]]]:
        if self._index is None:
            grouped: dict[Scope, list[tuple[int, int]]] = {}
            for record in self.records.values():
                key = (-micros(record[self.field]), -int(record["id"]))
                grouped.setdefault(self.scope_of(record), []).append(key)
            index = {}  # built aside, then published: concurrent requests never see it half-built
            for scope, keys in grouped.items():
                keys.sort()
                index[scope] = (keys, [-k[1] for k in keys])
            self._index = index
            return index
        return self._index

    def page(
        self,
        scopes: t.Iterable[Scope] | None,
        before: dt.datetime | None,
        size: int,
        keep: t.Callable[[dict[str, t.Any]], bool] | None = None,
    ) -> list[int]:
        """IDs of up to ``size`` records in ``scopes`` strictly before ``before``."""
        index = self._scopes()
        chosen = index.keys() if scopes is None else [s for s in scopes if s in index]
        lanes = []
        for scope in chosen:
            keys, ids = index[scope]
            start = 0 if before is None else bisect.bisect_right(keys, (-micros(before), 1 << 62))
            lanes.append((keys[i], ids[i]) for i in range(start, len(keys)))
        merged = (record_id for _key, record_id in heapq.merge(*lanes))
        if keep is not None:
            merged = (i for i in merged if keep(self.records[i]))
        return list(itertools.islice(merged, size))

    def body(self, ids: list[int]) -> bytes:
        """The JSON array of these records, from the per-record encoding cache."""
        parts = []
        for record_id in ids:
            encoded = self._encoded.get(record_id)
            if encoded is None:
                encoded = self._encoded[record_id] = render(self.records[record_id])
            parts.append(encoded)
        return b"[" + b",".join(parts) + b"]"

    def count(self, before: dt.datetime | None = None) -> int:
        """How many records lie strictly before ``before`` (all when None)."""
        if before is None:
            return len(self.records)
        return sum(1 for r in self.records.values() if r[self.field] < before)
