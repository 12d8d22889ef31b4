"""The count endpoint is optional: however it fails, it costs one warning and what it feeds, never the run."""

from __future__ import annotations

import logging

import pytest

from heymarket_sandbox.server import Fault
from tests.cases import account
from tests.harness import config_for, run_sync

COUNT = "/v1/conversations/count"
FAILURES = {
    "401": Fault("status", status=401, body=b'{"error":"unauthorized"}', path=COUNT, times=99),
    "403": Fault("status", status=403, body=b'{"error":"denied"}', path=COUNT, times=99),
    "500": Fault("status", status=500, path=COUNT, times=99),
    "garbage": Fault("garbage", path=COUNT, times=99),
    "not a number": Fault("status", status=200, body=b'{"count": "lots"}', path=COUNT, times=99),
    "negative": Fault("status", status=200, body=b'{"count": -5}', path=COUNT, times=99),
    "absurd": Fault("status", status=200, body=b'{"count": 1000000000000000}', path=COUNT, times=99),
    "dropped": Fault("drop", path=COUNT, times=99),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failing_count_costs_one_warning_and_never_the_run(start_sandbox, caplog, failure: str) -> None:
    clean = account()
    expected = run_sync(config_for(start_sandbox(clean).url, max_concurrency=2))
    api = account()
    api.faults = [FAILURES[failure]]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, max_concurrency=2))
    assert sorted(result.ids()) == sorted(expected.ids())
    assert result.final_state == expected.final_state
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Could not count")]
    assert len(warnings) == 1, warnings
    assert "progress shows no total and long walks are not split" in warnings[0]
    counts = [r.body for r in api.requests if r.path == COUNT]
    # not asked again in the run: the total once, and once with each walk's own filters (both
    # views), all beside the first pages (tap_heymarket/walk/totals.py); those failing too cost
    # no warning more
    assert sorted(str(body.get("filters", {}).get("closed")) for body in counts) == ["False", "None", "True"]
    assert "but the API counted" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_count_refused_while_every_listing_works_still_reads_every_stream(start_sandbox) -> None:
    api = account()
    api.faults = [
        Fault("status", status=403, path="/v1/conversations/count", times=99),
        Fault("status", status=401, path="/v1/contacts/count", times=99),
    ]
    result = run_sync(config_for(start_sandbox(api).url), streams=("conversations", "contacts"))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert sorted(result.ids("contacts")) == sorted(api.listings["/v1/contacts"].records)
