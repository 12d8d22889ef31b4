"""The IDs a window keeps to drop re-sent records are bounded by the cursor's overlap, not by
the records it has read: a walk ten times longer keeps no more of them."""

from __future__ import annotations

import typing as t

import pytest

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.readings import Reading
from tap_heymarket import timestamps
from tap_heymarket.walk import walker
from tests.harness import config_for, run_sync


def _largest_seen(start_sandbox, monkeypatch, conversations: int, reading: Reading) -> int:
    sizes: list[int] = []
    forget = walker._forget_above

    def spy(seen: dict[t.Any, str], cursor: t.Any) -> None:
        forget(seen, cursor)
        sizes.append(len(seen))

    monkeypatch.setattr(walker, "_forget_above", spy)
    api = SandboxAPI(generate(conversations, 1, seed=3), page_size=30)
    api.reading = reading
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=1))
    assert set(result.ids()) == set(api.conversations.records)
    return max(sizes)


@pytest.mark.parametrize(
    "reading", [Reading(), Reading(precision="s", inclusive=True), Reading(limit="honours")], ids=str
)
def test_seen_ids_do_not_grow_with_the_records_read(start_sandbox, monkeypatch, reading: Reading) -> None:
    # each view's walk reads about 150, then 1,500 records; what it keeps is what lies within
    # the overlap of one cursor (a second or so of records), whatever the walk's length
    short = _largest_seen(start_sandbox, monkeypatch, 300, reading)
    long = _largest_seen(start_sandbox, monkeypatch, 3000, reading)
    assert short <= 10 and long <= 10, (short, long)


def test_the_timestamp_cache_holds_a_bounded_number_of_values_however_many_are_read() -> None:
    # each record's instants are normalised several times close together (shaping, cursor,
    # bookmark); a cache sized for the whole account grew the tap's memory with the records read
    timestamps._normalize_text.cache_clear()
    for second in range(20_000):
        timestamps.normalize_instant(f"2024-01-01T00:00:00.{second:06d}+00:00")
    assert timestamps._normalize_text.cache_info().currsize <= timestamps.NORMALIZED_CACHE <= 2048
