"""Benchmark the tap on a local sandbox: ``python benchmarks/run.py`` (a few minutes).

Every figure comes from separate processes (see ``support.py``): the sandbox API in its own
process, the tap and the raw baseline (``benchmarks/baseline.py``) as child processes writing
Singer lines to a file. Requests are counted by the sandbox (``GET /_sandbox/stats``).
Prints each section's figures, then PASS or FAIL per target; exits 1 if any target fails.

By default (``budget.py``), each beside the previous release's figure: the request rate
against ``max_requests_per_minute`` at 50 ms, 250 ms, 1 s and 2 s per request x limits 500
and 1200 x 1, 3 and 40 inboxes; the issue's own rows (``issue``: one inbox, 250 ms, 1,200 a
minute, 9,000 and 30,000 conversations, whole run and tail); listing requests against the
issue's tie-safe floor ``ceil(N / (page - 1)) + walks`` and the design's
``ceil(N / (page - 1 - OUT_OF_PLACE_TOLERANCE)) + walks`` (README, "Performance") for each
thing a server may do with ``limit``; peak memory at 2k, 40k and 200k conversations, and
within the 200k run after so many records.
``python benchmarks/run.py all`` adds: CPU against the raw baseline; requests under every
reading of the cursor; requests for 1, 3 and 40 inboxes; and
``lookback``, the messages' idle-run cost on a busy account against the fixed 7-day lookback.
``BENCH_SEEDS=1,2,3,4,5`` makes each rate figure the mean over those sandbox accounts (a short
run's tail depends on where one account's records lie); ``BENCH_RATE``, ``BENCH_INBOXES`` and
``BENCH_RELEASE`` are in ``budget.py``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import time

import budget
import standin_rows
from support import WORK, Run, Sandbox, baseline, record_set, tap

from tap_heymarket.walk.page_order import OUT_OF_PLACE_TOLERANCE

REPEATS = 3
PAGE = 30
CHECKS: list[tuple[str, bool, str]] = []


def figure(label: str, value: str) -> None:
    print(f"  {label:<62} {value}", flush=True)


def check(label: str, passed: bool, detail: str) -> None:
    CHECKS.append((label, passed, detail))


def view_sizes(run: Run) -> dict[str, int]:
    """Records per view (open, closed) in a run's output."""
    sizes: dict[str, int] = {}
    with run.output.open() as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"'):
                status = json.loads(line)["record"].get("status", "?")
                sizes[status] = sizes.get(status, 0) + 1
    return sizes


def floor_of(run: Run, tie_safe: bool = True) -> int:
    """Pages per walk (one walk per view) plus each walk's last, empty or repeated, page.

    A cursor that loses no tied record must ask again for the oldest record of each page
    (nothing tells whether more records share its value), and one that no record out of place
    can mislead for the ``OUT_OF_PLACE_TOLERANCE`` before it too (a page's tail cannot be told
    from stale values), so each page brings at most ``page - 1 - OUT_OF_PLACE_TOLERANCE`` new
    ones: that is the safe floor; ``ceil(N/page)`` is the naive one.
    """
    per_page = PAGE - 1 - OUT_OF_PLACE_TOLERANCE if tie_safe else PAGE
    return sum(math.ceil(n / per_page) + 1 for n in view_sizes(run).values())


def listing_requests(run: Run) -> int:
    return int(run.stats["by_path"].get("/v1/conversations", 0))


# -- the sections ----------------------------------------------------------------------


def cpu(size: int = 20_000) -> None:
    """Records per second, tap vs baseline, best of REPEATS, alternating."""
    print(f"CPU: {size:,} conversations, 3 inboxes, no latency (best of {REPEATS})", flush=True)
    with Sandbox(size) as sandbox:
        baseline(sandbox, "warm-up")  # the sandbox encodes each record on first use
        runs: dict[str, list[Run]] = {"baseline": [], "tap-seq": [], "tap": []}
        for _ in range(REPEATS):
            runs["baseline"].append(baseline(sandbox))
            runs["tap-seq"].append(tap(sandbox, "tap-seq", max_concurrency=1))
            runs["tap"].append(tap(sandbox, "tap"))
        best = {name: min(rs, key=lambda r: r.seconds) for name, rs in runs.items()}
        for name, run in best.items():
            if run.records != size:
                sys.exit(f"{name} emitted {run.records} records, expected {size}")
        same = record_set(best["baseline"].output) == record_set(best["tap-seq"].output)
        rate = {name: size / run.seconds for name, run in best.items()}
        ratio = rate["baseline"] / rate["tap-seq"]
        figure("baseline (requests + json, sequential)", f"{rate['baseline']:,.0f} rec/s")
        figure("tap, max_concurrency=1", f"{rate['tap-seq']:,.0f} rec/s")
        figure("tap, default max_concurrency", f"{rate['tap']:,.0f} rec/s")
        figure("ratio baseline / tap (both sequential)", f"{ratio:.2f}")
        figure("ratio baseline / tap (tap at default concurrency)", f"{rate['baseline'] / rate['tap']:.2f}")
        figure(
            "peak RSS: baseline / tap",
            f"{best['baseline'].peak_rss_mb:.1f} / {best['tap'].peak_rss_mb:.1f} MB",
        )
        figure("tap and baseline emit the same records", "yes" if same else "NO")
        check("CPU: baseline/tap rate <= 2.0 (sequential)", ratio <= 2.0, f"{ratio:.2f}")
        check("CPU: same records as the baseline", same, str(same))


