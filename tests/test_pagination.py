"""The one timestamp spelling the cursor relies on (the cursor itself: test_cursor.py)."""

from __future__ import annotations

import pytest

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
