"""The incremental streams, described once so every core test runs for each of them.

A case knows how to tell which slice a request or a record belongs to and where its
bookmarks live in STATE; the tests themselves are written once and parametrised.
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_heymarket.sandbox import SandboxAPI, generate
from tap_heymarket.timestamps import format_instant

PAGE = 30


@dataclasses.dataclass(frozen=True)
class StreamCase:
    """One incremental stream as the tests see it."""

    stream: str
    path: str
    field: str  # the cursor / replication field in records
    sliced_by_inbox: bool = False

    def __str__(self) -> str:
        return self.stream

    def slice_of_body(self, body: dict[str, t.Any]) -> tuple:
        if self.sliced_by_inbox:
            return (body["filters"]["inboxes"][0], body["filters"]["closed"])
        return ()

    def slice_of_record(self, record: dict[str, t.Any]) -> tuple:
        if self.sliced_by_inbox:
            return (record["_inbox"], record["status"] == "closed")
        return ()

    def records(self, api: SandboxAPI) -> dict[int, dict[str, t.Any]]:
        return api.listing(self.stream).records

    def slices(self, api: SandboxAPI) -> dict[tuple, list[dict[str, t.Any]]]:
        """The server's records per slice, newest first (ties by id, as the server pages)."""
        out: dict[tuple, list[dict[str, t.Any]]] = {}
        for record in self.records(api).values():
            out.setdefault(self.slice_of_record(record), []).append(record)
        for rows in out.values():
            rows.sort(key=lambda r: (r[self.field], r["id"]), reverse=True)
        return out

    def newest(self, rows: list[dict[str, t.Any]]) -> str:
        return format_instant(max(r[self.field] for r in rows))

    def bookmarks(self, state: dict[str, t.Any]) -> dict[tuple, t.Any]:
        stream_state = state["bookmarks"][self.stream]
        if not self.sliced_by_inbox:
            return {(): stream_state.get("replication_key_value")}
        return {
            (p["context"]["inbox_id"], p["context"]["closed"]): p.get("replication_key_value")
            for p in stream_state.get("partitions", [])
        }

    def slice_states(self, state: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        stream_state = state["bookmarks"][self.stream]
        return stream_state["partitions"] if self.sliced_by_inbox else [stream_state]

    def requests_per_slice(self, api: SandboxAPI) -> dict[tuple, int]:
        counts: dict[tuple, int] = {}
        for request in api.requests:
            if request.path == self.path:
                key = self.slice_of_body(request.body)
                counts[key] = counts.get(key, 0) + 1
        return counts


CASES = [
    StreamCase("conversations", "/v1/conversations", "updated", sliced_by_inbox=True),
    StreamCase("contacts", "/v1/contacts", "updated"),
    StreamCase("tags", "/v1/tags", "updated"),
    StreamCase("templates", "/v1/templates", "updated"),
    StreamCase("messages", "/v1/messages/all", "date"),
]


def account() -> SandboxAPI:
    """An account where every incremental listing spans several pages, with ties."""
    return SandboxAPI(
        generate(600, 3, contacts=200, messages=300, tags=75, templates=70, seed=11),
        page_size=PAGE,
    )


def config_extra(case: StreamCase) -> dict[str, t.Any]:
    """Messages re-read a lookback window by design; the core tests measure the walk alone."""
    return {"messages_lookback_days": 0} if case.stream == "messages" else {}
