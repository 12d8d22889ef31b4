"""An inbox listing with no inbox is said aloud: nothing can be read, and whose view it was."""

from __future__ import annotations

import logging

import pytest

from heymarket_sandbox.server import Fault
from tests.cases import account
from tests.harness import config_for, run_sync


@pytest.mark.parametrize(
    ("overrides", "who"),
    [({}, "the user of api_key"), ({"user_id": 9001}, "user 9001 (user_id)")],
)
def test_an_empty_inbox_listing_warns_that_nothing_can_be_read(start_sandbox, caplog, overrides, who) -> None:
    api = account()
    api.faults = [Fault("status", status=200, body=b"[]", path="/v1/inboxes", times=99)]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, **overrides), raise_errors=False)
    assert result.records() == []
    lines = [r.getMessage() for r in caplog.records if "listed no inbox" in r.getMessage()]
    assert lines == [
        f"Heymarket listed no inbox for {who}: no conversation can be read; add that user to "
        "an inbox in Heymarket, or use credentials of a user who is a member of one"
    ]


def test_a_listing_with_inboxes_says_nothing_of_the_kind(sandbox, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        run_sync(config_for(sandbox.url))
    assert "listed no inbox" not in caplog.text
