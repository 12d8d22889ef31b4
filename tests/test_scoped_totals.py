"""The total a full sync is checked against holds under every reading of the count endpoint.

The reference documents only ``date`` for the conversation count. Whether it takes the
listing's filters, and whether an omitted ``closed`` counts the open view only (as the listing
may read it, open question 2), is open: the sandbox has a switch for each
(``count_filters``, ``count_closed``). Under none of them may a complete sync end with a
warning of records lost, and wherever the counts can tell, progress reads against the walks'
true total (tap_heymarket/walk/totals.py).
"""

from __future__ import annotations

import logging
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heymarket_sandbox.readings import Reading
from tap_heymarket import streams
from tap_heymarket.walk import run
from tap_heymarket.walk.totals import walks_total
from tests.cases import account
from tests.harness import config_for, run_sync

COUNT = "/v1/conversations/count"
#: (count_filters, count_closed): whether each walk's own count can tell the total apart
READINGS = {
    ("ignores", "both"): True,  # the reference's letter: one total, filters unread
    ("honours", "both"): True,
    ("honours", "open"): True,  # the independent stand-in's reading
    ("rejects", "both"): True,  # a 400 naming `filters`: the total stands
    ("ignores", "open"): False,  # only the open view is ever counted
    ("rejects", "open"): False,
}


def _done_line(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("conversations: ")]
    return next(line for line in reversed(lines) if line.endswith("(done)"))


@pytest.mark.parametrize(("filters", "closed"), sorted(READINGS), ids=str)
def test_a_complete_sync_never_warns_of_lost_records_under_any_reading_of_the_count(
    start_sandbox, caplog, filters: str, closed: str
) -> None:
    api = account(Reading(count_filters=filters, count_closed=closed))
    total = len(api.conversations.records)
    opened = sum(1 for r in api.conversations.records.values() if r["status"] == "open")
    assert 0 < opened < total  # both views hold records: the readings differ
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert "but the API counted" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "count" in r.getMessage()]
    if READINGS[filters, closed]:
        assert _done_line(caplog).startswith(f"conversations: {total:,} of {total:,} (100.0%)")
    else:  # the count says the open view's size: the end says so, in an info line
        assert f"the API counted {opened} records, as many as were emitted from the open view" in caplog.text
    if filters == "rejects":
        assert "the count was not had for each walk's own filters (" in caplog.text


def test_each_walks_count_carries_its_own_inboxes_and_view(start_sandbox) -> None:
    api = account(Reading(count_filters="honours", count_closed="open"))
    run_sync(config_for(start_sandbox(api).url))
    scoped = [r.body for r in api.requests if r.path == COUNT and "filters" in r.body]
    inboxes = sorted(api.inbox_members)
    assert sorted((sorted(b["filters"]["inboxes"]), b["filters"]["closed"]) for b in scoped) == [
        (inboxes, False),
        (inboxes, True),
    ]
    assert all(b["id"] == 9001 and "date" not in b for b in scoped)


def test_a_narrowed_sync_reads_against_its_own_total_where_the_count_takes_filters(
    start_sandbox, caplog
) -> None:
    api = account(Reading(count_filters="honours"))
    inbox = sorted(api.inbox_members)[0]
    wanted = sum(1 for r in api.conversations.records.values() if r["_inbox"] == inbox)
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url, inboxes=[inbox]))
    assert len(result.ids()) == wanted
    assert _done_line(caplog).startswith(f"conversations: {wanted:,} of {wanted:,} (100.0%)")


def test_a_narrowed_sync_shows_no_total_where_the_count_ignores_filters(start_sandbox, caplog) -> None:
    api = account(Reading(count_filters="ignores"))
    inbox = sorted(api.inbox_members)[0]
    with caplog.at_level(logging.INFO):
        run_sync(config_for(start_sandbox(api).url, inboxes=[inbox]))
    assert " of " not in _done_line(caplog)  # the account's count is not this sync's total
    assert "but the API counted" not in caplog.text


def test_an_incremental_run_asks_no_scoped_count(start_sandbox) -> None:
    api = account(Reading(count_filters="honours"))
    url = start_sandbox(api).url
    first = run_sync(config_for(url))
    before = len([r for r in api.requests if r.path == COUNT])
    run_sync(config_for(url), state=first.final_state)
    assert len([r for r in api.requests if r.path == COUNT]) == before


@given(
    scopes=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8),
    closed=st.sampled_from(["both", "open"]),
    whole=st.booleans(),
)
def test_the_total_is_the_walks_own_whenever_honoured_filters_say_so(
    scopes: list[tuple[int, int]], closed: str, whole: bool
) -> None:
    """Each walk reads one view of some inboxes: ``scopes`` are (open, closed) records per
    inbox group, a walk per view. Whatever the unfiltered count reads an omitted ``closed`` as,
    honoured filters give the walks' true sum unless every walk's count equals the unfiltered
    one (then nothing tells honoured from ignored, and the unfiltered count stands); ignored
    filters give the unfiltered count on a whole account and no total on a narrowed one."""
    true = [n for group in scopes for n in group]
    unfiltered = sum(o for o, _c in scopes) + (sum(c for _o, c in scopes) if closed == "both" else 0)
    honoured = walks_total(unfiltered, list(true), whole)
    if all(n == unfiltered for n in true):
        assert honoured == (unfiltered if whole else None)
    else:
        assert honoured == sum(true)
    assert walks_total(unfiltered, [unfiltered] * len(true), whole) == (unfiltered if whole else None)
    assert walks_total(unfiltered, [*true[:-1], None], whole) == (unfiltered if whole else None)
    assert walks_total(None, list(true), whole) is None


def test_no_scoped_count_is_asked_under_unread(start_sandbox) -> None:
    """A count that took inboxes and view but not ``unread`` would count too many: the total
    stays the account's (and, ``unread`` narrowing the sync, there is none)."""
    api = account(Reading(count_filters="honours"))
    run_sync(config_for(start_sandbox(api).url, unread=True))
    assert not [r for r in api.requests if r.path == COUNT and "filters" in r.body]


def test_the_end_of_a_sync_does_not_wait_on_a_walks_count_that_hangs(
    start_sandbox, caplog, monkeypatch
) -> None:
    """A walk's count only corrects the total: one that never comes back costs no wait past
    FINAL_WAIT, and the unfiltered count stands."""
    release, answered = threading.Event(), []

    def hangs(self, body):
        release.wait(30)
        answered.append(body)
        return 0

    monkeypatch.setattr(run, "FINAL_WAIT", 0.05)
    monkeypatch.setattr(streams.ConversationsStream, "count_scoped", hangs)
    api = account()
    total = len(api.conversations.records)
    try:
        with caplog.at_level(logging.INFO):
            result = run_sync(config_for(start_sandbox(api).url))
        assert not answered, "the sync waited for the hanging count"
    finally:
        release.set()
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert _done_line(caplog).startswith(f"conversations: {total:,} of {total:,} (100.0%)")
