"""No single response decides what is skipped: a record out of place, a transient empty page,
a page number ignored or an odd saved value never narrows what a run reads silently.

Each misbehaviour is a sandbox switch (``heymarket_sandbox/readings.py``): ``hidden_sort`` (the server
orders by a key it does not show, so a record's shown value can be stale or early),
``filter_hidden`` (``date`` compares that key, not the shown value), ``transient_blank`` and
``ignore_page``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from heymarket_sandbox.readings import Reading
from heymarket_sandbox.server import Fault
from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk import splitting
from tap_heymarket.walk.strays import Handoff
from tests.cases import CASES, PAGE, account
from tests.harness import catalog_selecting, config_for, run_cli, run_sync
from tests.test_fatal_errors import assert_fails_cleanly, error_lines

CONVERSATIONS, CONTACTS = CASES[0], CASES[1]
STALE = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
CHANGED_AT = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
HIDDEN = [
    pytest.param(Reading(hidden_sort=True), id="filters-the-shown-value"),
    pytest.param(Reading(hidden_sort=True, filter_hidden=True), id="filters-the-hidden-key"),
]
WHERE = [pytest.param(p, id=name) for p, name in ((0, "first"), (PAGE // 2, "middle"), (PAGE - 1, "last"))]


def _largest_walk(case, api):
    walks = case.walks(api)
    return walks[max(walks, key=lambda key: len(walks[key]))]


@pytest.mark.parametrize("position", WHERE)
@pytest.mark.parametrize("reading", HIDDEN)
@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS], ids=str)
def test_a_stale_record_on_the_first_page_hides_nothing_and_is_named(
    start_sandbox, caplog, case, reading, position
) -> None:
    api = account(reading)
    stale = _largest_walk(case, api)[position]["id"]
    api.listing(case.stream).misplace(stale, STALE)
    config = config_for(start_sandbox(api).url)
    with caplog.at_level(logging.WARNING):
        result = run_sync(config, streams=[case.stream])
    assert set(result.ids(case.stream)) == set(case.records(api))
    named = f"id={stale} is out of place in the listing's order ({case.field}={format_instant(STALE)})"
    assert named in caplog.text
    assert "record(s) out of place in the listing's order" in caplog.text  # the closing line


@pytest.mark.parametrize("position", WHERE)
@pytest.mark.parametrize("reading", HIDDEN)
@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS], ids=str)
def test_a_stale_record_among_the_changes_hides_no_change_and_the_bookmark_passes_none(
    start_sandbox, case, reading, position
) -> None:
    api = account(reading)
    config = config_for(start_sandbox(api).url)
    first = run_sync(config, streams=[case.stream])
    walk = _largest_walk(case, api)
    changed = api.bump(case.stream, [r["id"] for r in walk[-60:]], CHANGED_AT)
    newest_first = sorted(changed, key=lambda i: changed[i], reverse=True)
    stale = newest_first[position]
    api.listing(case.stream).misplace(stale, STALE)

    second = run_sync(config, state=first.final_state, streams=[case.stream])

    assert set(changed) <= set(second.ids(case.stream))
    newest_in_place = max(v for i, v in changed.items() if i != stale)
    assert case.bookmark(second.final_state) == format_instant(newest_in_place)
    third = run_sync(config, state=second.final_state, streams=[case.stream])
    assert set(third.ids(case.stream)) <= {newest_first[0], stale} | {
        i for i, r in case.records(api).items() if r[case.field] == newest_in_place
    }


@pytest.mark.parametrize("blank", ["[]", "null", "{}"])
@pytest.mark.parametrize("spelling", ["mixed", "seconds"])
@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS], ids=str)
def test_a_transient_blank_page_mid_walk_loses_nothing_full_or_incremental(
    start_sandbox, case, spelling, blank
) -> None:
    api = account(Reading(transient_blank=blank, spelling=spelling))
    config = config_for(start_sandbox(api).url)
    first = run_sync(config, streams=[case.stream])
    assert set(first.ids(case.stream)) == set(case.records(api))
    changed = api.bump(case.stream, [r["id"] for r in _largest_walk(case, api)[-100:]], CHANGED_AT)
    second = run_sync(config, state=first.final_state, streams=[case.stream])
    assert set(changed) <= set(second.ids(case.stream))
    assert case.bookmark(second.final_state) == format_instant(max(changed.values()))


def test_an_empty_listing_costs_one_confirming_request_not_one_a_page(start_sandbox) -> None:
    api = account()
    api.listings["/v1/tags"].records.clear()
    api.listings["/v1/tags"].changed()
    run_sync(config_for(start_sandbox(api).url), streams=["tags"])
    assert api.request_count("/v1/tags") == 2


def test_a_walk_that_ends_on_empty_pages_above_what_the_count_says_warns_naming_the_gap(
    start_sandbox, caplog
) -> None:
    api = account()
    # the first page, then three empty answers: a witness retry, the page and its confirmation
    api.faults.append(Fault("status", status=200, body=b"[]", path="/v1/conversations", after=1, times=3))
    config = config_for(start_sandbox(api).url, closed=False, max_concurrency=1)
    with caplog.at_level(logging.WARNING):
        run_sync(config)
    assert "ended on an empty page (asked twice), but the count endpoint says" in caplog.text
    assert "record(s) lie below 2" in caplog.text


def _cli(tmp_path, url, streams, *args):
    settings = config_for(url)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(settings, streams)))
    return run_cli(tmp_path, settings, "--catalog", str(catalog), *args)


def test_a_page_number_listing_that_ignores_the_page_stops_with_one_line(start_sandbox, tmp_path) -> None:
    api = account(Reading(ignore_page=True))
    api.data.surveys[:] = [{**api.data.surveys[0], "id": 7000 + n} for n in range(45)]
    done = _cli(tmp_path, start_sandbox(api).url, ["surveys"])
    errors = assert_fails_cleanly(done)
    assert (
        "surveys: cannot walk POST /v1/surveys at page=2: page 2 brought no record not already read" in errors
    )
    assert api.request_count("/v1/surveys") == 2
    assert sum(1 for line in done.stdout.splitlines() if '"RECORD"' in line) == 30


def test_a_page_number_listing_reads_every_page_when_it_honours_the_page(start_sandbox) -> None:
    api = account()
    api.data.surveys[:] = [{**api.data.surveys[0], "id": 7000 + n} for n in range(75)]
    result = run_sync(config_for(start_sandbox(api).url), streams=["surveys"])
    assert sorted(result.ids("surveys")) == [7000 + n for n in range(75)]


@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS, CASES[4]], ids=str)
def test_a_bookmark_in_the_future_reads_nothing_warns_every_run_and_is_kept(
    start_sandbox, caplog, case
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    future = "2999-01-01T00:00:00.000000Z"
    state = {"bookmarks": {case.stream: {"replication_key": case.field, "replication_key_value": future}}}
    for _run in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            result = run_sync(config, state=state, streams=[case.stream])
        assert result.ids(case.stream) == []
        assert f"{case.stream}: the saved bookmark {future} is later than this run's start" in caplog.text
        assert f"remove bookmarks.{case.stream} from the state file" in caplog.text
        state = result.final_state
        assert case.bookmark(state) == future


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("{not json", "is not valid JSON (line 1, column 2)"),
        ('{"bookmarks": []}', "'bookmarks' is a JSON array, not an object of streams"),
        ('{"bookmarks": {"contacts": "2024"}}', "'bookmarks.contacts' is a JSON string"),
        ("[]", "holds a JSON array, not a state object"),
        ('"state"', "holds a JSON string, not a state object"),
    ],
)
def test_a_state_file_that_is_not_a_state_is_one_line_naming_the_file(
    start_sandbox, tmp_path, text, says
) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    done = _cli(tmp_path, start_sandbox(account()).url, ["contacts"], "--state", str(path))
    errors = assert_fails_cleanly(done)
    assert f"state file {path}" in errors and says in errors
    assert "omit --state to start over" in errors
    assert len(error_lines(done)) == 1


@pytest.mark.parametrize("streams", [["contacts"], ["contacts", "surveys"], ["tags", "templates"]], ids=str)
def test_a_run_that_changes_nothing_still_ends_with_a_state_after_its_last_record(
    start_sandbox, streams
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    first = run_sync(config, streams=streams)
    second = run_sync(config, state=first.final_state, streams=streams)
    assert any(m["type"] == "RECORD" for m in second.messages)  # records at the bookmark, re-sent
    assert second.messages[-1]["type"] == "STATE"
    assert second.final_state == first.final_state


@pytest.mark.parametrize("reading", HIDDEN)
@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS], ids=str)
def test_a_record_out_of_place_with_a_later_value_never_sets_the_bookmark(
    start_sandbox, case, reading
) -> None:
    api = account(reading)
    walk = _largest_walk(case, api)
    newest_in_place = case.newest(api)
    api.listing(case.stream).misplace(walk[5]["id"], dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    config = config_for(start_sandbox(api).url)
    first = run_sync(config, streams=[case.stream])
    assert case.bookmark(first.final_state) == newest_in_place
    changed = api.bump(case.stream, [r["id"] for r in walk[-5:]], CHANGED_AT)  # below the stray's value
    second = run_sync(config, state=first.final_state, streams=[case.stream])
    assert set(changed) <= set(second.ids(case.stream))


@pytest.mark.parametrize("reading", HIDDEN)
def test_in_a_split_walk_a_stale_record_above_the_boundary_is_emitted_once(
    start_sandbox, monkeypatch, latency_bound, reading
) -> None:
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 4)  # the test account is small: let its walks split
    api = account(reading)
    walk = _largest_walk(CONVERSATIONS, api)
    stale = [walk[n]["id"] for n in (40, 70, 100)]  # kept by the server above the boundary
    for record_id in stale:
        api.conversations.misplace(record_id, STALE)
    result = run_sync(config_for(start_sandbox(api).url))
    assert any("date" in r.body for r in api.requests if r.path == "/v1/conversations/count")  # split
    ids = result.ids()
    assert sorted(ids) == sorted(api.conversations.records)  # every one, once


def test_the_closing_line_names_at_most_twenty_records_out_of_place(start_sandbox, caplog) -> None:
    api = account(Reading(out_of_order=True))
    with caplog.at_level(logging.WARNING):
        run_sync(config_for(start_sandbox(api).url))
    lines = [r.getMessage() for r in caplog.records]
    closing = next(line for line in lines if "record(s) out of place in the" in line)
    assert closing.count("id=") == 20
    assert "more (each named in its own warning)" in closing


def test_in_a_split_walk_an_early_record_kept_below_the_boundary_is_emitted_once(
    start_sandbox, monkeypatch, latency_bound
) -> None:
    """A record the server keeps far below a boundary, showing a value above it: the window
    below is the only one whose requests reach it (the one above stops at the boundary).

    Only where ``date`` compares the hidden key: where it compares the shown value, no
    request after the first pages returns such a record, split or not (README, "How
    incremental replication works").
    """
    monkeypatch.setattr(splitting, "MIN_ACCOUNT_PAGES", 4)  # the test account is small: let its walks split
    api = account(Reading(hidden_sort=True, filter_hidden=True))
    walk = _largest_walk(CONVERSATIONS, api)
    early = walk[3]["updated"] - dt.timedelta(milliseconds=1)  # above any boundary
    for n in (-40, -70):
        api.conversations.misplace(walk[n]["id"], early)
    result = run_sync(config_for(start_sandbox(api).url))
    assert any("date" in r.body for r in api.requests if r.path == "/v1/conversations/count")  # split
    assert sorted(result.ids()) == sorted(api.conversations.records)  # every one, once


@pytest.mark.parametrize("reading", HIDDEN)
def test_a_record_out_of_place_below_the_bookmark_goes_out_with_its_page_not_at_the_walks_end(
    start_sandbox, reading
) -> None:
    """Only a record below a split boundary (but above the walk's own floor) is held for the
    window below; one below the bookmark is emitted at once, so a run that dies later has
    still emitted it."""
    api = account(reading)
    config = config_for(start_sandbox(api).url, closed=False, max_concurrency=1)
    first = run_sync(config)
    walk = CONVERSATIONS.walks(api)[(False,)]
    changed = api.bump(CONVERSATIONS.stream, [r["id"] for r in walk[-60:]], CHANGED_AT)
    stale = sorted(changed, key=lambda i: changed[i], reverse=True)[PAGE // 2]  # on the first page
    api.conversations.misplace(stale, STALE)
    api.faults = [Fault("status", status=400, path=CONVERSATIONS.path, after=1, times=10**6)]
    second = run_sync(config, state=first.final_state, raise_errors=False)
    assert second.error is not None
    assert stale in second.ids()


def test_a_stray_a_later_window_cannot_tell_from_its_records_is_still_emitted_once() -> None:
    # a window split off near the listing's end may show more strays than records in place on
    # its first page: its order then names the records in place as the odd ones, not the strays
    handoff = Handoff("id")
    stray = {"id": 7, "updated": "2020-01-01T00:00:00.000000Z"}
    first = [stray, {"id": 1, "updated": "2024-01-02T00:00:00.000000Z"}]
    assert handoff.fresh(first, [(7, stray["updated"])], "updated") == first
    last = [dict(stray), dict(stray, id=8), {"id": 2, "updated": "2024-01-01T00:00:00.000000Z"}]
    assert [r["id"] for r in handoff.fresh(last, [(2, last[2]["updated"])], "updated")] == [8, 2]
