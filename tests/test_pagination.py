"""The tie-safe cursor paginator and the one timestamp spelling it relies on."""

from __future__ import annotations

import logging

import pytest

from tap_heymarket.pagination import UpdatedCursor, UpdatedCursorPaginator
from tap_heymarket.timestamps import TimestampError, normalize_instant


@pytest.mark.parametrize(
    "spelling",
    [
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:00+00:00",
        "2024-03-01T10:00:00.000Z",
        "2024-03-01T11:00:00.000000+01:00",
        "2024-03-01T10:00:00",
    ],
)
def test_every_spelling_of_an_instant_normalises_to_one_form(spelling: str) -> None:
    assert normalize_instant(spelling) == "2024-03-01T10:00:00.000000Z"


@pytest.mark.parametrize("bad", ["", "yesterday", None, 17, "2024-13-01T00:00:00Z"])
def test_a_value_that_is_not_an_instant_is_refused(bad: object) -> None:
    with pytest.raises(TimestampError):
        normalize_instant(bad)


def _page(*values: str) -> list[dict]:
    return [{"id": n, "updated": v} for n, v in enumerate(values)]


def test_the_next_cursor_is_just_after_the_last_records_updated() -> None:
    paginator = UpdatedCursorPaginator()
    paginator.advance_page(_page("2024-01-02T00:00:00Z", "2024-01-01T00:00:00.5+00:00"))
    assert paginator.current_value == UpdatedCursor("2024-01-01T00:00:00.500000Z", include_boundary=True)
    assert paginator.current_value.request_value == "2024-01-01T00:00:00.500001Z"


def test_an_empty_page_ends_the_listing() -> None:
    paginator = UpdatedCursorPaginator()
    paginator.advance_page([])
    assert paginator.finished


def test_a_full_page_of_one_value_seen_twice_steps_strictly_before_it(caplog) -> None:
    tied = _page(*["2024-01-01T00:00:00Z"] * 3)
    paginator = UpdatedCursorPaginator()
    paginator.advance_page(tied)
    assert paginator.current_value == UpdatedCursor("2024-01-01T00:00:00.000000Z", True)
    with caplog.at_level(logging.WARNING):
        paginator.advance_page(tied)
    assert paginator.current_value == UpdatedCursor("2024-01-01T00:00:00.000000Z", False)
    assert paginator.current_value.request_value == "2024-01-01T00:00:00.000000Z"
    assert "2024-01-01T00:00:00.000000Z" in caplog.text
    assert paginator.unreachable_values == ["2024-01-01T00:00:00.000000Z"]


def test_a_short_page_of_the_boundary_group_steps_on_without_a_warning(caplog) -> None:
    paginator = UpdatedCursorPaginator()
    paginator.advance_page(_page("2024-01-03T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"))
    with caplog.at_level(logging.WARNING):
        paginator.advance_page(_page("2024-01-01T00:00:00Z"))
    assert paginator.current_value == UpdatedCursor("2024-01-01T00:00:00.000000Z", False)
    assert caplog.text == ""


def test_a_resume_cursor_survives_state_and_rejects_garbage() -> None:
    cursor = UpdatedCursor("2024-01-01T00:00:00.000000Z", include_boundary=False)
    assert UpdatedCursor.from_state(cursor.to_state()) == cursor
    assert UpdatedCursor.from_state({"boundary": "not a time"}) is None
    assert UpdatedCursor.from_state("2024-01-01") is None
