"""The incremental streams and the server readings, described once so every core test runs
for each stream under each reading of the cursor (parametrised, not copied).

A case knows which walk a request or a record belongs to (conversations: one walk per view,
since the sandbox's admin belongs to every inbox; the others: one team-wide walk) and where
the bookmark lives in STATE.
"""

from __future__ import annotations

import dataclasses
import typing as t

import pytest

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.readings import Reading
from tap_heymarket.timestamps import format_instant

PAGE = 30
#: Every stream the tap offers, in discovery order.
ALL_STREAMS = (
    "conversations",
    "inboxes",
    "team_members",
    "contacts",
    "messages",
    "tags",
    "templates",
    "surveys",
)


@dataclasses.dataclass(frozen=True)
class StreamCase:
    """One incremental stream as the tests see it."""

    stream: str
    path: str
    field: str  # the cursor / replication field in records
    by_view: bool = False  # conversations: one walk per view (open, closed)

    def __str__(self) -> str:
        return self.stream

    def walk_of_body(self, body: dict[str, t.Any]) -> tuple:
        return (body["filters"]["closed"],) if self.by_view else ()

    def walk_of_record(self, record: dict[str, t.Any]) -> tuple:
        return (record["status"] == "closed",) if self.by_view else ()

    def records(self, api: SandboxAPI) -> dict[int, dict[str, t.Any]]:
        return api.listing(self.stream).records

    def walks(self, api: SandboxAPI) -> dict[tuple, list[dict[str, t.Any]]]:
        """The server's records per walk, newest first (ties by id, as the server pages)."""
        out: dict[tuple, list[dict[str, t.Any]]] = {}
        for record in self.records(api).values():
            out.setdefault(self.walk_of_record(record), []).append(record)
        for rows in out.values():
            rows.sort(key=lambda r: (r[self.field], r["id"]), reverse=True)
        return out

    def printed(self, api: SandboxAPI, record: dict[str, t.Any]) -> str:
        """A record's cursor value as the tap reads it back from the server."""
        return format_instant(api.reading.printed(record[self.field]))

    def newest(self, api: SandboxAPI) -> str:
        return max(self.printed(api, r) for r in self.records(api).values())

    def bookmark(self, state: dict[str, t.Any]) -> t.Any:
        return state["bookmarks"][self.stream].get("replication_key_value")

    def stream_state(self, state: dict[str, t.Any]) -> dict[str, t.Any]:
        return state["bookmarks"][self.stream]

    def requests_per_walk(self, api: SandboxAPI) -> dict[tuple, int]:
        counts: dict[tuple, int] = {}
        for request in api.requests:
            if request.path == self.path:
                key = self.walk_of_body(request.body)
                counts[key] = counts.get(key, 0) + 1
        return counts


CASES = [
    StreamCase("conversations", "/v1/conversations", "updated", by_view=True),
    StreamCase("contacts", "/v1/contacts", "updated"),
    StreamCase("tags", "/v1/tags", "updated"),
    StreamCase("templates", "/v1/templates", "updated"),
    StreamCase("messages", "/v1/messages/all", "date"),
]

REFERENCE = Reading()
#: Every reading of the cursor the reference leaves open, alone and combined.
READINGS = [
    REFERENCE,
    Reading(precision="ms"),
    Reading(precision="s"),
    Reading(inclusive=True),
    Reading(precision="ms", inclusive=True),
    Reading(precision="s", inclusive=True),
    Reading(spelling="seconds"),
    Reading(spelling="offset", precision="ms"),
    Reading(out_of_order=True),
    Reading(precision="s", inclusive=True, spelling="seconds", out_of_order=True),
]
READING_PARAMS = [pytest.param(r, id=str(r)) for r in READINGS]


def account(reading: Reading = REFERENCE) -> SandboxAPI:
    """An account where every incremental listing spans several pages, with ties."""
    api = SandboxAPI(
        generate(600, 3, contacts=200, messages=300, tags=75, templates=70, seed=11),
        page_size=PAGE,
    )
    api.reading = reading
    return api


def config_extra(case: StreamCase) -> dict[str, t.Any]:
    """Messages re-read a lookback window by design; the core tests measure the walk alone."""
    return {"messages_lookback_days": 0} if case.stream == "messages" else {}