READINGS = [
    ("reference (strict, microseconds)", ""),
    ("milliseconds", "precision=ms"),
    ("whole seconds", "precision=s"),
    ("inclusive", "inclusive=true"),
    ("inclusive, whole seconds", "precision=s,inclusive=true"),
    ("written without fractions", "spelling=seconds"),
    ("one record out of order per page", "out_of_order=true"),
]


def readings(size: int = 3_000, k: int = 50) -> None:
    """Requests for a full sync, k changes and an idle run, under each reading of the cursor."""
    print(f"Readings: {size:,} conversations, 3 inboxes; full / {k} changed / idle requests", flush=True)
    with Sandbox(size) as sandbox:
        today = baseline(sandbox, "per-inbox walk")  # the walk before membership walks and readings
    today_requests = listing_requests(today)
    figure("before (per-inbox walks, +1 us cursor), reference server", f"{today_requests}")
    reference: int | None = None
    for label, reading in READINGS:
        with Sandbox(size, reading=reading) as sandbox:
            full = tap(sandbox, "full")
            sandbox.call("POST", "touch", {"ids": [100_007 + 53 * i for i in range(k)]})
            changed = tap(sandbox, "changed", state=full.final_state)
            idle = tap(sandbox, "idle", state=changed.final_state)
        walks = len(view_sizes(full))
        requests = listing_requests(full)
        reference = reference or requests
        figure(
            label,
            f"{requests} (floor {floor_of(full)}) / {listing_requests(changed)} / {listing_requests(idle)}"
            f"  records {full.records:,} / {changed.records} / {idle.records}",
        )
        if not reading:
            check(
                "Readings: reference full sync within 5% of the floor",
                requests <= 1.05 * floor_of(full),
                str(requests),
            )
        else:
            check(
                f"Readings: {label}: at most a page more per walk",
                requests <= reference + walks,
                str(requests),
            )
        bound = (math.ceil(k / PAGE) + 1) * walks + 1
        check(
            f"Readings: {label}: {k} changes within ceil(k/page)+1 per walk",
            listing_requests(changed) <= bound,
            str(listing_requests(changed)),
        )
        check(f"Readings: {label}: every record once", full.records == size, str(full.records))


def inboxes(size: int = 5_000, k: int = 50) -> None:
    """Requests against the floor for accounts of 1, 3 and 40 inboxes (one member reads all)."""
    print(f"Inboxes: {size:,} conversations; all requests of full / {k} changed / idle runs", flush=True)
    for count in (1, 3, 40):
        with Sandbox(size, inboxes=count) as sandbox:
            full = tap(sandbox, "full")
            sandbox.call("POST", "touch", {"ids": [100_007 + 97 * i for i in range(k)]})
            changed = tap(sandbox, "changed", state=full.final_state)
            idle = tap(sandbox, "idle", state=changed.final_state)
        floor = floor_of(full) + 2  # + the inbox list and the count for progress
        naive = floor_of(full, tie_safe=False) + 2
        walks = len(view_sizes(full))
        figure(
            f"{count} inbox(es)",
            f"{full.stats['requests']} (tie-safe floor {floor}, naive {naive}) / "
            f"{changed.stats['requests']} / {idle.stats['requests']} (floor {walks} + inbox list)",
        )
        check(
            f"Inboxes: {count}: full <= 1.05 x floor",
            full.stats["requests"] <= 1.05 * floor,
            str(full.stats["requests"]),
        )
        check(
            f"Inboxes: {count}: idle <= walks + 1",
            idle.stats["requests"] <= walks + 1,
            str(idle.stats["requests"]),
        )


def rate() -> None:
    budget.rate(figure, check)


def issue() -> None:
    budget.issue_rows(figure, check)


def standin() -> None:
    standin_rows.rows(figure, check, WORK / "standin")


def requests() -> None:
    budget.requests(figure, check)


def memory() -> None:
    budget.memory(figure, check)


def lookback(per_day: int = 5_000, days: int = 8) -> None:
    """Messages: what an idle run re-reads below its bookmark on a busy account."""
    count = per_day * days
    print(f"Lookback: {count:,} messages over {days} days ({per_day:,} a day); requests per run", flush=True)
    extra = ("--messages", str(count), "--days", str(days))
    with Sandbox(1_500, 3, 0.0, "", *extra) as sandbox:
        full = tap(sandbox, "messages-full", streams=("messages",))
        idle = tap(sandbox, "messages-idle", state=full.final_state, streams=("messages",))
        old = json.loads(json.dumps(full.final_state))
        old["bookmarks"]["messages"].pop("unsettled_since", None)  # the fixed lookback's state
        fixed = tap(sandbox, "messages-fixed", state=old, streams=("messages",))
    figure("full sync", f"{full.stats['requests']} requests, {full.records:,} records")
    figure("idle run (re-reads only what is unsettled)", f"{idle.stats['requests']} ({idle.records} records)")
    figure("idle run with the fixed 7-day lookback", f"{fixed.stats['requests']} ({fixed.records:,} records)")
    check("Lookback: idle run <= 3 requests", idle.stats["requests"] <= 3, str(idle.stats["requests"]))


def main() -> int:
    started = time.perf_counter()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; scratch files in {WORK}")
    sections = sys.argv[1:] or ["rate", "issue", "requests", "memory"]
    if sections == ["all"]:
        sections = ["cpu", "readings", "inboxes", "rate", "issue", "requests", "memory", "lookback"]
    for name in sections:
        globals()[name]()
    print(f"\nTargets (the benchmark took {time.perf_counter() - started:.0f} s):")
    for label, passed, detail in CHECKS:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}  [{detail}]")
    with contextlib.suppress(OSError):
        shutil.rmtree(WORK)
    return 0 if all(passed for _, passed, _ in CHECKS) else 1


if __name__ == "__main__":
    sys.exit(main())
