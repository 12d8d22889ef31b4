"""The core guarantees, proved for every incremental stream (parametrised, not copied):
exactly-once full syncs through ties, incremental runs that stop at the bookmark with a
bounded number of requests, and exact per-slice final state."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tap_heymarket.timestamps import format_instant
from tests.cases import CASES, PAGE, StreamCase, account, config_extra
from tests.harness import config_for, run_sync

CHANGED_AT = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)


def _full_sync(start_sandbox, case: StreamCase):
    api = account()
    url = start_sandbox(api).url
    config = config_for(url, **config_extra(case))
    return api, config, run_sync(config, streams=[case.stream])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_full_sync_emits_every_record_exactly_once(start_sandbox, case: StreamCase) -> None:
    api, _config, result = _full_sync(start_sandbox, case)
    ids = result.ids(case.stream)
    assert len(ids) == len(set(ids)), "a record was emitted twice"
    assert sorted(ids) == sorted(case.records(api))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_full_sync_final_state_is_newest_value_per_slice(start_sandbox, case: StreamCase) -> None:
    api, _config, result = _full_sync(start_sandbox, case)
    expected = {key: case.newest(rows) for key, rows in case.slices(api).items()}
    assert case.bookmarks(result.final_state) == expected
    for slice_state in case.slice_states(result.final_state):
        assert set(slice_state) <= {"context", "replication_key", "replication_key_value"}
        assert slice_state["replication_key"] == ("date" if case.stream == "messages" else "updated")


@pytest.mark.parametrize("k", [0, 1, 30, 47])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_incremental_run_reads_only_down_to_the_bookmark(start_sandbox, case: StreamCase, k: int) -> None:
    api, config, first = _full_sync(start_sandbox, case)
    slices = case.slices(api)
    changed_slice = max(slices, key=lambda key: len(slices[key]))
    # change the k oldest records of the largest slice: they jump from the bottom to the top
    changed = api.bump(case.stream, [r["id"] for r in slices[changed_slice][-k:]] if k else [], CHANGED_AT)
    api.requests.clear()

    second = run_sync(config, state=first.final_state, streams=[case.stream])

    bookmarks = case.bookmarks(first.final_state)
    resent = {
        r["id"]
        for key, rows in slices.items()
        for r in rows
        if format_instant(r[case.field]) == bookmarks[key] and r["id"] not in changed
    }
    assert sorted(second.ids(case.stream)) == sorted(set(changed) | resent)
    per_slice = case.requests_per_slice(api)
    assert per_slice[changed_slice] <= math.ceil(k / PAGE) + 1
    assert per_slice[changed_slice] >= math.ceil((k + 1) / PAGE)  # k changes + one older record
    assert all(count == 1 for key, count in per_slice.items() if key != changed_slice)
    assert set(per_slice) == set(slices)
    new_bookmarks = case.bookmarks(second.final_state)
    if k:
        assert new_bookmarks[changed_slice] == format_instant(max(changed.values()))
    assert {key: v for key, v in new_bookmarks.items() if key != changed_slice} == {
        key: v for key, v in bookmarks.items() if key != changed_slice
    }
