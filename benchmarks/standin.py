"""An independent stand-in of the Heymarket conversations listing, written from
/work/shared/heymarket-api.md only (not from the sandbox nor the tap), so that a rate measured
on it does not merely confirm the tap's own reading of the API.

Run: python benchmarks/standin.py --port 0 --conversations N --inboxes K --latency S
[--reading before-or-equal] [--reading seconds] [--reading ignore-limit]
Prints its URL on stdout, then serves until terminated. ``GET /stats`` returns each listing
request's monotonic arrival time.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER_ID = 1111
PAGE = 30
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def build(conversations: int, inboxes: int, seed: int = 18) -> list[dict]:
    """Conversations newest first; denser recently, some inboxes far busier, ties of updated."""
    rng = random.Random(seed)
    weights = [1.0 / (i + 1) for i in range(inboxes)]  # Zipf: inbox 0 busiest
    rows = []
    ms = 0
    for number in range(conversations):
        if rng.random() > 0.15:  # 15% tie with the previous one
            ms += int(rng.expovariate(1.0) * 1000 * (1 + number / 50))
        updated = EPOCH - timedelta(milliseconds=ms)
        inbox = 100 + rng.choices(range(inboxes), weights)[0]
        rows.append(
            {
                "id": 500000 + number,
                "channel": "sms",
                "status": "open",
                "closed": rng.random() < 0.6,
                "assigned": None,
                "inbox": {"id": inbox, "name": f"Inbox {inbox}"},
                "target": f"1555{number:07d}",
                "members": [{"id": USER_ID, "name": "Bench"}],
                "created": (updated - timedelta(days=1)).isoformat(),
                "updated": updated,
                "read": True,
                "replied": False,
                "blocked": False,
                "muted": False,
                "snooze_till": None,
            }
        )
    return rows


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def spell(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Standin:
    def __init__(self, args: argparse.Namespace) -> None:
        self.rows = build(args.conversations, args.inboxes)
        self.inboxes = sorted(
            {row["inbox"]["id"] for row in self.rows} | {100 + i for i in range(args.inboxes)}
        )
        self.latency = args.latency
        self.readings = set(args.reading or [])
        self.arrivals: list[float] = []
        self.count_arrivals: list[float] = []  # the count endpoint's: the same budget
        self.lock = threading.Lock()

    def select(self, body: dict) -> list[dict]:
        filters = body.get("filters") or {}
        wanted = set(filters.get("inboxes") or self.inboxes)
        closed = filters.get("closed", False)
        rows = [r for r in self.rows if r["inbox"]["id"] in wanted and r["closed"] == bool(closed)]
        if body.get("date"):
            cursor = parse(body["date"])
            if "seconds" in self.readings:
                cursor = cursor.replace(microsecond=0)
                rows = [r for r in rows if _cmp(r["updated"].replace(microsecond=0), cursor, self.readings)]
            else:
                rows = [r for r in rows if _cmp(r["updated"], cursor, self.readings)]
        return rows

    def listing(self, body: dict) -> list[dict]:
        limit = PAGE
        if "ignore-limit" not in self.readings and isinstance(body.get("limit"), int):
            limit = max(1, body["limit"])
        page = self.select(body)[:limit]
        return [
            dict(r, updated=spell(r["updated"]), status="closed" if r["closed"] else "open") for r in page
        ]


def _cmp(updated: datetime, cursor: datetime, readings: set) -> bool:
    return updated <= cursor if "before-or-equal" in readings else updated < cursor


def handler_for(standin: Standin) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Request-Id", f"standin-{time.monotonic_ns()}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authorised(self) -> bool:
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self.reply(401, {"error": "unauthorized"})
                return False
            return True

        def do_GET(self) -> None:
            if self.path == "/stats":
                with standin.lock:
                    self.reply(
                        200,
                        {
                            "arrivals": list(standin.arrivals),
                            "count_arrivals": list(standin.count_arrivals),
                            "ids": len(standin.rows),
                        },
                    )
                return
            time.sleep(standin.latency)
            if not self.authorised():
                return
            if self.path.startswith("/v1/inboxes"):
                self.reply(
                    200,
                    [
                        {
                            "id": i,
                            "name": f"Inbox {i}",
                            "team": 1,
                            "members": [USER_ID],
                            "phones": [],
                            "phone": None,
                        }
                        for i in standin.inboxes
                    ],
                )
            elif self.path.startswith("/v1/team"):
                self.reply(
                    200,
                    {
                        "id": 1,
                        "name": "Bench",
                        "list_size": 0,
                        "members": [{"id": USER_ID, "name": "Bench", "role": "admin"}],
                    },
                )
            else:
                self.reply(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:
            arrival = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            time.sleep(standin.latency)
            if not self.authorised():
                return
            if not isinstance(body, dict):
                self.reply(400, {"error": "bad_data"})
            elif self.path == "/v1/conversations":
                with standin.lock:
                    standin.arrivals.append(arrival)
                self.reply(200, standin.listing(body))
            elif self.path == "/v1/conversations/count":
                with standin.lock:
                    standin.count_arrivals.append(arrival)
                self.reply(200, {"count": len(standin.select(body))})
            else:
                self.reply(404, {"error": f"no route {self.path}"})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--conversations", type=int, default=9000)
    parser.add_argument("--inboxes", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--reading", action="append", choices=["before-or-equal", "seconds", "ignore-limit"])
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(Standin(args)))
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
