"""Property (hypothesis): no record out of place hides a record in place, for any listing.

Any listing of more than one page, any page size, up to ``OUT_OF_PLACE_TOLERANCE`` records
whose shown ``updated`` is arbitrary while the server keeps them where they were
(``hidden_sort``), with ``date`` filtering either the shown value or the hidden key, under
strict or inclusive readings at micro- or whole-second precision: a full run emits every
record in place, an incremental run after changes (made after the first run, so valued after
its start) emits every change in place, and after each run every record in place at or below
the bookmark has been emitted with its current value (the bookmark never passes an unread
record in place). Each example runs the tap against a real sandbox server.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heymarket_sandbox import SandboxAPI, generate, serve
from heymarket_sandbox.readings import Reading
from tap_heymarket import clock
from tap_heymarket.timestamps import format_instant
from tap_heymarket.walk.page_order import OUT_OF_PLACE_TOLERANCE, cursor_bases, out_of_place
from tests.harness import config_for, run_sync

WALKS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
anywhen = st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2026, 6, 1)).map(
    lambda naive: naive.replace(microsecond=naive.microsecond // 1000 * 1000, tzinfo=dt.timezone.utc)
)


@st.composite
def listings(draw: st.DrawFn) -> dict[str, t.Any]:
    size = draw(st.integers(min_value=2 * OUT_OF_PLACE_TOLERANCE + 2, max_value=12))
    # more than one page: a listing smaller than one page whose records are all shown later
    # than the key the server filters on cannot be told from a server that ignores the cursor
    # (it stops with that one line after emitting them; README, "How incremental replication works")
    count = draw(st.integers(min_value=size + 1, max_value=70))
    odd_before = draw(st.integers(min_value=0, max_value=OUT_OF_PLACE_TOLERANCE))
    return {
        "page_size": size,
        "count": count,
        "seed": draw(st.integers(min_value=0, max_value=10_000)),
        "reading": Reading(
            hidden_sort=True,
            filter_hidden=draw(st.booleans()),
            precision=draw(st.sampled_from(["us", "s"])),
            inclusive=draw(st.booleans()),
        ),
        "odd_before": [
            (draw(st.integers(min_value=0, max_value=count - 1)), draw(anywhen)) for _ in range(odd_before)
        ],
        "changes": draw(st.integers(min_value=0, max_value=count)),
        "odd_after": [
            (draw(st.integers(min_value=0, max_value=count - 1)), draw(anywhen))
            for _ in range(draw(st.integers(min_value=0, max_value=OUT_OF_PLACE_TOLERANCE - odd_before)))
        ],
    }


def _in_place(api: SandboxAPI) -> dict[int, str]:
    """Records whose shown value is where the server keeps them, with that value as printed."""
    listing = api.listing("contacts")
    return {
        i: format_instant(api.reading.printed(r["updated"]))
        for i, r in listing.records.items()
        if listing.rank(r) == r["updated"]
    }


def _misplace(api: SandboxAPI, odd: list[tuple[int, dt.datetime]]) -> None:
    ids = sorted(api.listing("contacts").records)
    for index, value in odd:
        api.listing("contacts").misplace(ids[index], value)


def _no_unread_record_below(api: SandboxAPI, bookmark: str, latest: dict[int, str]) -> None:
    for record_id, value in _in_place(api).items():
        if value <= bookmark:
            assert latest.get(record_id) == value, f"{record_id} at {value} lies below the bookmark unread"


@given(listings())
@WALKS
def test_no_record_out_of_place_hides_a_record_in_place_full_or_incremental(case: dict[str, t.Any]) -> None:
    api = SandboxAPI(
        generate(
            10, 1, contacts=case["count"], messages=0, tags=0, templates=0, seed=case["seed"], tie_share=0
        ),
        page_size=case["page_size"],
    )
    api.reading = case["reading"]
    _misplace(api, case["odd_before"])
    sandbox = serve(api)
    try:
        config = config_for(sandbox.url)
        latest: dict[int, str] = {}
        first = run_sync(config, streams=["contacts"])
        latest.update({r["id"]: r["updated"] for r in first.records("contacts")})
        assert set(_in_place(api)) <= set(latest)
        bookmark = first.final_state["bookmarks"]["contacts"]["replication_key_value"]
        _no_unread_record_below(api, bookmark, latest)

        in_place = sorted(_in_place(api))
        # changes made after the first run carry values after its start (the server's clock)
        changed = api.bump("contacts", in_place[: case["changes"]], clock.now().replace(microsecond=0))
        _misplace(api, case["odd_after"])
        second = run_sync(config, state=first.final_state, streams=["contacts"])
        latest.update({r["id"]: r["updated"] for r in second.records("contacts")})
        emitted = set(second.ids("contacts"))
        assert {i for i, v in _in_place(api).items() if v > bookmark} <= emitted
        assert {i for i in changed if i in _in_place(api)} <= emitted
        _no_unread_record_below(
            api, second.final_state["bookmarks"]["contacts"]["replication_key_value"], latest
        )
    finally:
        sandbox.stop()


instants = st.integers(min_value=0, max_value=10**6).map(
    lambda n: format_instant(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=n))
)


@given(
    st.lists(instants, min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(min_value=0, max_value=40), instants), max_size=OUT_OF_PLACE_TOLERANCE),
)
@settings(WALKS, max_examples=400)
def test_the_cursor_base_is_never_below_a_value_in_place_and_few_are_named_out_of_place(
    in_place: list[str], odd: list[tuple[int, str]]
) -> None:
    page = sorted(in_place, reverse=True)  # in place: newest first
    for position, value in odd:
        page.insert(min(position, len(page)), value)
    assert cursor_bases(page)[0] >= min(in_place)
    assert len(out_of_place(page)) <= len(odd)
    assert out_of_place(sorted(page, reverse=True)) == []
