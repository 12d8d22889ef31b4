"""The window walker stands alone: it is not a stream, and walks a window through any source.

These tests give it a source of their own (a list of records served newest first, strictly
before ``date``, five a page, no HTTP) to show what the walker needs of a stream is only
what :class:`~tap_heymarket.walk.walker.WalkSource` names.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import typing as t

from singer_sdk.streams.core import Stream

import tap_heymarket.walk as walk_package
from tap_heymarket.walk import (
    inflight,
    page_size,
    pagination,
    plan,
    run,
    split_off,
    splitting,
    stream,
    walker,
)
from tap_heymarket.walk.page_size import PageRequest, PageSize
from tap_heymarket.walk.pagination import CursorPolicy
from tap_heymarket.walk.plan import Window
from tap_heymarket.walk.walker import WindowWalker

PAGE = 5


class _Counter:
    def with_context(self, _context: object) -> None:
        pass

    def increment(self) -> None:
        pass


class ListSource:
    """A listing of ``records`` (newest ``updated`` first), read "strictly before" ``date``."""

    name = "things"
    path = "/v1/things"
    http_method = "POST"
    primary_keys = ("id",)
    cursor_request_field = "date"
    cursor_field = "updated"
    splitter = None

    def __init__(self, records: list[dict[str, t.Any]]) -> None:
        self.records = sorted(records, key=lambda r: r["updated"], reverse=True)
        self.cursor_policy = CursorPolicy()
        self.page_size = PageSize(self.name, None)
        self.logger = logging.getLogger("test-window-walker")
        self.listing = self  # records_in
        self.dates: list[str | None] = []

    def records_in(self, body: t.Any) -> list[dict[str, t.Any]]:
        return list(body)

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        return dict(record)

    def fetch(self, _scope: t.Any, request: PageRequest) -> list[dict[str, t.Any]]:
        date = request.cursor.date if request.cursor is not None else None
        self.dates.append(date)
        return [r for r in self.records if date is None or r["updated"] < date][:PAGE]

    def count_before(self, _date: str | None) -> int:
        raise AssertionError("no count is asked of a source without a splitter")

    def get_http_request_counter(self) -> contextlib.AbstractContextManager[_Counter]:
        return contextlib.nullcontext(_Counter())


def _at(second: int) -> str:
    return f"2025-03-01T00:{second // 60:02d}:{second % 60:02d}.000000Z"


def _read(source: ListSource, window: Window) -> list[walker.Page]:
    return list(WindowWalker(source, inflight=None).read("0", window))


def test_a_window_is_read_whole_each_record_once_through_a_source_that_is_no_stream() -> None:
    records = [{"id": n, "updated": _at(n)} for n in range(23)]
    source = ListSource(records)
    pages = _read(source, Window({}))
    emitted = [r["id"] for page in pages for r in page.records]
    assert sorted(emitted) == list(range(23)) and len(emitted) == 23
    assert pages[-1].done and not any(page.done for page in pages[:-1])
    assert source.dates[0] is None and len(source.dates) >= 23 // PAGE


def test_ties_across_a_page_boundary_are_read_whole_under_strictly_before() -> None:
    """Four records share one ``updated`` and the first page ends inside their group."""
    newest = [{"id": n, "updated": _at(50 - n)} for n in range(3)]
    ties = [{"id": 10 + n, "updated": _at(30)} for n in range(4)]
    older = [{"id": 20 + n, "updated": _at(n)} for n in range(6)]
    records = newest + ties + older
    pages = _read(ListSource(records), Window({}))
    emitted = [r["id"] for page in pages for r in page.records]
    assert sorted(emitted) == sorted(r["id"] for r in records) and len(emitted) == len(records)
    assert not any(page.unreachable for page in pages)


def test_a_group_of_ties_longer_than_a_page_is_named_unreachable_not_dropped_silently() -> None:
    """Under "strictly before" no cursor reaches past a page of one value: the walk says so."""
    ties = [{"id": n, "updated": _at(30)} for n in range(8)]
    records = ties + [{"id": 100 + n, "updated": _at(n)} for n in range(4)]
    pages = _read(ListSource(records), Window({}))
    emitted = [r["id"] for page in pages for r in page.records]
    assert len(emitted) == len(set(emitted)), "each record once"
    assert {100, 101, 102, 103} <= set(emitted), "the walk goes on below the group"
    assert [value for page in pages for value in page.unreachable] == [_at(30)]


def test_a_window_stops_at_its_floor_and_keeps_nothing_below_it() -> None:
    records = [{"id": n, "updated": _at(n)} for n in range(40)]
    source = ListSource(records)
    pages = _read(source, Window({}, floor=_at(20)))
    emitted = {r["id"] for page in pages for r in page.records}
    assert emitted == set(range(20, 40))
    # each page re-asks its last three records (two out of place must not mislead the cursor)
    most = -(-20 // (PAGE - 3)) + 2
    assert len(source.dates) <= most, "the walk ends on the page that reaches below its floor"


def test_the_walk_package_has_one_stream_and_the_walker_is_not_one() -> None:
    """The walk's objects (walker, splits, plan, run, state, cursor) are plain objects; only
    :class:`NewestFirstStream` is a Stream, and it only starts a :class:`~run.Walk`."""
    modules = [inflight, page_size, pagination, plan, run, split_off, splitting, stream, walker]
    streams = {
        name
        for module in modules
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, Stream) and obj.__module__ == module.__name__
    }
    assert streams == {"NewestFirstStream"}
    assert not issubclass(WindowWalker, Stream) and not issubclass(run.Walk, Stream)
    assert walk_package.__doc__ and "Walk" in walk_package.__doc__
    body = inspect.getsource(stream.NewestFirstStream.get_records)
    assert "Walk(self)" in body and "for page" not in body
