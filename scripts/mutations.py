"""Named mutations of the walk's guards: each must make the tests named for it fail.

    .venv/bin/python scripts/mutations.py            # every mutation (about two minutes)
    .venv/bin/python scripts/mutations.py NAME ...   # some of them; --list names them all

Each mutation replaces one exact piece of one module (a guard removed or weakened), runs
the tests named for it, and puts the module back, also on Ctrl-C. A guard whose mutation
leaves its tests green is either unproven or redundant: prove it with a test or delete it.
A mutation whose text no longer appears in its module fails the run ("update it"), so the
list cannot rot silently. The known survivors (``SURVIVORS``, each with why) are reported,
not failed. Covers the walk's decision, plan, sifting and state (issue 21); the retry and
shaping modules are for their owners to add.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    module: str  # under tap_heymarket/
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments that must fail


M = Mutation
MUTATIONS = [
    M(
        "run-start cap on resume.top",
        "walk.py",
        "min(max(values), run_started)",
        "max(values)",
        ("tests/test_guards.py", "-k", "future_record"),
    ),
    M(
        "the SDK's signpost",
        "walk.py",
        "signpost = super().get_replication_key_signpost(context)",
        "signpost = None",
        ("tests/test_guards.py", "-k", "dated_after"),
    ),
    M(
        "backfill bookmark never back",
        "walk.py",
        "        return max(held, cap)",
        "        return cap",
        ("tests/test_backfill_window.py",),
    ),
    M(
        "backfill above a gap keeps the bookmark",
        "walk.py",
        "        if start is not None and start > held:",
        "        if False:",
        ("tests/test_backfill_window.py",),
    ),
    M(
        "bookmark cap never below the held one",
        "walk_state.py",
        "for v in (newest_in_place, held) if",
        "for v in (newest_in_place,) if",
        ("tests/test_walk_state.py",),
    ),
    M(
        "unreadable resume window drops the block",
        "walk_state.py",
        "    if None in windows:\n        resume, windows = {}, []",
        "    windows = [w for w in windows if w is not None]",
        ("tests/test_walk_state.py",),
    ),
    M("resume rung bounded", "walk_state.py", "0 <= rung < 8", "0 <= rung", ("tests/test_walk_state.py",)),
    M(
        "old layout: same replication key only",
        "walk_state.py",
        '            and partition.get("replication_key") == replication_key\n',
        "",
        ("tests/test_walk_state.py",),
    ),
    M(
        "floor never below start_date",
        "plan.py",
        'max(settings.floor, start_date or "")',
        "settings.floor",
        ("tests/test_plan.py",),
    ),
    M(
        "state before covered covers every slice",
        "plan.py",
        "covered = set(slices) if saved.covered is None else saved.covered",
        "covered = saved.covered or set()",
        ("tests/test_plan.py",),
    ),
    M(
        "resumed with nothing emitted: windows only",
        "plan.py",
        "            if saved.top is None:\n                continue",
        "            if saved.top is None:\n                chosen = floor",
        ("tests/test_plan.py",),
    ),
    M(
        "only long walks split",
        "plan.py",
        "long=f is None or f == start_date",
        "long=True",
        ("tests/test_plan.py",),
    ),
    M(
        "backfill starts at a whole second",
        "plan.py",
        "Cursor(ceil_to_second(self.upper))",
        "Cursor(self.upper)",
        ("tests/test_backfill_window.py",),
    ),
    M(
        "unreadable page is an error",
        "pagination.py",
        "    if page.size and not page.values:\n",
        "    if False:\n",
        ("tests/test_cursor.py",),
    ),
    M(
        "echoes are not progress",
        "pagination.py",
        "    return values if limit is None else [v for v in values if v <= limit]",
        "    return values",
        ("tests/test_cursor.py",),
    ),
    M(
        "echoes are not the cursor's base",
        "pagination.py",
        "cursor_bases(plausible(page.settled, current) or values",
        "cursor_bases(page.settled or values",
        ("tests/test_cursor.py",),
    ),
    M(
        "echoes are not a stuck value coming back",
        "pagination.py",
        "    return any(stuck <= v <= ceiling for v in values)",
        "    return any(stuck <= v for v in values)",
        ("tests/test_cursor.py",),
    ),
    M(
        "the witness",
        "pagination.py",
        "    return cursor.date != step_above(cursor.covers, ONE_S)",
        "    return False",
        ("tests/test_cursor.py",),
    ),
    M(
        "nothing new: only the safest base",
        "pagination.py",
        "for base in bases if page.new else bases[:1]:",
        "for base in bases:",
        ("tests/test_cursor.py",),
    ),
    M(
        "a short page of known records ends the walk",
        "pagination.py",
        "    if page.new == 0 and page.size < full:\n",
        "    if False:\n",
        ("tests/test_cursor.py",),
    ),
    M(
        "an empty page is asked for twice",
        "pagination.py",
        "    if current is not None and current.again:\n",
        "    if True:\n",
        ("tests/test_cursor.py",),
    ),
    M(
        "whole seconds until a fraction is seen",
        "pagination.py",
        'listing.prints_fractions or any(v[20:26] != "000000" for v in values)',
        "True",
        ("tests/test_cursor.py",),
    ),
    M(
        "a resume never starts below a stuck value",
        "cursor.py",
        "        return Cursor(step_above(self.below, ONE_S), covers=self.below)",
        "        return self",
        ("tests/test_broken_cursors.py",),
    ),
    M(
        "echoes are not kept",
        "sift.py",
        "            or (limit is not None and value > limit)\n",
        "",
        ("tests/test_broken_cursors.py",),
    ),
    M(
        "a stray never counts for the cursor again",
        "sift.py",
        "if shaped[pk] not in memo.odd]",
        "if True]",
        ("tests/test_walk_completeness.py", "-k", "split_walk_a_stale"),
    ),
    M(
        "only strays above the walk's own floor are handed over",
        "sift.py",
        "and (lowest is None or value >= lowest)",
        "",
        ("tests/test_walk_completeness.py", "-k", "goes_out_with"),
    ),
    M(
        "the witness is not asked of a step below",
        "pagination.py",
        "    if cursor.covers is None or cursor.below is not None or cursor.date is None:",
        "    if cursor.covers is None or cursor.date is None:",
        ("tests/test_time_windows.py", "-k", "every_reading"),
    ),
    M(
        "a stray in the boundary overlap is the upper window's",
        "sift.py",
        "            if window.upper is not None and window.upper <= value <= echo_ceiling(window.upper):\n"
        "                continue",
        "            pass",
        ("tests/test_time_windows.py", "-k", "every_reading"),
    ),
    M(
        "a stray is handled once per window",
        "sift.py",
        "if key in seen or key in on_page or key in memo.strays:",
        "if key in seen or key in on_page:",
        ("tests/test_walk_completeness.py", "tests/test_broken_cursors.py"),
    ),
]
#: Mutations the tests do not catch, and why each guard stays.
SURVIVORS = {
    "the witness is not asked of a step below": "no decision makes a cursor with both below and "
    "covers, yet the suite's split walks emitted duplicates under load without it (in 2 of 2 runs "
    "of the walk's test files); caught only under load",
    "a stray in the boundary overlap is the upper window's": "the window above a split keeps what "
    "every reading re-sends at its bound; a duplicate in a split walk, caught only under load",
    "a stray is handled once per window": "a stray seen again by its window is also dropped on the main "
    "thread (strays.Handoff.fresh, by id and value) or by the echo filter; kept as the worker's own "
    "half of that rule, no case found where it alone decides",
}


def run(mutation: Mutation) -> str:
    path = ROOT / "tap_heymarket" / mutation.module
    source = path.read_text()
    if source.count(mutation.old) != 1:
        return "STALE (its text is not in the module once: update it)"
    try:
        path.write_text(source.replace(mutation.old, mutation.new))
        tests = subprocess.run(
            [str(PYTHON), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutation.tests],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
    finally:
        path.write_text(source)
    return "killed" if tests.returncode == 1 else "SURVIVED" if tests.returncode == 0 else "ERROR"


def main(names: list[str]) -> int:
    if names == ["--list"]:
        print("\n".join(m.name for m in MUTATIONS))
        return 0
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    failed = 0
    started = time.monotonic()
    for mutation in chosen:
        verdict = run(mutation)
        known = mutation.name in SURVIVORS and verdict == "SURVIVED"
        failed += verdict != "killed" and not known
        note = f" (known: {SURVIVORS[mutation.name]})" if known else ""
        print(f"{verdict:>8}  {mutation.module:<14} {mutation.name}{note}", flush=True)
    print(f"{len(chosen)} mutations, {failed} not caught, {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
