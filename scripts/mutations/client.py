"""The API client's mutations: retries, pacing, credentials, body decoding."""

from __future__ import annotations

from mutations.base import CREDENTIALS, DECODING, RETRYING, SHAPING, Mutation, tests

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
