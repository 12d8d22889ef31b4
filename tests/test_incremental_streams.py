"""The core guarantees, proved for every incremental stream under every reading of the cursor
(parametrised, not copied): exactly-once full syncs through ties, incremental runs that stop
at the bookmark with a bounded number of requests, and an exact final state."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from heymarket_sandbox.readings import Reading
from tap_heymarket.walk.page_order import OUT_OF_PLACE_TOLERANCE
from tests.cases import CASES, PAGE, READING_PARAMS, REFERENCE, StreamCase, account, config_extra
from tests.harness import config_for, run_sync

CHANGED_AT = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
STREAM_PARAMS = [pytest.param(c, id=str(c)) for c in CASES]


def _full_sync(start_sandbox, case: StreamCase, reading: Reading):
    api = account(reading)
    url = start_sandbox(api).url
    config = config_for(url, **config_extra(case))
    return api, config, run_sync(config, streams=[case.stream])


@pytest.mark.parametrize("reading", READING_PARAMS)
@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_full_sync_emits_every_record_once_and_bookmarks_the_newest(
    start_sandbox, case: StreamCase, reading: Reading
) -> None:
    api, _config, result = _full_sync(start_sandbox, case, reading)
    ids = result.ids(case.stream)
    assert len(ids) == len(set(ids)), "a record was emitted twice"
    assert sorted(ids) == sorted(case.records(api))
    state = case.stream_state(result.final_state)
    assert case.bookmark(result.final_state) == case.newest(api)
    noted = {"unsettled_since"} if case.stream == "messages" else set()  # what can still change
    assert set(state) <= {"replication_key", "replication_key_value", "covered", *noted}
    assert state["replication_key"] == case.field
    # a page brings PAGE - OUT_OF_PLACE_TOLERANCE - 1 new records: the cursor re-reads the
    # tail of each page, which no client can tell from records out of place (page_order.py)
    fresh = PAGE - OUT_OF_PLACE_TOLERANCE - 1
    pages = {walk: math.ceil(len(rows) / fresh) for walk, rows in case.walks(api).items()}
    per_walk = case.requests_per_walk(api)
    # the floor: a page per `fresh` records and the repeated last one per walk, plus 5% for
    # tie groups that a page boundary splits (re-sent once); a server that compares whole
    # seconds costs one request more, once per run
    slack = 0 if reading == REFERENCE else 1
    floor = sum(pages.values()) + len(pages)
    assert sum(per_walk.values()) <= math.ceil(1.05 * floor) + slack


@pytest.mark.parametrize(
    ("reading", "k"),
    [pytest.param(p.values[0], k, id=f"{p.id}-k{k}") for p in READING_PARAMS for k in (0, 47)]
    + [pytest.param(REFERENCE, k, id=f"reference-k{k}") for k in (1, 30)],
)
@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_incremental_run_reads_only_down_to_the_bookmark(
    start_sandbox, case: StreamCase, reading: Reading, k: int
) -> None:
    api, config, first = _full_sync(start_sandbox, case, reading)
    walks = case.walks(api)
    changed_walk = max(walks, key=lambda key: len(walks[key]))
    # change the k oldest records of the largest walk: they jump from the bottom to the top
    changed = api.bump(case.stream, [r["id"] for r in walks[changed_walk][-k:]] if k else [], CHANGED_AT)
    api.requests.clear()

    second = run_sync(config, state=first.final_state, streams=[case.stream])

    bookmark = case.bookmark(first.final_state)
    resent = {
        r["id"]
        for r in case.records(api).values()
        if case.printed(api, r) == bookmark and r["id"] not in changed
    }
    emitted = second.ids(case.stream)
    assert len(emitted) == len(set(emitted))
    per_walk = case.requests_per_walk(api)
    wanted = set(changed) | resent
    assert wanted <= set(emitted)
    # a record the server puts out of place is emitted wherever it stands, even below the
    # bookmark (its value says nothing about its place): one a page under this reading
    extra = set(emitted) - wanted
    assert len(extra) <= (sum(per_walk.values()) if reading.out_of_order else 0)
    slack = 0 if reading == REFERENCE else 1
    assert per_walk[changed_walk] <= math.ceil(k / PAGE) + 1 + slack
    assert per_walk[changed_walk] >= math.ceil((k + 1) / PAGE)  # k changes + one older record
    assert all(count == 1 for key, count in per_walk.items() if key != changed_walk)
    assert set(per_walk) == set(walks)
    expected = case.printed(api, {case.field: max(changed.values())}) if k else bookmark
    assert case.bookmark(second.final_state) == expected
    assert "resume" not in case.stream_state(second.final_state)
