"""Larger pages where the server allows: ``page_size`` is sent as ``limit``, what the server does
with it is learnt from the stream's first page (honoured, capped lower, ignored or refused with a
400), and every record still arrives exactly once, under every reading of the cursor, resumably."""

from __future__ import annotations

import dataclasses
import math

import pytest

from heymarket_sandbox.readings import Reading
from heymarket_sandbox.server import Fault
from tap_heymarket.walk.page_size import PageSize, Sent
from tap_heymarket.walk.pagination import Cursor, CursorPolicy, PageValues, UpdatedCursorPaginator
from tests.cases import CASES, PAGE, READING_PARAMS, REFERENCE, StreamCase, account, config_extra
from tests.harness import config_for, run_sync

STREAM_PARAMS = [pytest.param(c, id=str(c)) for c in CASES]
#: What a server may do with ``limit``: every behaviour the tap must follow.
LIMIT_READINGS = ["honours", "45", "ignores", "rejects"]
ASKED = 100
CONVERSATIONS = CASES[0]


def _sync(start_sandbox, case: StreamCase, reading: Reading, **config):
    api = account(reading)
    url = start_sandbox(api).url
    settings = config_for(url, page_size=ASKED, **config_extra(case), **config)
    return api, settings, run_sync(settings, streams=[case.stream])


def _limits(api, case: StreamCase) -> list[object]:
    return [r.body.get("limit") for r in api.requests if r.path == case.path]


def _assert_exactly_once(api, case: StreamCase, result) -> None:
    ids = result.ids(case.stream)
    assert len(ids) == len(set(ids)), "a record was emitted twice"
    assert sorted(ids) == sorted(case.records(api))
    assert case.bookmark(result.final_state) == case.newest(api)


@pytest.mark.parametrize("limit", LIMIT_READINGS)
@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_every_record_arrives_once_whatever_the_server_does_with_limit(
    start_sandbox, case: StreamCase, limit: str
) -> None:
    api, _config, result = _sync(start_sandbox, case, Reading(limit=limit))
    _assert_exactly_once(api, case, result)
    refused = [r for r in api.requests if r.path == case.path and r.status == 400]
    assert len(refused) == (1 if limit == "rejects" else 0), "a refusal costs one request per stream and run"


@pytest.mark.parametrize("reading", READING_PARAMS)
@pytest.mark.parametrize("limit", ["honours", "45"])
@pytest.mark.parametrize("case", [CASES[0], CASES[-1]], ids=["conversations", "messages"])
def test_every_cursor_reading_holds_at_larger_pages(
    start_sandbox, case: StreamCase, reading: Reading, limit: str
) -> None:
    api, _config, result = _sync(start_sandbox, case, dataclasses.replace(reading, limit=limit))
    _assert_exactly_once(api, case, result)


@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_an_honoured_limit_needs_the_tie_safe_floor_of_requests_at_that_size(
    start_sandbox, case: StreamCase
) -> None:
    # one window at a time: a walk split into time windows pays each window's boundary pages,
    # which the floor does not count, and how far walks split depends on the machine's load
    api, _config, result = _sync(start_sandbox, case, Reading(limit="honours"), max_concurrency=1)
    _assert_exactly_once(api, case, result)
    walks = case.walks(api)
    # each page brings at most ``size - 1`` new records; the last page of each walk is empty or
    # repeated; the other walks' first pages or two go out while the probe is in flight (at
    # the server's own page size)
    floor = sum(math.ceil(len(rows) / (ASKED - 1)) + 1 for rows in walks.values())
    assert sum(case.requests_per_walk(api).values()) <= floor + 2 * (len(walks) - 1)
    assert sum(case.requests_per_walk(api).values()) < sum(math.ceil(len(r) / PAGE) for r in walks.values())


def test_a_capped_server_is_asked_for_what_it_serves(start_sandbox) -> None:
    # one walk at a time: the request log is in the order the tap decided
    api, _config, _result = _sync(start_sandbox, CONVERSATIONS, Reading(limit="45"), max_concurrency=1)
    limits = _limits(api, CONVERSATIONS)
    assert limits[:2] == [ASKED, ASKED], "the probe: its short page, then the page that shows a cap"
    assert set(limits[2:]) == {45}, "from then on: what the server serves"


def test_a_refused_limit_is_sent_again_without_it_and_never_again(start_sandbox) -> None:
    api, _config, _result = _sync(start_sandbox, CONVERSATIONS, Reading(limit="rejects"), max_concurrency=1)
    limits = _limits(api, CONVERSATIONS)
    assert limits[0] == ASKED
    assert set(limits[1:]) == {None}


def test_a_400_that_does_not_name_limit_still_fails_the_run(start_sandbox) -> None:
    api = account(Reading(limit="honours"))
    api.faults = [Fault("status", status=400, path="/v1/conversations", times=10**6)]
    result = run_sync(config_for(start_sandbox(api).url, page_size=ASKED), raise_errors=False)
    assert result.error is not None and "HTTP 400" in str(result.error)
    assert api.request_count("/v1/conversations") <= 2  # each walk's first request, not retried


