"""Sandbox-only control endpoints under ``/_sandbox/``: not part of the Heymarket API.

A benchmark or demo that runs the sandbox in another process cannot reach into its memory,
so these let it count requests and change data from outside. They need no credentials,
are never logged as API requests, and exist only in the sandbox:

- ``GET /_sandbox/stats``: ``{"requests": n, "by_path": {...}, "busy_seconds": s}``, where
  ``busy_seconds`` is the server's own handling time (injected latency excluded), so a
  benchmark can tell whether the server, not the client, was the bottleneck.
- ``POST /_sandbox/touch`` ``{"ids": [...]}``: give those conversations new activity.
- ``POST /_sandbox/reset``: forget the request log and the busy time.
"""

from __future__ import annotations

import collections
import json
import typing as t

if t.TYPE_CHECKING:
    from tap_heymarket.sandbox.server import SandboxAPI

PREFIX = "/_sandbox/"


def answer(api: SandboxAPI, method: str, path: str, body: object) -> tuple[int, bytes]:
    """Status and JSON body for one control request."""
    route = (method, path[len(PREFIX) :])
    if route == ("GET", "stats"):
        by_path = collections.Counter(r.path for r in list(api.requests))
        stats = {"requests": sum(by_path.values()), "by_path": by_path, "busy_seconds": api.busy_seconds}
        return 200, json.dumps(stats).encode()
    if route == ("POST", "reset"):
        api.requests.clear()
        api.busy_seconds = 0.0
        return 200, b"{}"
    if route == ("POST", "touch"):
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(i in api.conversations.records for i in ids):
            return 400, b'{"error":"ids must list existing conversation ids"}'
        for record_id in ids:
            api.touch(record_id)
        return 200, json.dumps({"touched": len(ids)}).encode()
    return 404, b'{"error":"not_found"}'
