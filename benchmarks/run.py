"""Benchmark the tap against a raw baseline on a local sandbox: ``python benchmarks/run.py``.

Every figure comes from separate processes (see ``support.py``): the sandbox API in its own
process, the tap and the baseline (``benchmarks/baseline.py``) as child processes writing
Singer lines to a file. Requests are counted by the sandbox (``GET /_sandbox/stats``).
Prints a table, then PASS or FAIL per target of issue 5; exits 1 if any target fails.
Takes about a minute.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from support import WORK, Run, Sandbox, baseline, record_set, tap

REPEATS = 3
RESULTS: list[tuple[str, str]] = []
CHECKS: list[tuple[str, bool, str]] = []


def figure(label: str, value: str) -> None:
    RESULTS.append((label, value))
    print(f"  {label:<58} {value}", flush=True)


def check(label: str, passed: bool, detail: str) -> None:
    CHECKS.append((label, passed, detail))


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
        share = best["baseline"].stats["busy_seconds"] / best["baseline"].seconds
        figure("baseline (requests + json, sequential)", f"{rate['baseline']:,.0f} rec/s")
        figure("tap, max_concurrency=1", f"{rate['tap-seq']:,.0f} rec/s")
        figure("tap, default max_concurrency", f"{rate['tap']:,.0f} rec/s")
        figure("ratio baseline / tap (both sequential)", f"{ratio:.2f}")
        figure("ratio baseline / tap (tap at default concurrency)", f"{rate['baseline'] / rate['tap']:.2f}")
        figure("sandbox share of the baseline's wall time", f"{share:.0%}")
        figure(
            "peak RSS: baseline / tap (default)",
            f"{best['baseline'].peak_rss_mb:.1f} MB / {best['tap'].peak_rss_mb:.1f} MB",
        )
        figure("tap and baseline emit the same records", "yes" if same else "NO")
        check("CPU: baseline/tap rate <= 1.5 (sequential)", ratio <= 1.5, f"{ratio:.2f}")
        check("CPU: same records as the baseline", same, str(same))
        requests(sandbox, best["tap"])


def requests(sandbox: Sandbox, full: Run, k: int = 50) -> None:
    """Requests for a full sync, an incremental run after k changes, and an idle run."""
    print(f"Requests: full sync, incremental after {k} changes, idle", flush=True)
    calls = full.stats["by_path"]
    figure("full sync: requests (records)", f"{full.stats['requests']} ({full.records:,})")
    first = 100_000 + 7  # spread the changes over the account
    sandbox.call("POST", "touch", {"ids": [first + 397 * i for i in range(k)]})
    incremental = tap(sandbox, "incremental", state=full.final_state)
    idle = tap(sandbox, "idle", state=incremental.final_state)
    figure(
        f"incremental, {k} changed: requests (records)",
        f"{incremental.stats['requests']} ({incremental.records})",
    )
    figure("idle: requests (records)", f"{idle.stats['requests']} ({idle.records})")
    slices = 6
    pages = -(-k // 30) + slices
    check(
        "Requests: incremental reads only the changed top",
        incremental.records >= k and incremental.stats["requests"] <= 1 + pages + slices,
        f"{incremental.stats['requests']} requests for {k} changes ({calls.get('/v1/conversations')} full)",
    )
    check(
        "Requests: idle run is one request per slice (+ inboxes)",
        idle.stats["requests"] <= slices + 1,
        f"{idle.stats['requests']} requests for {slices} slices",
    )


def memory(small: int = 2_000, large: int = 40_000) -> None:
    """Peak RSS of the tap process at two account sizes."""
    print(f"Memory: peak RSS of the tap at {small:,} and {large:,} conversations", flush=True)
    peaks = {}
    for size in (small, large):
        with Sandbox(size) as sandbox:
            baseline(sandbox, "warm-up")
            runs = [tap(sandbox, f"tap-{size}") for _ in range(2)]
            peaks[size] = min(r.peak_rss_mb for r in runs)
            figure(f"tap peak RSS, {size:,} conversations", f"{peaks[size]:.1f} MB")
    growth = peaks[large] / peaks[small] - 1
    figure(f"growth {small:,} -> {large:,}", f"{growth:+.1%}")
    check("Memory: peak RSS at 40,000 within 5% of 2,000", abs(growth) <= 0.05, f"{growth:+.1%}")


def steady_rate(arrivals: list[float], window: float) -> float:
    """Requests per second over the busiest ``window`` seconds of arrivals.

    Slices differ in size, so the whole-run average also counts the tail where only the
    largest slice is left; this is the rate the tap reaches while it has work for every
    worker (the whole-run average is printed next to it).
    """
    best = 0.0
    end = 0
    for start, first in enumerate(arrivals):
        while end + 1 < len(arrivals) and arrivals[end + 1] - first <= window:
            end += 1
        if end > start and arrivals[end] - first >= window / 2:
            best = max(best, (end - start) / (arrivals[end] - first))
    return best


def latency(size: int = 3_000, delay: float = 0.05, concurrency: int = 6) -> None:
    """Wall time with 50 ms per request; request rate with and without a rate limit."""
    print(
        f"Latency: {size:,} conversations, 3 inboxes (6 slices), {delay * 1000:.0f} ms per request",
        flush=True,
    )
    with Sandbox(size, latency=delay) as sandbox:
        base = baseline(sandbox)
        seq = tap(sandbox, "latency-seq", max_concurrency=1)
        run = tap(sandbox, "latency")  # the default max_concurrency (6)
        for label, r in (
            ("baseline (sequential)", base),
            ("tap, max_concurrency=1", seq),
            ("tap, default (6)", run),
        ):
            budget = r.stats["requests"] * delay
            ratio = r.seconds / budget
            figure(f"{label}: wall / (requests x 50 ms)", f"{r.seconds:.2f} s / {budget:.2f} s = {ratio:.2f}")
        share = run.seconds / (run.stats["requests"] * delay)
        check("Latency: backfill <= 0.4 x requests x 50 ms", share <= 0.4, f"{share:.2f}")
        path = "/v1/conversations"
        ideal = concurrency / delay
        rate = steady_rate(run.stats["arrivals"][path], 0.5)
        average = (run.stats["by_path"][path] - 1) / run.stats["spans"][path]
        figure(
            "tap request rate, limit lifted, busiest 0.5 s",
            f"{rate:.1f}/s of {ideal:.0f}/s ({rate / ideal:.0%})",
        )
        figure("tap request rate, limit lifted, whole run", f"{average:.1f}/s ({average / ideal:.0%})")
        check(
            "Latency: rate >= 90% of concurrency / latency (limit lifted)",
            rate >= 0.9 * ideal,
            f"{rate:.1f}/s",
        )
        limit = 300
        limited = tap(sandbox, "limited", max_requests_per_minute=limit, inboxes=[5001])
        limited_rate = (limited.stats["by_path"][path] - 1) / limited.stats["spans"][path] * 60
        figure(
            f"tap request rate, max_requests_per_minute={limit}, whole run",
            f"{limited_rate:.0f}/min ({limited_rate / limit:.0%}, {limited.seconds:.1f} s)",
        )
        check(
            "Latency: rate >= 90% of max_requests_per_minute",
            limited_rate >= 0.9 * limit,
            f"{limited_rate:.0f}/min",
        )


def main() -> int:
    started = time.perf_counter()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; scratch files in {WORK}")
    cpu()
    memory()
    latency()
    print(f"\nTargets (whole benchmark took {time.perf_counter() - started:.0f} s):")
    for label, passed, detail in CHECKS:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}  [{detail}]")
    with contextlib.suppress(OSError):
        for path in WORK.iterdir():
            path.unlink()
        WORK.rmdir()
    return 0 if all(passed for _, passed, _ in CHECKS) else 1


if __name__ == "__main__":
    sys.exit(main())
