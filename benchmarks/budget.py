"""The budget sections of the benchmark: rate against the limit, requests against the tie-safe
floor, peak memory, each for this tree ("after") beside the previous release ("before").

The previous release is main's commit :data:`RELEASE`, extracted with ``git archive`` into a
scratch directory and imported by its own child process (``PYTHONPATH``); both talk to the
same sandbox build (this tree's, whose ``limit`` readings the old tap never exercises).

Record counts are scaled per scenario so that each run lasts about ``4 x latency + 4`` seconds
at its limit: long enough for the windows to ramp up and reach a steady state (the steady
rate, between a quarter and nine tenths of the requests, is printed beside the whole run's).
The 48 runs take about fifteen minutes, most of it the previous release at 1-2 s of
latency. The "before" and "after" runs of a scenario go at once, each against its own
sandbox (they are latency-bound, not CPU-bound).
"""

from __future__ import annotations

import math
import os
import subprocess
import typing as t
from pathlib import Path

from support import HERE, WORK, Run, Sandbox, precompile, tap_args, wait_children

from tap_heymarket.walk.page_order import OUT_OF_PLACE_TOLERANCE

#: ``BENCH_RELEASE`` compares against another commit (e.g. main before a change, run at once).
RELEASE = os.environ.get("BENCH_RELEASE", "ca52a8e")
LATENCIES = (0.05, 0.25, 1.0, 2.0)
LIMITS = (500, 1200)
INBOXES = (1, 3, 40)
#: ``BENCH_RATE="1:500,2:1200"`` runs only those latency:limit scenarios of the rate section,
#: ``BENCH_INBOXES="1"`` only those inbox counts (a quick before/after on a shared machine).
ONLY_RATES = {
    (float(latency), int(limit))
    for latency, limit in (item.split(":") for item in os.environ.get("BENCH_RATE", "").split(",") if item)
}
ONLY_INBOXES = tuple(int(n) for n in os.environ.get("BENCH_INBOXES", "").split(",") if n) or INBOXES
PAGE_BEFORE = 30
#: ``BENCH_SEEDS="1,2,3,4,5"``: the rate figures are means over these sandbox accounts (default:
#: the sandbox's own, one account).
SEEDS: tuple[int | None, ...] = tuple(int(n) for n in os.environ.get("BENCH_SEEDS", "").split(",") if n) or (
    None,
)

Check = t.Callable[[str, bool, str], None]
Figure = t.Callable[[str, str], None]


def release_dir() -> Path:
    """The previous release's package and schemas, extracted once per benchmark run."""
    target = WORK / f"release-{RELEASE}"
    if not target.exists():
        target.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", RELEASE, "tap_heymarket", "schemas"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        precompile(target, HERE.parent)
    return target


def pair(
    sandbox: dict[str, t.Any], name: str, marks: tuple[int, ...] = (), **settings: t.Any
) -> tuple[Run, Run]:
    """The same scenario for the previous release and this tree, at once, one sandbox each
    (``marks``: record counts at which this tree's run notes its peak, :attr:`Run.marks`)."""
    with Sandbox(**sandbox) as old_box, Sandbox(**sandbox) as new_box:
        old = tap_args(old_box, f"{name}-before", release=release_dir(), **settings)
        new = tap_args(new_box, f"{name}-after", marks=marks, **settings)
        before, after = wait_children(old, new)
        return before, after


