"""Rate limits and transient faults: paced requests, bounded retries, nothing lost."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import logging
import time
import types

import backoff._sync
import pytest

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.server import Fault
from tap_heymarket import clock
from tap_heymarket.ratelimit import RequestRateLimiter
from tap_heymarket.retries import MAX_TRIES, RetryPolicy
from tests.cases import account
from tests.harness import config_for, run_sync

CONVERSATIONS = "/v1/conversations"


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Every backoff wait, recorded instead of slept (the limiter's own waits are skipped too)."""
    recorded: list[float] = []
    fake_time = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    fake_time.sleep = recorded.append
    monkeypatch.setattr(backoff._sync, "time", fake_time)
    monkeypatch.setattr(clock, "sleep", lambda seconds: None)
    return recorded


def test_the_limiter_spaces_requests_evenly_and_a_pause_holds_every_caller(monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(clock, "monotonic", lambda: now[0])
    monkeypatch.setattr(clock, "sleep", lambda seconds: now.__setitem__(0, now[0] + max(seconds, 0)))
    limiter = RequestRateLimiter(600)
    slots = []
    for _ in range(5):
        limiter.acquire()
        slots.append(now[0])
    assert [round(b - a, 6) for a, b in itertools.pairwise(slots)] == [0.1] * 4
    limiter.pause(7)
    limiter.acquire()
    assert round(now[0] - slots[-1], 6) == 7.0


def test_a_short_pause_never_cuts_short_a_longer_one_already_running(monkeypatch) -> None:
    """Two slices answered 429 at once: the later, shorter Retry-After must not end the longer hold."""
    now = [1000.0]
    monkeypatch.setattr(clock, "monotonic", lambda: now[0])
    monkeypatch.setattr(clock, "sleep", lambda seconds: now.__setitem__(0, now[0] + max(seconds, 0)))
    limiter = RequestRateLimiter(600)
    limiter.pause(20)
    limiter.pause(1)
    limiter.acquire()
    assert now[0] == 1020.0


def test_backoff_waits_stop_growing_at_the_cap(monkeypatch) -> None:
    """Without a Retry-After the waits double up to BACKOFF_CAP_SECONDS and stay there."""
    monkeypatch.setattr(clock, "monotonic", lambda: 0.0)
    top_of_window = types.SimpleNamespace(uniform=lambda low, high: high)  # jitter at its upper end
    policy = RetryPolicy("/v1/conversations", logging.getLogger("test"), RequestRateLimiter(0), top_of_window)
    waits = policy.backoff_wait_generator()
    assert next(waits) == 0.0
    fault = ConnectionResetError("reset")
    assert [waits.send(fault) for _ in range(MAX_TRIES)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_paced_run_meets_no_429_where_an_unpaced_one_does(start_sandbox) -> None:
    def limited_account() -> SandboxAPI:
        api = SandboxAPI(generate(300, 2, seed=4))
        api.per_second_limit = 5
        return api

    bursty = limited_account()
    unpaced = run_sync(config_for(start_sandbox(bursty).url))  # meets 429s; Retry-After: 1, waited
    assert sum(r.status == 429 for r in bursty.requests) > 0
    assert sorted(unpaced.ids()) == sorted(bursty.conversations.records)
    api = limited_account()
    paced = run_sync(config_for(start_sandbox(api).url, max_requests_per_minute=60 * 4.5))
    assert [r.status for r in api.requests].count(429) == 0
    assert sorted(paced.ids()) == sorted(api.conversations.records)


def test_a_run_through_every_transient_fault_extracts_what_a_clean_run_does(
    start_sandbox, waits, caplog
) -> None:
    clean_api = account()
    clean = run_sync(config_for(start_sandbox(clean_api).url))
    api = account()
    retry_at = email.utils.format_datetime(
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30), usegmt=True
    )
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
    api.faults = [
        Fault("status", status=429, headers={"Retry-After": "7"}, path=CONVERSATIONS, after=2),
        Fault("status", status=429, headers={"Retry-After": retry_at}, path=CONVERSATIONS, after=1),
        Fault("status", status=503, path=CONVERSATIONS, after=1),
        Fault("drop", path=CONVERSATIONS, after=1),
        Fault("status", status=502, body=html, content_type="text/html", path=CONVERSATIONS, after=1),
        Fault("status", status=500, path=CONVERSATIONS, after=1),
        Fault("status", status=502, path=CONVERSATIONS, after=1),
        Fault("slow", delay=1.5, path=CONVERSATIONS, after=1),
        Fault("truncate", path=CONVERSATIONS, after=1),
        Fault("status", status=504, path=CONVERSATIONS, after=1),
    ]
    with caplog.at_level(logging.WARNING):
        faulty = run_sync(config_for(start_sandbox(api).url, request_timeout=1))
    assert api.faults == []  # every fault was met
    assert sorted(faulty.ids()) == sorted(clean.ids())
    assert len(faulty.ids()) == len(set(faulty.ids()))
    assert faulty.final_state == clean.final_state
    assert len(waits) == 10
    assert 7.0 in waits
    assert any(28 <= w <= 31 for w in waits)  # the HTTP-date Retry-After
    assert all(0 < w <= 60 for w in waits)
    assert "Heymarket asked us to wait 7.0 s (Retry-After, X-Request-Id sbx-" in caplog.text
    for status in (429, 500, 502, 503, 504):
        line = next(r.getMessage() for r in caplog.records if f"HTTP {status} " in r.getMessage())
        assert "X-Request-Id sbx-" in line
    assert "Bad Gateway" in caplog.text and "<html>" not in caplog.text


def test_a_long_retry_after_is_capped_and_the_wait_is_logged(start_sandbox, waits, caplog) -> None:
    api = account()
    api.faults = [Fault("status", status=429, headers={"Retry-After": "86400"}, path=CONVERSATIONS)]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url))
    assert waits == [300.0]
    assert "Retry-After of 86400 s (X-Request-Id sbx-" in caplog.text and "capped to 300 s" in caplog.text
    assert sorted(result.ids()) == sorted(api.conversations.records)


def test_a_429_without_retry_after_backs_off_exponentially_with_jitter(start_sandbox, waits) -> None:
    api = account()
    api.faults = [Fault("status", status=429, path=CONVERSATIONS, times=4)]
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=1))
    assert len(waits) == 4
    for attempt, wait in enumerate(waits):
        assert 2**attempt / 2 <= wait <= 2**attempt  # full window halves: jittered, growing
    assert sorted(result.ids()) == sorted(api.conversations.records)


def test_retries_are_bounded_and_the_last_error_is_reported(start_sandbox, waits) -> None:
    api = account()
    api.faults = [Fault("status", status=503, path=CONVERSATIONS, times=100)]
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=1), raise_errors=False)
    assert len(waits) == 7  # 8 attempts
    assert "HTTP 503 Service Unavailable on POST /v1/conversations (X-Request-Id sbx-" in str(result.error)
