"""The demo account (``heymarket-sandbox``'s defaults) is one an analyst can learn on.

Its messages sit inside their conversations and go both ways; replies come minutes to about a
day after the contact wrote; and some closed conversations have a message from the contact
after the close (the agent answered, the conversation was closed, the contact wrote again),
so "closed" never means "nothing after the reply".
"""

from __future__ import annotations

import collections
import statistics
import typing as t

import pytest

from heymarket_sandbox import generate
from heymarket_sandbox.data import Dataset

DEFAULTS = {"seed": 7, "contacts": 400, "messages": 1000, "days": 90}  # heymarket-sandbox's


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return generate(2000, 3, **DEFAULTS)


def _threads(data: Dataset) -> dict[int, list[dict[str, t.Any]]]:
    threads: dict[int, list[dict[str, t.Any]]] = collections.defaultdict(list)
    for message in sorted(data.messages, key=lambda m: (m["date"], m["id"])):
        threads[message["conversation"]].append(message)
    return threads


def test_every_thread_starts_with_the_contact_after_its_conversation_was_created(demo: Dataset) -> None:
    conversations = {c["id"]: c for c in demo.conversations}
    threads = _threads(demo)
    assert all(thread[0]["user"] is None for thread in threads.values())
    assert all(m["date"] >= conversations[m["conversation"]]["created"] for m in demo.messages)
    both_ways = [t for t in threads.values() if {m["user"] is None for m in t} == {True, False}]
    assert len(both_ways) > len(threads) / 2


def test_first_replies_spread_from_minutes_to_about_a_day(demo: Dataset) -> None:
    waits = []
    for thread in _threads(demo).values():
        asked = thread[0]["date"]
        replies = [m["date"] for m in thread if m["user"] is not None]
        if replies:
            waits.append((replies[0] - asked).total_seconds() / 3600)
    assert len(waits) > 300
    assert 0 < min(waits) < 0.25 and 2 < statistics.median(waits) < 24 and max(waits) > 24


def test_some_closed_conversations_hear_from_the_contact_after_the_close(demo: Dataset) -> None:
    conversations = {c["id"]: c for c in demo.conversations}
    late = [
        thread
        for key, thread in _threads(demo).items()
        if conversations[key]["status"] == "closed"
        and thread[-1]["user"] is None
        and any(m["user"] is not None for m in thread)
    ]
    assert len(late) >= 20
    assert all(thread[-1]["status"] == "received" for thread in late)
    assert all(thread[-1]["date"] <= conversations[thread[-1]["conversation"]]["updated"] for thread in late)