def rates(arrivals: list[float], limit: int) -> tuple[float, float]:
    """Requests a minute over the whole listing and over its steady part, as shares of the limit."""

    def per_minute(times: list[float]) -> float:
        return (len(times) - 1) / max(times[-1] - times[0], 1e-9) * 60

    steady = arrivals[len(arrivals) // 4 : max(len(arrivals) * 9 // 10, len(arrivals) // 4 + 2)]
    return per_minute(arrivals) / limit, per_minute(steady) / limit


def tail_share(arrivals: list[float], limit: int, window: int = 10) -> float:
    """The share of the run after requests last arrived at 80% of the limit or more (over the
    time ``window`` requests take at the limit): a run that ends with few windows left in
    flight, each walking alone, has a long tail."""
    span = arrivals[-1] - arrivals[0]
    if span <= 0:
        return 0.0
    width = window * 60 / limit
    start = 0
    last_busy = arrivals[0]
    for end, moment in enumerate(arrivals):
        while arrivals[start] <= moment - width:
            start += 1
        if end - start + 1 >= 0.8 * window:
            last_busy = moment
    return (arrivals[-1] - last_busy) / span


def rate_pair(
    figure: Figure, label: str, sandbox: dict[str, t.Any], name: str, limit: int
) -> tuple[float, float, float]:
    """One scenario at ``limit`` a minute, before and after: prints rate / limit (whole run,
    steady part) and the tail share of each, the means over :data:`SEEDS`; returns this tree's.

    One account decides where a short run's last windows end (its tail): the same code can
    gain on one seed and lose on the next, so a change to the splits is judged over several.
    """
    figures: list[tuple[float, ...]] = []
    for seed in SEEDS:
        before, after = pair({**sandbox, "seed": seed}, name, max_requests_per_minute=limit)
        arrivals = [run.stats["arrivals"]["/v1/conversations"] for run in (before, after)]
        (b_all, b_steady), (a_all, a_steady) = (rates(times, limit) for times in arrivals)
        b_tail, a_tail = (tail_share(times, limit) for times in arrivals)
        figures.append((b_all, b_steady, b_tail, a_all, a_steady, a_tail, len(arrivals[1])))
    b_all, b_steady, b_tail, a_all, a_steady, a_tail, count = (
        sum(f) / len(f) for f in zip(*figures, strict=True)
    )
    seeds = f", {len(SEEDS)} seeds" if len(SEEDS) > 1 else ""
    figure(
        f"{label} ({count:.0f} requests{seeds})",
        f"{b_all:.2f} ({b_steady:.2f}) [{b_tail:.0%}] -> {a_all:.2f} ({a_steady:.2f}) [{a_tail:.0%}]",
    )
    return a_all, a_steady, a_tail


def rate(figure: Figure, check: Check) -> None:
    """Rate / limit for every latency x limit x inbox count; wall / (requests x latency) unlimited."""
    print(
        "Rate / limit (whole run, steady part) [tail share], before -> after; conversations, 30 a page",
        flush=True,
    )
    for latency in LATENCIES:
        for limit in LIMITS:
            if ONLY_RATES and (latency, limit) not in ONLY_RATES:
                continue
            requests = math.ceil(limit / 60 * (4 * latency + 4))
            for inboxes in ONLY_INBOXES:
                size = 29 * requests
                label = f"{latency * 1000:>4.0f} ms, {limit}/min, {inboxes:>2} inbox(es), {size:,} conv."
                sandbox = {"conversations": size, "inboxes": inboxes, "latency": latency}
                _, a_steady, _ = rate_pair(figure, label, sandbox, f"rate-{latency}-{limit}-{inboxes}", limit)
                if latency <= 1.0 or limit == 500:  # 2 s x 1200/min needs 50 in flight: past the ceiling
                    label = f"Rate: {latency * 1000:.0f} ms, {limit}/min, {inboxes} inbox(es): steady >= 0.9"
                    check(label, a_steady >= 0.9, f"{a_steady:.2f}")
    if ONLY_RATES or ONLY_INBOXES != INBOXES:
        return
    size = 6_000
    before, after = pair({"conversations": size, "inboxes": 3, "latency": 0.05}, "unlimited")
    shares = []
    for run in (before, after):
        count = run.stats["by_path"].get("/v1/conversations", 0)
        shares.append(run.seconds / (count * 0.05))
    label = f"3 inboxes, 50 ms, no limit, {size:,}: wall / (requests x latency)"
    figure(label, f"{shares[0]:.2f} -> {shares[1]:.2f}")
    check("Rate: unlimited wall / (requests x latency) <= 0.25", shares[1] <= 0.25, f"{shares[1]:.2f}")


#: The issue's own rows (issue 18): one inbox, 250 ms, 1,200 a minute, these many conversations.
ISSUE_ROWS = (9_000, 30_000)


def issue_rows(figure: Figure, check: Check) -> None:
    """The scenarios the issue measured, as sized there: whole run >= 0.95 of the limit and, for
    the longer, a tail under 5% of the run."""
    latency, limit = 0.25, 1200
    print("Issue 18's rows: one inbox, 250 ms, 1200/min: rate / limit (whole, steady) [tail]", flush=True)
    for size in ISSUE_ROWS:
        sandbox = {"conversations": size, "inboxes": 1, "latency": latency}
        a_all, _, a_tail = rate_pair(figure, f"{size:,} conversations", sandbox, f"issue-{size}", limit)
        check(f"Issue row, {size:,}: whole run >= 0.95", a_all >= 0.95, f"{a_all:.2f}")
        if size == max(ISSUE_ROWS):
            check(f"Issue row, {size:,}: tail < 5%", a_tail < 0.05, f"{a_tail:.1%}")


def view_sizes(run: Run) -> dict[str, int]:
    """Records per walk (one walk per view: open, closed) in a run's output."""
    sizes: dict[str, int] = {}
    with run.output.open() as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"'):
                status = str('"status":"closed"' in line)
                sizes[status] = sizes.get(status, 0) + 1
    return sizes


def floor(run: Run, page: int, asked_again: int = 1) -> int:
    """A floor: ``ceil(n / (page - asked_again)) + 1`` per walk (one walk per view).

    ``asked_again`` is how many records of each page the next request asks for again: 1 is
    the issue's tie-safe floor (only the oldest record: nothing says whether more share its
    value); ``1 + OUT_OF_PLACE_TOLERANCE`` is the design's (README, "Performance": the two
    before it too, since two records out of place at a page's tail look in order).
    """
    return sum(math.ceil(n / (page - asked_again)) + 1 for n in view_sizes(run).values())


def design_floor(run: Run, page: int) -> int:
    """The cursor's floor as designed: each page asks again for its last ``1 + OUT_OF_PLACE_TOLERANCE``."""
    return floor(run, page, 1 + OUT_OF_PLACE_TOLERANCE)


def requests(figure: Figure, check: Check, size: int = 20_000) -> None:
    """Listing requests of a full sync against the tie-safe floor at each page size."""
    print(
        f"Requests: {size:,} conversations, 3 inboxes; listing requests (floors: the issue's tie-safe "
        f"ceil(n/(page-1))+1 per walk / the design's ceil(n/(page-{1 + OUT_OF_PLACE_TOLERANCE}))+1)",
        flush=True,
    )
    for label, reading in (
        ("server honours limit", "limit=honours"),
        ("server caps at 45", "limit=45"),
        ("server ignores limit (the reference)", ""),
        ("server refuses limit (400)", "limit=rejects"),
    ):
        scenario = {"conversations": size, "inboxes": 3, "reading": reading}
        before, after = pair(scenario, f"requests-{reading or 'ref'}")
        page = {"limit=honours": 100, "limit=45": 45}.get(reading, PAGE_BEFORE)
        counts = [run.stats["by_path"].get("/v1/conversations", 0) for run in (before, after)]
        # the previous release asked again for each page's oldest record only: its floor is the issue's
        floors = f"{floor(after, page)} / {design_floor(after, page)}"
        figure(label, f"{counts[0]} (floor {floor(before, PAGE_BEFORE)}) -> {counts[1]} (floors {floors})")
        check(f"Requests: {label}: every record once", after.records == size, str(after.records))
        check(
            f"Requests: {label}: within 5% of the floor + the probe",
            counts[1] <= 1.05 * floor(after, page) + 3,
            str(counts[1]),
        )
        check(
            f"Requests: {label}: within 5% of the design's floor + the probe",
            counts[1] <= 1.05 * design_floor(after, page) + 3,
            str(counts[1]),
        )


def memory(figure: Figure, check: Check) -> None:
    """Peak RSS of the tap at 2k, 40k and 200k conversations, before -> after."""
    print("Memory: peak RSS of the tap (3 inboxes, no latency), before -> after", flush=True)
    peaks: dict[int, tuple[float, float]] = {}
    within: tuple[tuple[int, float], ...] = ()
    for size in (2_000, 40_000, 200_000):
        marks = (2_000, 10_000, 40_000, 100_000, 199_000) if size == 200_000 else ()
        before, after = pair({"conversations": size}, f"memory-{size}", marks=marks)
        within = after.marks or within
        for run in (before, after):
            if run.records != size:
                raise SystemExit(f"{run.output.name}: {run.records} records, expected {size}")
        peaks[size] = (before.peak_rss_mb, after.peak_rss_mb)
        figure(
            f"{size:,} conversations",
            f"{before.peak_rss_mb:.1f} -> {after.peak_rss_mb:.1f} MB"
            f" (threads alive at most: {before.threads} -> {after.threads})",
        )
    for size in (40_000, 200_000):
        ratios = [peaks[size][i] / peaks[2_000][i] for i in (0, 1)]
        figure(f"peak {size:,} / 2,000", f"{ratios[0]:.3f} -> {ratios[1]:.3f}")
    # one run's own peak as it reads: what a long run adds after its first few thousand records
    figure(
        "within the 200,000 run, peak after " + " / ".join(f"{count:,}" for count, _ in within) + " records",
        " / ".join(f"{peak:.1f}" for _, peak in within) + " MB",
    )
    if len(within) >= 3:
        figure(f"  its peak at the end / at {within[2][0]:,} records", f"{within[-1][1] / within[2][1]:.3f}")
    growth = peaks[200_000][1] / peaks[2_000][1]
    check("Memory: peak 200,000 / 2,000 <= 1.02", growth <= 1.02, f"{growth:.3f}")
    one_window_at_a_time(figure, check)


def one_window_at_a_time(figure: Figure, check: Check) -> None:
    """Peak RSS with ``max_concurrency: 1``, 2k and 200k conversations, before -> after.

    Each window in flight holds a page or so (some 0.5-1 MB at 100 records a page), and at
    no latency whether a run splits at all is timing (its first round trips against the
    interpreter's measured cost): runs of the default setting differ by a window or two, which
    the figure above mixes with what the records read add. One window at a time the windows
    are the same in every run, so this ratio is the growth with the records read alone.
    """
    peaks: dict[int, tuple[float, float]] = {}
    for size in (2_000, 200_000):
        before, after = pair({"conversations": size}, f"memory-sequential-{size}", max_concurrency=1)
        for run in (before, after):
            if run.records != size:
                raise SystemExit(f"{run.output.name}: {run.records} records, expected {size}")
        peaks[size] = (before.peak_rss_mb, after.peak_rss_mb)
        figure(f"one window at a time, {size:,}", f"{before.peak_rss_mb:.1f} -> {after.peak_rss_mb:.1f} MB")
    ratios = [peaks[200_000][i] / peaks[2_000][i] for i in (0, 1)]
    figure("one window at a time, peak 200,000 / 2,000", f"{ratios[0]:.3f} -> {ratios[1]:.3f}")
    check("Memory, one window at a time: peak 200,000 / 2,000 <= 1.02", ratios[1] <= 1.02, f"{ratios[1]:.3f}")
