"""The walk's mutations: the cursor's decision, the plan, sifting, the state, the signpost."""

from __future__ import annotations

from mutations.base import Mutation

#: The walk and its state: the cursor's decision, the plan, sifting, the signpost and bookmark.
WALK = (
    Mutation(
        "run-start-cap-on-resume.top",
        "tap_heymarket/walk/run.py",
        "min(max(values), run_started)",
        "max(values)",
        ("tests/test_guards.py",),
        "run-start cap on resume.top",
    ),
    Mutation(
        "the-SDKs-signpost",
        "tap_heymarket/walk/stream.py",
        "signpost = super().get_replication_key_signpost(context)",
        "signpost = None",
        ("tests/test_guards.py",),
        "the SDK's signpost",
    ),
    Mutation(
        "backfill-bookmark-never-back",
        "tap_heymarket/walk/stream.py",
        "        return max(held, cap)",
        "        return cap",
        ("tests/test_backfill_window.py",),
        "backfill bookmark never back",
    ),
    Mutation(
        "backfill-above-a-gap-keeps-the-bookmark",
        "tap_heymarket/walk/stream.py",
        "        if start is not None and start > held:",
        "        if False:",
        ("tests/test_backfill_window.py",),
        "backfill above a gap keeps the bookmark",
    ),
    Mutation(
        "bookmark-cap-never-below-the-held-one",
        "tap_heymarket/walk/state.py",
        "for v in (newest_in_place, held) if",
        "for v in (newest_in_place,) if",
        ("tests/test_walk_state.py",),
        "bookmark cap never below the held one",
    ),
    Mutation(
        "unreadable-resume-window-drops-the-block",
        "tap_heymarket/walk/state.py",
        "    if None in windows:\n        resume, windows = {}, []",
        "    windows = [w for w in windows if w is not None]",
        ("tests/test_walk_state.py",),
        "unreadable resume window drops the block",
    ),
    Mutation(
        "resume-rung-bounded",
        "tap_heymarket/walk/state.py",
        "0 <= rung < 8",
        "0 <= rung",
        ("tests/test_walk_state.py",),
        "resume rung bounded",
    ),
    Mutation(
        "old-layout:-same-replication-key-only",
        "tap_heymarket/walk/state.py",
        '            and partition.get("replication_key") == replication_key\n',
        "",
        ("tests/test_walk_state.py",),
        "old layout: same replication key only",
    ),
    Mutation(
        "floor-never-below-start_date",
        "tap_heymarket/walk/plan.py",
        'max(settings.floor, start_date or "")',
        "settings.floor",
        ("tests/test_plan.py",),
        "floor never below start_date",
    ),
    Mutation(
        "state-before-covered-covers-every-slice",
        "tap_heymarket/walk/plan.py",
        "covered = set(slices) if saved.covered is None else saved.covered",
        "covered = saved.covered or set()",
        ("tests/test_plan.py",),
        "state before covered covers every slice",
    ),
    Mutation(
        "resumed-with-nothing-emitted:-windows-only",
        "tap_heymarket/walk/plan.py",
        "            if saved.top is None:\n                continue",
        "            if saved.top is None:\n                chosen = floor",
        ("tests/test_plan.py",),
        "resumed with nothing emitted: windows only",
    ),
    Mutation(
        "only-long-walks-split",
        "tap_heymarket/walk/plan.py",
        "long=f is None or f == start_date",
        "long=True",
        ("tests/test_plan.py",),
        "only long walks split",
    ),
    Mutation(
        "backfill-starts-at-a-whole-second",
        "tap_heymarket/walk/plan.py",
        "Cursor(ceil_to_second(self.upper))",
        "Cursor(self.upper)",
        ("tests/test_backfill_window.py",),
        "backfill starts at a whole second",
    ),
    Mutation(
        "unreadable-page-is-an-error",
        "tap_heymarket/walk/pagination.py",
        "    if page.size and not page.values:\n",
        "    if False:\n",
        ("tests/test_cursor.py",),
        "unreadable page is an error",
    ),
    Mutation(
        "echoes-are-not-progress",
        "tap_heymarket/walk/pagination.py",
        "    return values if limit is None else [v for v in values if v <= limit]",
        "    return values",
        ("tests/test_cursor.py",),
        "echoes are not progress",
    ),
    Mutation(
        "echoes-are-not-the-cursors-base",
        "tap_heymarket/walk/pagination.py",
        "cursor_bases(plausible(page.settled, current) or values",
        "cursor_bases(page.settled or values",
        ("tests/test_cursor.py",),
        "echoes are not the cursor's base",
    ),
    Mutation(
        "echoes-are-not-a-stuck-value-coming-back",
        "tap_heymarket/walk/pagination.py",
        "    return any(stuck <= v <= ceiling for v in values)",
        "    return any(stuck <= v for v in values)",
        ("tests/test_cursor.py",),
        "echoes are not a stuck value coming back",
    ),
    Mutation(
        "the-witness",
        "tap_heymarket/walk/pagination.py",
        "    return cursor.date != step_above(cursor.covers, ONE_S)",
        "    return False",
        ("tests/test_cursor.py",),
        "the witness",
    ),
    Mutation(
        "nothing-new:-only-the-safest-base",
        "tap_heymarket/walk/pagination.py",
        "for base in bases if page.new else bases[:1]:",
        "for base in bases:",
        ("tests/test_cursor.py",),
        "nothing new: only the safest base",
    ),
    Mutation(
        "a-short-page-of-known-records-ends-the-walk",
        "tap_heymarket/walk/pagination.py",
        "    if page.new == 0 and page.size < full:\n",
        "    if False:\n",
        ("tests/test_cursor.py",),
        "a short page of known records ends the walk",
    ),
    Mutation(
        "an-empty-page-is-asked-for-twice",
        "tap_heymarket/walk/pagination.py",
        "    if current is not None and current.again:\n",
        "    if True:\n",
        ("tests/test_cursor.py",),
        "an empty page is asked for twice",
    ),
    Mutation(
        "whole-seconds-until-a-fraction-is-seen",
        "tap_heymarket/walk/pagination.py",
        'listing.prints_fractions or any(v[20:26] != "000000" for v in values)',
        "True",
        ("tests/test_cursor.py",),
        "whole seconds until a fraction is seen",
    ),
    Mutation(
        "a-resume-never-starts-below-a-stuck-value",
        "tap_heymarket/walk/cursor.py",
        "        return Cursor(step_above(self.below, ONE_S), covers=self.below)",
        "        return self",
        ("tests/test_broken_cursors.py",),
        "a resume never starts below a stuck value",
    ),
    Mutation(
        "echoes-are-not-kept",
        "tap_heymarket/walk/sift.py",
        "            or (limit is not None and value > limit)\n",
        "",
        ("tests/test_broken_cursors.py",),
        "echoes are not kept",
    ),
    Mutation(
        "a-stray-never-counts-for-the-cursor-again",
        "tap_heymarket/walk/sift.py",
        "if shaped[pk] not in memo.odd]",
        "if True]",
        ("tests/test_walk_completeness.py",),
        "a stray never counts for the cursor again",
    ),
    Mutation(
        "only-strays-above-the-walks-own-floor-are-handed-over",
        "tap_heymarket/walk/sift.py",
        "and (lowest is None or value >= lowest)",
        "",
        ("tests/test_walk_completeness.py",),
        "only strays above the walk's own floor are handed over",
    ),
    Mutation(
        "the-witness-is-not-asked-of-a-step-below",
        "tap_heymarket/walk/pagination.py",
        "    if cursor.covers is None or cursor.below is not None or cursor.date is None:",
        "    if cursor.covers is None or cursor.date is None:",
        ("tests/test_time_windows.py",),
        "the witness is not asked of a step below",
    ),
    Mutation(
        "a-stray-in-the-boundary-overlap-is-the-upper-windows",
        "tap_heymarket/walk/sift.py",
        "            if window.upper is not None and window.upper <= value <= echo_ceiling(window.upper):\n"
        "                continue",
        "            pass",
        ("tests/test_time_windows.py",),
        "a stray in the boundary overlap is the upper window's",
    ),
    Mutation(
        "a-stray-is-handled-once-per-window",
        "tap_heymarket/walk/sift.py",
        "if key in seen or key in on_page or key in memo.strays:",
        "if key in seen or key in on_page:",
        ("tests/test_walk_completeness.py", "tests/test_broken_cursors.py"),
        "a stray is handled once per window",
    ),
)

#: Survivors kept on purpose, each with why (reported as ``kept``, not failed).
KEPT: dict[str, str] = {
    "the-witness-is-not-asked-of-a-step-below": (
        "no decision makes a cursor with both below and covers, yet the suite's split walks emitted "
        "duplicates under load without it (in 2 of 2 runs of the walk's test files); caught only "
        "under load"
    ),
    "a-stray-in-the-boundary-overlap-is-the-upper-windows": (
        "the window above a split keeps what every reading re-sends at its bound; a duplicate in a "
        "split walk, caught only under load"
    ),
    "a-stray-is-handled-once-per-window": (
        "a stray seen again by its window is also dropped on the main thread (strays.Handoff.fresh, "
        "by id and value) or by the echo filter; kept as the worker's own half of that rule, no "
        "case found where it alone decides"
    ),
}
