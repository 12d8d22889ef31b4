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

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.readings import Reading
from heymarket_sandbox.server import Fault
from tap_heymarket import streams
from tap_heymarket.walk import run
from tap_heymarket.walk.totals import Total, drift, walks_total
from tests.cases import PAGE, account
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


@pytest.mark.parametrize("filters", ["honours", "ignores"])
def test_a_narrowed_sync_asks_no_walks_count_and_shows_no_total(start_sandbox, caplog, filters: str) -> None:
    """No unfiltered count says what a sync narrowed by ``inboxes`` reads, so nothing can check
    the walks' counts against it (a count honouring the body in part would be believed)."""
    api = account(Reading(count_filters=filters))
    inbox = sorted(api.inbox_members)[0]
    with caplog.at_level(logging.INFO):
        run_sync(config_for(start_sandbox(api).url, inboxes=[inbox]))
    assert " of " not in _done_line(caplog)
    assert not [r for r in api.requests if r.path == COUNT and "filters" in r.body]
    assert "but the API counted" not in caplog.text


def _two_member_groups(reading: Reading) -> SandboxAPI:
    """The test account with its inboxes split between two members: two walks a view."""
    data = generate(600, 3, contacts=200, messages=300, tags=75, templates=70, seed=11)
    for n, inbox in enumerate(data.inboxes):
        inbox["members"] = [9001 + n % 2]
    api = SandboxAPI(data, page_size=PAGE)
    api.reading = reading
    return api


@pytest.mark.parametrize("part", ["inboxes", "closed"])
@pytest.mark.parametrize("closed", ["both", "open"])
def test_a_count_that_honours_the_body_in_part_leaves_the_unfiltered_count_standing(
    start_sandbox, caplog, part: str, closed: str
) -> None:
    """Over two member groups, walks' counts that honour only the inboxes (or only the view)
    add up to twice the account: they do not fit the unfiltered count and are not believed."""
    api = _two_member_groups(Reading(count_filters=part, count_closed=closed))
    total = len(api.conversations.records)
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert len([r for r in api.requests if r.path == COUNT and "filters" in r.body]) == 4
    assert "but the API counted" not in caplog.text
    if closed == "both":
        assert _done_line(caplog).startswith(f"conversations: {total:,} of {total:,} (100.0%)")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda unfiltered, body: 0, id="zero"),
        pytest.param(lambda unfiltered, body: unfiltered + 1, id="a conversation more, filters ignored"),
        pytest.param(lambda unfiltered, body: unfiltered - body["filters"]["closed"], id="one lagging"),
    ],
)
def test_walks_counts_that_do_not_fit_the_unfiltered_count_leave_it_standing(
    start_sandbox, caplog, monkeypatch, answer
) -> None:
    api = account()
    total = len(api.conversations.records)
    monkeypatch.setattr(streams.ConversationsStream, "count_scoped", lambda self, body: answer(total, body))
    with caplog.at_level(logging.INFO):
        run_sync(config_for(start_sandbox(api).url))
    assert _done_line(caplog).startswith(f"conversations: {total:,} of {total:,} (100.0%)")
    assert "but the API counted" not in caplog.text


def test_a_backfill_up_to_end_date_is_not_checked_against_the_whole_count(start_sandbox, caplog) -> None:
    """``end_date`` alone (no ``start_date``): the run reads only what lies below it, which the
    unfiltered count does not say; it used to end warning of records lost."""
    api = account()
    values = sorted(r["updated"] for r in api.conversations.records.values())
    end = values[len(values) // 2].strftime("%Y-%m-%dT%H:%M:%SZ")
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url, end_date=end))
    assert 0 < len(result.ids()) < len(values)
    assert "but the API counted" not in caplog.text
    assert not [r for r in api.requests if r.path == COUNT and "filters" in r.body]


def test_a_refused_walks_count_names_status_and_request_not_credentials(start_sandbox, caplog) -> None:
    """A 401 or 403 to a probe, while every listing works, is no advice to check the key."""
    api = account()
    api.faults = [Fault("status", status=403, body=b'{"error":"denied"}', path=COUNT, after=1, times=2)]
    with caplog.at_level(logging.INFO):
        result = run_sync(config_for(start_sandbox(api).url))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    line = next(r.getMessage() for r in caplog.records if "each walk's own filters" in r.getMessage())
    assert "HTTP 403 on POST /v1/conversations/count" in line and "api_key" not in line


def test_an_incremental_run_asks_no_scoped_count(start_sandbox) -> None:
    api = account(Reading(count_filters="honours"))
    url = start_sandbox(api).url
    first = run_sync(config_for(url))
    before = len([r for r in api.requests if r.path == COUNT])
    run_sync(config_for(url), state=first.final_state)
    assert len([r for r in api.requests if r.path == COUNT]) == before


@given(
    groups=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=4),
    closed=st.sampled_from(["both", "open"]),
    reading=st.sampled_from(["honours", "ignores", "inboxes", "closed", "drifted", "lagging"]),
)
def test_the_walks_counts_are_believed_only_where_they_fit_the_unfiltered_count(
    groups: list[tuple[int, int]], closed: str, reading: str
) -> None:
    """Member groups hold (open, closed) records; each has a walk per view. Whatever a server
    makes of the body, the total is the account's true one, or the unfiltered count with
    ``checked`` False (the closing check may then still blame an omitted ``closed``): never a
    sum that a partial reading doubled, nor one of counts that drifted."""
    opened, shut = sum(o for o, _c in groups), sum(c for _o, c in groups)
    true = opened + shut
    unfiltered = true if closed == "both" else opened
    everything = [o + c for o, c in groups]
    answers = {
        "honours": [(True, o) for o, _c in groups] + [(False, c) for _o, c in groups],
        "ignores": [(view, unfiltered) for view in (True, False) for _g in groups],
        "inboxes": [(view, n) for view in (True, False) for n in everything],
        "closed": [(True, opened) for _g in groups] + [(False, shut) for _g in groups],
        "drifted": [(view, unfiltered + 1) for view in (True, False) for _g in groups],
        "lagging": [(True, unfiltered), (False, unfiltered - 1)],  # ignored, one a record behind
    }
    total = walks_total(unfiltered, answers[reading])
    assert total.value in (true, unfiltered)
    if total.value != true:
        assert not total.checked and closed == "open"
    if total.checked:
        assert total.value == true
    if reading == "honours" and (closed == "both" or abs(shut - opened) > drift(unfiltered)):
        assert total == Total(true, checked=True)
    assert walks_total(unfiltered, [*answers[reading][:-1], (False, None)]) == Total(unfiltered)
    assert walks_total(None, answers[reading]).value is None


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
