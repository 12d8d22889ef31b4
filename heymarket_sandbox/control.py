"""Sandbox-only control endpoints under ``/_sandbox/``: not part of the Heymarket API.

A benchmark or demo that runs the sandbox in another process cannot reach into its memory,
so these let it count requests and change data from outside. They need no credentials,
are never logged as API requests, and exist only in the sandbox:

- ``GET /_sandbox/stats``: ``{"requests": n, "by_path": {...}, "busy_seconds": s,
  "spans": {path: seconds from the first request's arrival to the last's},
  "arrivals": {path: [arrival times, seconds]}}``, where
  ``busy_seconds`` is the server's own handling time (injected latency excluded), so a
  benchmark can tell whether the server, not the client, was the bottleneck, and can
  measure a request rate without the client's start-up time.
- ``POST /_sandbox/touch`` ``{"ids": [...]}``: give those conversations new activity (one
  second apart, the first now).
- ``POST /_sandbox/deliver`` ``{"ids": [...]}``: those messages are delivered now (status
  ``delivered``, ``updated`` now; their ``date``, the creation, stays).
- ``POST /_sandbox/reset``: forget the request log and the busy time.
- ``POST /_sandbox/delete-inbox`` ``{"id": n}``: delete an inbox and its conversations
  (the API has no endpoint for it); ``{"deleted": n, "conversations": k}``, 404 if absent.
- ``POST /_sandbox/delete-team-member`` ``{"id": n}``: remove a member from the team and
  from every inbox; ``{"deleted": n}``, 404 if absent.

Contacts, tags and templates are deleted through the API's own ``DELETE`` endpoints
(:mod:`heymarket_sandbox.deletions`).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import typing as t

from heymarket_sandbox import deletions
from tap_heymarket import clock

if t.TYPE_CHECKING:
    from heymarket_sandbox.server import SandboxAPI

PREFIX = "/_sandbox/"


def observe(api: SandboxAPI, path: str, started: float, finished: float) -> None:
    """Note one API request: when it arrived and how long the server worked on it."""
    busy = max(0.0, finished - started - api.latency)
    api.timeline.append((path.split("?", 1)[0], started, busy))


def answer(api: SandboxAPI, method: str, path: str, body: object) -> tuple[int, bytes]:  # noqa: PLR0911 (a router)
    """Status and JSON body for one control request."""
    route = (method, path[len(PREFIX) :])
    if route == ("GET", "stats"):
        timeline = list(api.timeline)
        by_path = collections.Counter(name for name, _, _ in timeline)
        arrivals: dict[str, list[float]] = {}
        for name, started, _ in timeline:
            arrivals.setdefault(name, []).append(started)
        stats = {
            "requests": len(timeline),
            "by_path": by_path,
            "busy_seconds": sum(busy for _, _, busy in timeline),
            "spans": {name: max(times) - min(times) for name, times in arrivals.items()},
            "arrivals": {name: sorted(times) for name, times in arrivals.items()},
        }
        return 200, json.dumps(stats).encode()
    if route == ("POST", "reset"):
        api.requests.clear()
        api.timeline.clear()
        return 200, b"{}"
    if route == ("POST", "touch"):
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(i in api.conversations.records for i in ids):
            return 400, b'{"error":"ids must list existing conversation ids"}'
        now = clock.now().replace(microsecond=0)
        for n, record_id in enumerate(ids):  # one second apart: distinct, as real activity is
            api.touch(record_id, now - dt.timedelta(seconds=n))
        return 200, json.dumps({"touched": len(ids)}).encode()
    if route == ("POST", "deliver"):
        return _deliver(api, body)
    if route in {("POST", "delete-inbox"), ("POST", "delete-team-member")}:
        return _delete(api, route[1], body)
    return 404, b'{"error":"not_found"}'


def _delete(api: SandboxAPI, what: str, body: object) -> tuple[int, bytes]:
    """Delete one inbox (with its conversations) or one team member, by ``{"id": n}``."""
    target = body.get("id") if isinstance(body, dict) else None
    if not isinstance(target, int) or isinstance(target, bool):
        return 400, b'{"error":"id must be an integer"}'
    if what == "delete-inbox":
        gone = deletions.delete_inbox(api, target)
        if gone is None:
            return 404, b'{"error":"no such inbox"}'
        return 200, json.dumps({"deleted": target, "conversations": gone}).encode()
    if not deletions.delete_team_member(api, target):
        return 404, b'{"error":"no such team member"}'
    return 200, json.dumps({"deleted": target}).encode()


def _deliver(api: SandboxAPI, body: object) -> tuple[int, bytes]:
    """Settle messages: ``delivered`` now (their creation ``date`` stays)."""
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(i in api.messages.records for i in ids):
        return 400, b'{"error":"ids must list existing message ids"}'
    now = clock.now().replace(microsecond=0)
    for record_id in ids:
        api.messages.records[record_id].update(status="delivered", updated=now)
        api.messages.changed(record_id)
    return 200, json.dumps({"delivered": len(ids)}).encode()