@pytest.mark.parametrize("limit", ["honours", "45", "rejects"])
def test_a_run_at_larger_pages_that_dies_resumes_and_loses_nothing(start_sandbox, limit: str) -> None:
    api = account(Reading(limit=limit))
    config = config_for(start_sandbox(api).url, page_size=ASKED, max_concurrency=1)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=4, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None
    api.faults.clear()
    second = run_sync(config, state=first.states[-1])
    assert set(first.ids()) | set(second.ids()) == set(api.conversations.records)
    assert CONVERSATIONS.bookmark(second.final_state) == CONVERSATIONS.newest(api)
    assert "resume" not in CONVERSATIONS.stream_state(second.final_state)


# -- the mechanism, alone ------------------------------------------------------------------


def test_only_one_request_carries_limit_until_the_first_page_answers() -> None:
    size = PageSize("conversations", 100)
    probe = size.next_request()
    assert probe == Sent(100, probe=True)
    assert size.next_request() == Sent(None), "the other walks ask for the server's own page"
    size.seen(probe, 100)
    size.settle(probe, 100, 100, last=False)
    assert size.next_request() == Sent(100)


def test_a_short_page_followed_by_new_records_means_the_server_caps_it() -> None:
    size = PageSize("conversations", 100)
    probe = size.next_request()
    size.settle(probe, 30, 30, last=False)
    assert size.granted is None, "a short page may be the listing's end"
    assert size.next_request(probe) == probe, "the walk that probes keeps the probe"
    assert size.next_request() == Sent(None)
    size.settle(probe, 30, 29, last=False)
    assert size.granted == 30
    assert size.next_request() == Sent(30)


def test_a_short_page_that_ends_the_listing_says_nothing_and_a_later_request_asks_again() -> None:
    size = PageSize("conversations", 100)
    probe = size.next_request()
    size.settle(probe, 75, 75, last=False)
    size.settle(probe, 1, 0, last=True)  # the walk's last page: only the tie at the oldest value
    assert size.granted is None
    assert size.next_request() == Sent(100, probe=True)
    size.settle(probe, 12, 12, last=True)
    assert size.next_request() == Sent(100, probe=True)


def test_a_probe_that_fails_for_another_reason_lets_the_next_request_ask() -> None:
    size = PageSize("conversations", 100)
    size.abandon(size.next_request())
    assert size.next_request() == Sent(100, probe=True)


def test_a_refusal_stops_limit_for_the_rest_of_the_run() -> None:
    size = PageSize("conversations", 100)
    probe = size.next_request()
    assert size.refuse(probe, "HTTP 400")
    assert size.next_request() == Sent(None)
    assert not size.refuse(Sent(None), "HTTP 400"), "a 400 without limit is not about limit"


def test_a_short_page_is_judged_against_pages_asked_with_the_same_limit() -> None:
    """A page of the server's own 30 with nothing new is not the listing's end because another
    request was granted 100: it is a full page, so the walk steps below its value."""
    policy = CursorPolicy()
    policy.note_page(100)  # another walk's page, asked with limit=100
    size = PageSize("conversations", 100)
    value = "2025-01-01T00:00:00.000000Z"
    paginator = UpdatedCursorPaginator(Cursor("2025-01-01T00:00:01.000000Z", covers=value), policy=policy)
    full = size.seen(Sent(None), 30)
    paginator.advance_page(PageValues([value] * 30, 30, 0, None, full=full))
    assert not paginator.finished
    assert paginator.current_value is not None and paginator.current_value.below == value


def test_the_reference_reading_ignores_limit_like_the_conversations_page() -> None:
    assert REFERENCE.limit == "ignores"


def test_an_empty_page_is_confirmed_with_the_same_limit_even_if_the_probe_settled_meanwhile(
    sandbox,
) -> None:
    """A transient blank answered to a request without ``limit`` (another walk held the probe)
    is asked again exactly so: with the limit the probe settled on since, it would be another
    request, which a second transient blank could answer (the walk would end early)."""
    from tap_heymarket.tap import TapHeymarket
    from tap_heymarket.walk.walker import WindowWalker

    stream = TapHeymarket(config=config_for(sandbox.url)).streams["contacts"]
    walker = WindowWalker(stream, inflight=None)
    stream.page_size.granted = 100  # the probe settled while the blank page was in flight
    blank = Sent(None)
    cursor = Cursor("2025-01-01T00:00:01.000000Z", covers="2025-01-01T00:00:00.000000Z", again=1)
    _body, sent = walker._fetch_page({}, cursor, blank)
    assert sent.limit is None
    assert "limit" not in sandbox.api.requests[-1].body
    _body, sent = walker._fetch_page({}, dataclasses.replace(cursor, again=0), blank)
    assert sandbox.api.requests[-1].body.get("limit") == 100  # a new page takes what was granted
