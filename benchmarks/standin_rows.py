"""The issue's own rows measured on the independent stand-in (benchmarks/standin.py), not on
the sandbox: a rate that holds only because the sandbox shares the tap's reading proves nothing.
Each row also checks that every conversation the stand-in holds reached the output once."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import budget

HERE = Path(__file__).parent
TAP = Path(sys.executable).parent / "tap-heymarket"
ROWS = [(1, 0.25, 1200, 9_000), (1, 0.25, 1200, 30_000), (3, 1.0, 500, 9_000), (40, 1.0, 500, 9_000)]


def one(inboxes: int, latency: float, limit: int, count: int, work: Path) -> tuple[dict, collections.Counter]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "standin.py"), "--port", "0", "--conversations", str(count),
         "--inboxes", str(inboxes), "--latency", str(latency)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        config = work / "config.json"
        config.write_text(json.dumps({"api_key": "k", "api_url": url, "max_requests_per_minute": limit}))
        found = json.loads(subprocess.run([str(TAP), "--config", str(config), "--discover"],
                                          capture_output=True, check=True, text=True).stdout)  # fmt: skip
        for stream in found["streams"]:
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"]["selected"] = stream["tap_stream_id"] == "conversations"
        catalog = work / "catalog.json"
        catalog.write_text(json.dumps(found))
        out = subprocess.run([str(TAP), "--config", str(config), "--catalog", str(catalog)],
                             check=False, capture_output=True, text=True)  # fmt: skip
        ids: collections.Counter = collections.Counter()
        for line in out.stdout.splitlines():
            message = json.loads(line)
            if message.get("type") == "RECORD":
                ids[message["record"]["id"]] += 1
        with urllib.request.urlopen(url + "/stats") as response:  # noqa: S310 (loopback http only)
            return json.load(response), ids
    finally:
        server.terminate()
        server.wait()


def rows(figure: Callable[[str, str], None], check: Callable[[str, bool, str], None], work: Path) -> None:
    print("Stand-in (independent of the sandbox): the issue's rows, this tree", flush=True)
    work.mkdir(parents=True, exist_ok=True)
    for inboxes, latency, limit, count in ROWS:
        stats, ids = one(inboxes, latency, limit, count, work)
        arrivals = sorted(stats["arrivals"])
        whole, steady = budget.rates(arrivals, limit)
        tail = budget.tail_share(arrivals, limit)
        # the count probes take slots of the same budget: the rate of every request beside it
        everything, _ = budget.rates(sorted(arrivals + stats["count_arrivals"]), limit)
        label = f"stand-in {inboxes} inbox(es), {latency * 1000:.0f} ms, {limit}/min, {count:,}"
        figure(
            label,
            f"{whole:.2f} whole, {steady:.2f} steady, tail {tail:.0%}, {len(arrivals)} requests"
            f" (with {len(stats['count_arrivals'])} counts: {everything:.2f} whole)",
        )
        once = len(ids) == stats["ids"] and all(v == 1 for v in ids.values())
        check(f"{label}: every record exactly once", once, f"{sum(ids.values())} out, {len(ids)} unique")
