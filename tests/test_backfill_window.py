"""Backfill windows (``end_date``): read exactly ``[start_date, end_date)`` whatever the saved
bookmark, starting the walk at ``end_date``; the bookmark never moves past ``end_date`` nor
back, so re-reading a past window leaves the next incremental run as cheap as before."""

from __future__ import annotations

import pytest

from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk.cursor import ceil_to_second
from tests.cases import CASES, account, config_extra
from tests.harness import config_for, run_sync

STREAM_PARAMS = [pytest.param(c, id=str(c)) for c in CASES]


def _window(api, case) -> tuple[str, str]:
    values = sorted(format_instant(r[case.field]) for r in case.records(api).values())
    return values[len(values) * 3 // 10], values[len(values) * 6 // 10]  # a record sits exactly on each


def _inside(api, case, start: str, end: str) -> set[int]:
    return {r["id"] for r in case.records(api).values() if start <= case.printed(api, r) < end}


@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_a_first_backfill_window_reads_exactly_the_window_and_bookmarks_below_its_end(
    start_sandbox, case
) -> None:
    api = account()
    start, end = _window(api, case)
    config = config_for(start_sandbox(api).url, start_date=start, end_date=end, **config_extra(case))
    result = run_sync(config, streams=[case.stream])
    ids = result.ids(case.stream)
    assert len(ids) == len(set(ids))
    assert set(ids) == _inside(api, case, start, end)
    assert case.bookmark(result.final_state) == max(
        case.printed(api, r) for r in case.records(api).values() if case.printed(api, r) < end
    )
    first = next(r for r in api.requests if r.path == case.path)
    assert first.body[("created_at" if case.stream == "messages" else "date")] == ceil_to_second(end)


@pytest.mark.parametrize("case", STREAM_PARAMS)
def test_re_reading_a_past_window_leaves_the_bookmark_and_the_next_run_alone(start_sandbox, case) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, **config_extra(case))
    full = run_sync(config, streams=[case.stream])
    start, end = _window(api, case)
    window = run_sync(
        {**config, "start_date": start, "end_date": end}, state=full.final_state, streams=[case.stream]
    )
    assert set(window.ids(case.stream)) == _inside(api, case, start, end)
    assert case.bookmark(window.final_state) == case.bookmark(full.final_state)
    assert case.stream_state(window.final_state).get("covered") == case.stream_state(full.final_state).get(
        "covered"
    )
    api.requests.clear()
    run_sync(config, state=window.final_state, streams=[case.stream])
    assert set(case.requests_per_walk(api).values()) == {1}  # idle: one request a walk, as before


def test_a_window_above_a_gap_keeps_the_bookmark_below_it(start_sandbox) -> None:
    case = CASES[1]  # contacts
    api = account()
    config = config_for(start_sandbox(api).url)
    values = sorted(format_instant(r["updated"]) for r in case.records(api).values())
    early = run_sync({**config, "end_date": values[50]}, streams=[case.stream])  # [beginning, values[50])
    held = case.bookmark(early.final_state)
    later = run_sync(
        {**config, "start_date": values[100], "end_date": values[150]},
        state=early.final_state,
        streams=[case.stream],
    )
    assert later.ids(case.stream)
    assert case.bookmark(later.final_state) == held  # [values[50], values[100]) was never read


def test_end_date_before_start_date_is_one_line_naming_the_setting(start_sandbox) -> None:
    api = account()
    result = run_sync(
        config_for(
            start_sandbox(api).url, start_date="2024-02-01T00:00:00Z", end_date="2024-01-01T00:00:00Z"
        ),
        raise_errors=False,
    )
    assert result.error is not None and "end_date: must be after start_date" in str(result.error)
    assert api.requests == []
