"""Conversations touched while a run pages jump above its start; the next run picks them up."""

from __future__ import annotations

import datetime as dt

from tap_heymarket import clock
from tap_heymarket.timestamps import format_instant
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def test_conversations_touched_mid_run_are_emitted_by_the_next_run(start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    walks = CONVERSATIONS.walks(api)
    reading, done = (True,), (False,)  # one worker: the open view's walk, then the closed one's
    below_cursor = walks[reading][-1]["id"]  # not reached yet when the touch happens
    already_read = walks[done][-1]["id"]
    seen: list[int] = []
    touched_at = clock.now().replace(microsecond=0) - dt.timedelta(seconds=5)

    def touch_mid_walk(sandbox, path, body) -> None:
        if path == "/v1/conversations" and CONVERSATIONS.walk_of_body(body) == reading:
            seen.append(1)
            if len(seen) == 2:
                sandbox.touch(below_cursor, touched_at)
                sandbox.touch(already_read, touched_at + dt.timedelta(seconds=1))

    api.on_request = touch_mid_walk
    first = run_sync(config)
    api.on_request = None
    assert below_cursor not in first.ids()  # it moved above the run's cursor while paging

    second = run_sync(config, state=first.final_state)
    emitted = {r["id"]: r["updated"] for r in second.records()}
    assert emitted[below_cursor] == format_instant(touched_at)
    assert emitted[already_read] == format_instant(touched_at + dt.timedelta(seconds=1))
    assert set(first.ids()) | set(second.ids()) == set(api.conversations.records)
