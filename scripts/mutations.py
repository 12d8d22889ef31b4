"""The named mutations of ``scripts/mutate.py``: each a guard, removed, and the tests that must notice.

Keep ``old`` short but unique in its file; when code moves, the script says which entry to
update. ``why`` is what the guard protects, printed beside a survivor. ``tests`` holds every
test file that could plausibly notice the guard's loss (a survivor is judged against them
all), kept to about a minute's run. The list is one tuple per area of the code; a new area
(the walk and its state, after their rewrite) is one more tuple added to :data:`MUTATIONS`.
"""

from __future__ import annotations

import typing as t


class Mutation(t.NamedTuple):
    """One guard removed: where, what it was, what replaces it, who should notice."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


def tests(*names: str) -> tuple[str, ...]:
    """``tests/test_<name>.py`` for each name."""
    return tuple(f"tests/test_{name}.py" for name in names)


RETRYING = tests("retries", "retry_after", "guards", "hostile_responses", "fatal_errors", "sdk_contracts")
DECODING = tests("bodies", "hostile_responses", "bad_records", "guards", "fatal_errors")
CREDENTIALS = tests("token_renewal", "secrets", "fatal_errors")
SHAPING = tests("properties", "bad_records", "conversations", "pagination", "stream_selection", "guards")
INBOXES = tests("directory", "guards", "no_inbox", "optional_count", "conversations", "metrics_and_denials")
LOGS = tests("redaction", "secrets", "log_lines", "quiet_logs")
CONFIG = tests("config_errors", "secrets", "fatal_errors", "settings")

#: endpoint.py, retries.py, ratelimit.py, api.py: what is retried, how it waits, what is paced.
CLIENT = (
    Mutation(
        "408-not-retried",
        "tap_heymarket/endpoint.py",
        "if status >= 500 or status == 408:",
        "if status >= 500:",
        RETRYING,
        "HTTP 408 (request timeout) is transient: retried, not fatal",
    ),
    Mutation(
        "429-not-retried",
        "tap_heymarket/endpoint.py",
        "if status == 429:",
        "if status == -429:",
        RETRYING,
        "a 429 is retried (after Retry-After), not fatal",
    ),
    Mutation(
        "no-renewal-on-401",
        "tap_heymarket/endpoint.py",
        "if response.status_code == 401 and self.api.auth.renew(refused):",
        "if False:",
        CREDENTIALS,
        "a JWT refused mid-run is re-minted and the request sent once more",
    ),
    Mutation(
        "wrapped-page-not-unwrapped",
        "tap_heymarket/endpoint.py",
        'for key in ("data", "results", self.stream):',
        "for key in (self.stream,):",
        (*DECODING, *SHAPING),
        "a page wrapped in {data: [...]} or {results: [...]} is read, not refused",
    ),
    Mutation(
        "non-object-items-dropped",
        "tap_heymarket/endpoint.py",
        "if all(type(item) is dict for item in body):\n                return body",
        "if True:\n                return [item for item in body if isinstance(item, dict)]",
        DECODING,
        "a page item that is not an object is counted as skipped, not silently dropped",
    ),
    Mutation(
        "no-body-deadline",
        "tap_heymarket/endpoint.py",
        "bodies.read_within(response, deadline, timeout)",
        "response.content  # noqa: B018",
        DECODING,
        "request_timeout bounds the whole body, not each read (a dripping server)",
    ),
    Mutation(
        "retry-wait-does-not-pause-limiter",
        "tap_heymarket/retries.py",
        "                limiter.pause(wait)\n",
        "",
        RETRYING,
        "a 429 on one walk holds every walk of the run (the budget is per key)",
    ),
    Mutation(
        "retry-after-ignored",
        "tap_heymarket/retries.py",
        "wait = retry_after_seconds(response, now=clock.wall())",
        "wait = None",
        RETRYING,
        "the server's Retry-After is the wait",
    ),
    Mutation(
        "retry-after-uncapped",
        "tap_heymarket/retries.py",
        "wait = min(wait, RETRY_AFTER_CAP_SECONDS)",
        "wait = wait",
        RETRYING,
        "a Retry-After of hours is capped (RETRY_AFTER_CAP_SECONDS)",
    ),
    Mutation(
        "backoff-uncapped",
        "tap_heymarket/retries.py",
        "wait = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)",
        "wait = BACKOFF_BASE_SECONDS * 2**attempt",
        RETRYING,
        "exponential waits stop growing at BACKOFF_CAP_SECONDS",
    ),
    Mutation(
        "truncated-transfer-not-retried",
        "tap_heymarket/retries.py",
        "    requests.exceptions.ChunkedEncodingError,\n",
        "",
        RETRYING,
        "a body cut short mid-transfer is retried like a dropped connection",
    ),
    Mutation(
        "limiter-does-not-space",
        "tap_heymarket/ratelimit.py",
        "self._next_slot = slot + self._interval",
        "self._next_slot = slot",
        (*RETRYING, *tests("inflight")),
        "requests are spaced 60/limit seconds apart (max_requests_per_minute)",
    ),
    Mutation(
        "limiter-ignores-pause",
        "tap_heymarket/ratelimit.py",
        "slot = max(now, self._next_slot, self._paused_until)",
        "slot = max(now, self._next_slot)",
        RETRYING,
        "a pause after a 429 holds every caller",
    ),
    Mutation(
        "later-shorter-pause-cuts-a-longer-one",
        "tap_heymarket/ratelimit.py",
        "self._paused_until = max(self._paused_until, clock.monotonic() + seconds)",
        "self._paused_until = clock.monotonic() + seconds",
        RETRYING,
        "a short pause never shortens a longer one already running",
    ),
)

#: auth.py: a JWT minted fresh, renewed once, never the refused one again.
AUTH = (
    Mutation(
        "token-never-reminted",
        "tap_heymarket/auth.py",
        "if self._token is None or now - self._minted_at >= TOKEN_LIFETIME_SECONDS:",
        "if self._token is None:",
        CREDENTIALS,
        "a JWT is re-minted before it expires (long runs outlive many tokens)",
    ),
    Mutation(
        "renewal-repeats-refused-token",
        "tap_heymarket/auth.py",
        "                if token == refused:\n",
        "                if False:\n",
        CREDENTIALS,
        "a token renewed in the second it was minted is not the refused one again",
    ),
    Mutation(
        "every-caller-renews",
        "tap_heymarket/auth.py",
        "if self._token == refused:",
        "if True:",
        CREDENTIALS,
        "many callers refused the same token renew it once, not once each",
    ),
)

#: bodies.py: what is decoded faithfully, what is refused at once, what is retried.
BODIES = (
    Mutation(
        "bom-not-stripped",
        "tap_heymarket/bodies.py",
        "        content = content[len(_BOM) :]\n",
        "        pass\n",
        DECODING,
        "a UTF-8 byte order mark before the JSON is dropped",
    ),
    Mutation(
        "non-utf8-let-through",
        "tap_heymarket/bodies.py",
        'text = content.decode("utf-8")',
        'text = content.decode("utf-8", "replace")',
        DECODING,
        "a body that is not UTF-8 is refused, not decoded into U+FFFD",
    ),
    Mutation(
        "truncated-body-fatal",
        "tap_heymarket/bodies.py",
        "        if truncated:\n",
        "        if False:\n",
        DECODING,
        "a JSON body that ends early is retried (a cut transfer), not fatal",
    ),
    Mutation(
        "lone-surrogates-kept",
        "tap_heymarket/bodies.py",
        "return _without_lone_surrogates(value)",
        "return value",
        DECODING,
        "an escaped lone surrogate (a cut emoji) becomes U+FFFD, which targets can store",
    ),
)

#: conform.py, records.py, timestamps.py: one shape per stream, or the record refused.
SHAPE = (
    Mutation(
        "nan-not-refused",
        "tap_heymarket/conform.py",
        "            if not math.isfinite(value):\n"
        '                raise BadValue("NaN or an infinite number")\n'
        "            if numbers:",
        "            if numbers:",
        SHAPING,
        "NaN and infinities in a schema column are refused (no target stores them)",
    ),
    Mutation(
        "fraction-truncated-to-integer",
        "tap_heymarket/conform.py",
        "if integers and value.is_integer():",
        "if integers:",
        SHAPING,
        "only an integral float becomes an integer (1.5 is not silently 1)",
    ),
    Mutation(
        "any-integer-is-a-boolean",
        "tap_heymarket/conform.py",
        "if booleans and value in (0, 1):",
        "if booleans:",
        SHAPING,
        "only 0 and 1 become booleans (2 is a bad value, not true)",
    ),
    Mutation(
        "boolean-reference-becomes-id",
        "tap_heymarket/records.py",
        "    if isinstance(value, bool):\n        return value\n    if isinstance(value, int):",
        "    if isinstance(value, int):",
        SHAPING,
        "true/false is not a reference ID (bool is an int in Python)",
    ),
    Mutation(
        "canonical-spelling-not-validated",
        "tap_heymarket/timestamps.py",
        "            dt.datetime.fromisoformat(value[:-1])  # the digits must also name a real instant\n",
        "            pass\n",
        SHAPING,
        "2024-13-45T… in the canonical shape is still refused (the fast path checks the digits)",
    ),
)

#: directory.py: who reads which inbox (member groups included), and when.
DIRECTORY = (
    Mutation(
        "whole-account-despite-a-filter",
        "tap_heymarket/directory.py",
        "return not any(self._config.get(name) is not None for name in NARROWING_SETTINGS)",
        "return True",
        INBOXES,
        "the account-wide count is compared only when no setting narrows the read",
    ),
    Mutation(
        "member-groups-tie-by-dict-order",
        "tap_heymarket/directory.py",
        "best = min(counts, key=lambda m: (-counts[m], m))",
        "best = min(counts, key=lambda m: -counts[m])",
        INBOXES,
        "member groups (and so STATE's slices) are the same every run: ties go to the lowest ID",
    ),
    Mutation(
        "memberless-inbox-read",
        "tap_heymarket/directory.py",
        "        return [i for i in inboxes if members.get(i)]",
        "        return inboxes",
        INBOXES,
        "an inbox with no member to read it as is skipped with a warning",
    ),
)

#: redaction.py, config_errors.py: no secret in a log line or an error.
SECRETS = (
    Mutation(
        "jwt-shape-not-masked",
        "tap_heymarket/redaction.py",
        'return _JWT.sub(MASK, text) if "eyJ" in text else text',
        "return text",
        LOGS,
        "anything shaped like a JWT is masked, even one the tap never held",
    ),
    Mutation(
        "exception-chain-not-scrubbed",
        "tap_heymarket/redaction.py",
        "current = current.__cause__ or current.__context__",
        "current = None",
        LOGS,
        "a secret in a chained exception's arguments is masked as well",
    ),
    Mutation(
        "controls-not-escaped",
        "tap_heymarket/redaction.py",
        "clean = escape_controls(self.scrub(message))",
        "clean = self.scrub(message)",
        LOGS,
        "server text cannot forge log lines or colour the terminal",
    ),
    Mutation(
        "secret-setting-quoted",
        "tap_heymarket/config_errors.py",
        "if path and path[0] in secret:",
        "if False:",
        CONFIG,
        "a secret setting's invalid value is never quoted in the error",
    ),
    Mutation(
        "type-error-quotes-value",
        "tap_heymarket/config_errors.py",
        'if error.validator == "type":',
        "if False:",
        CONFIG,
        "a wrong-typed setting names the expected type, not the value (a secret)",
    ),
)

#: page_numbers.py: a page-number listing that ignores ``page`` stops, as a date walk does.
PAGES = (
    Mutation(
        "ignored-page-number-loops",
        "tap_heymarket/page_numbers.py",
        "if records and len(records) >= self.page_size and not fresh:",
        "if False:",
        tests("full_table", "walk_completeness"),
        "a server that ignores page is an error, not a listing read forever",
    ),
)

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

MUTATIONS: list[Mutation] = [*CLIENT, *AUTH, *BODIES, *SHAPE, *DIRECTORY, *SECRETS, *PAGES, *WALK]
