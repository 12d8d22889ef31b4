"""Progress on long syncs: counts against the API's count, percent and ETA; never fatal."""

from __future__ import annotations

import logging
import re

from heymarket_sandbox.server import Fault
from tests.cases import account
from tests.harness import config_for, run_sync

COUNT = "/v1/conversations/count"


def test_progress_lines_report_count_percent_and_eta_against_the_apis_total(start_sandbox, caplog) -> None:
    api = account()
    total = len(api.conversations.records)
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url, progress_interval=0))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("conversations: ")]
    steps = [line for line in lines if "ETA" in line]
    assert len(steps) >= 5
    assert all(re.search(rf"[\d,]+ of {total:,} \(\d+\.\d%\), ETA ", line) for line in steps)
    assert lines[-1].startswith(f"conversations: {total:,} of {total:,} (100.0%)")
    assert lines[-1].endswith("(done)")
    assert len(result.ids()) == total
    counts = [r.body for r in api.requests if r.path == "/v1/conversations/count"]
    assert sum("filters" not in body for body in counts) == 1  # the total, asked once
    # and once with each walk's own filters (one member reads all three inboxes: one walk a view)
    assert sorted(body["filters"]["closed"] for body in counts if "filters" in body) == [False, True]


def test_progress_lines_are_paced_by_the_interval_not_per_page(start_sandbox, caplog) -> None:
    api = account()
    with caplog.at_level(logging.INFO):
        run_sync(config_for(start_sandbox(api).url, progress_interval=3600))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("conversations: ")]
    assert len(lines) == 1 and lines[0].endswith("(done)")


def test_a_total_that_disagrees_with_the_count_is_warned_about(start_sandbox, caplog) -> None:
    api = account()
    api.faults.append(Fault("status", status=200, body=b'{"count": 5}', path=COUNT, times=3))
    with caplog.at_level(logging.WARNING):
        run_sync(config_for(start_sandbox(api).url))
    assert f"emitted {len(api.conversations.records)} records but the API counted 5" in caplog.text


def test_a_failing_count_call_never_fails_the_sync(start_sandbox, caplog) -> None:
    api = account()
    api.faults.append(Fault("status", status=500, path=COUNT, times=3))
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert "Could not count conversations (Heymarket server error: HTTP 500" in caplog.text
    assert "sbx-" in caplog.text  # the warning quotes the response's X-Request-Id
