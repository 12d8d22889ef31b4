"""A backfill that dies part-way resumes near where it stopped and loses nothing."""

from __future__ import annotations

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.server import Fault
from tests.cases import CASES
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def _account() -> SandboxAPI:
    return SandboxAPI(generate(3000, 1, seed=13), page_size=30)


def test_a_backfill_that_dies_after_40_pages_resumes_from_its_last_state(start_sandbox) -> None:
    clean = _account()
    run_sync(config_for(start_sandbox(clean).url, closed=False, max_concurrency=1))
    full_requests = clean.request_count("/v1/conversations")
    assert full_requests > 50

    api = _account()
    url = start_sandbox(api).url
    config = config_for(url, closed=False, max_concurrency=1)  # one worker: exact request counts
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=40, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None and "HTTP 400" in str(first.error)
    last_state = first.states[-1]
    resume = CONVERSATIONS.stream_state(last_state)["resume"]
    assert resume["windows"] and resume["top"]
    assert all(window["cursor"]["date"] for window in resume["windows"] if "cursor" in window)

    api.faults.clear()
    api.requests.clear()
    second = run_sync(config, state=last_state)

    expected = {c["id"] for c in api.conversations.records.values() if c["status"] == "open"}
    assert set(first.ids()) | set(second.ids()) == expected
    assert len(first.ids()) + len(second.ids()) < len(expected) + 30  # at most a page re-read
    # the unfinished windows from where they died, plus one request for what changed above them
    assert api.request_count("/v1/conversations") == full_requests - 40 + 1
    final = CONVERSATIONS.stream_state(second.final_state)
    assert "resume" not in final
    assert final["replication_key_value"] == CONVERSATIONS.newest(api)


def test_a_run_that_dies_twice_still_finishes_with_the_newest_bookmark(start_sandbox) -> None:
    api = _account()
    config = config_for(start_sandbox(api).url, closed=False)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=20, times=1)]
    first = run_sync(config, raise_errors=False)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=15, times=1)]
    second = run_sync(config, state=first.states[-1], raise_errors=False)
    assert second.error is not None
    third = run_sync(config, state=second.states[-1])
    expected = {c["id"] for c in api.conversations.records.values() if c["status"] == "open"}
    assert set(first.ids()) | set(second.ids()) | set(third.ids()) == expected
    final = CONVERSATIONS.stream_state(third.final_state)
    assert final["replication_key_value"] == CONVERSATIONS.newest(api)
    assert "resume" not in final
