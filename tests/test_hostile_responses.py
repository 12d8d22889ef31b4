"""Odd but valid responses are read faithfully; records that cannot be shaped are skipped, counted.

Every case goes over real HTTP: the sandbox splices raw JSON items at the front of the first
page of one slice (inbox 5001, open view), or reshapes the whole answer.
"""

from __future__ import annotations

import logging
import time
import types

import backoff._sync
import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket.walk import pagination
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]
PATH = "/v1/conversations"
FUTURE = '"2030-01-01T00:00:00Z"'
DEEP = b"[" * 1200 + b"]" * 1200


def _good_ids(api) -> list[int]:
    return sorted(
        c["id"] for c in api.conversations.records.values() if c["_inbox"] == 5001 and c["status"] == "open"
    )


def _sync_with_spliced(start_sandbox, caplog, *items: bytes, **config):
    api = account()
    api.faults = [Fault("splice", body=b",".join(items), path=PATH)]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, inboxes=[5001], closed=False, **config))
    return api, result


def _skip_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "skipping a record" in r.getMessage()]


def test_page_items_that_are_not_objects_are_skipped_and_counted(start_sandbox, caplog) -> None:
    api, result = _sync_with_spliced(start_sandbox, caplog, b"5", b'"text"', b"null", b"[1, 2]", b"true")
    assert sorted(result.ids()) == _good_ids(api)
    warnings = _skip_warnings(caplog)
    assert len(warnings) == 5
    assert any("a page item that is a JSON integer, not an object" in w for w in warnings)
    assert "conversations: skipped 5 bad record(s)" in caplog.text


def test_spellings_that_fit_the_schema_are_converted_faithfully(start_sandbox, caplog) -> None:
    api, result = _sync_with_spliced(
        start_sandbox,
        caplog,
        b'{"id": "999001", "updated": ' + FUTURE.encode() + b', "read": "false", "blocked": "true"}',
        b'{"id": 999002, "updated": "2030-01-01T00:00:00+00:00", "created": "0001-01-01T00:00:00Z",'
        b' "creator": "77", "super": 3.0, "read": 1}',
    )
    records = {r["id"]: r for r in result.records()}
    assert records[999001]["read"] is False and records[999001]["blocked"] is True
    assert records[999002]["created"] == "0001-01-01T00:00:00.000000Z"
    assert records[999002]["creator"] == 77 and records[999002]["super"] == 3
    assert records[999002]["read"] is True
    assert sorted(set(records) - {999001, 999002}) == _good_ids(api)
    assert _skip_warnings(caplog) == []


def test_a_lone_surrogate_escape_is_read_as_the_replacement_character(start_sandbox, caplog) -> None:
    _, result = _sync_with_spliced(
        start_sandbox, caplog, b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "name": "cut \\ud83d"}'
    )
    assert next(r for r in result.records() if r["id"] == 999001)["name"] == "cut \ufffd"
    assert not any("Retrying" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "last_inbound": NaN}', "'last_inbound': NaN"),
        (b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "x": Infinity}', "'x': NaN or an infinite"),
        (b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "x": ' + DEEP + b"}", "too deeply"),
        (
            b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "x": ' + b"[" * 150 + b"]" * 150 + b"}",
            "deeper",
        ),
        (b'{"id": 999001, "updated": "0001-01-01T00:00:00+05:30"}', "outside years 1-9999"),
        (b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "snooze_till": "soon"}', "'snooze_till'"),
        (b'{"id": "12abc", "updated": ' + FUTURE.encode() + b"}", "'id': a JSON string"),
        (b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "read": "maybe"}', "'read'"),
        (
            b'{"id": 999001, "updated": ' + FUTURE.encode() + b', "members": [{"id": null}]}',
            "'members[0].id'",
        ),
    ],
)
def test_a_record_that_cannot_be_shaped_faithfully_is_skipped_not_emitted_wrong(
    start_sandbox, caplog, item: bytes, reason: str
) -> None:
    api, result = _sync_with_spliced(start_sandbox, caplog, item)
    assert sorted(result.ids()) == _good_ids(api)
    warnings = _skip_warnings(caplog)
    assert len(warnings) == 1 and reason in warnings[0], warnings
    assert "conversations: skipped 1 bad record(s)" in caplog.text


def test_a_body_with_a_byte_order_mark_is_read_like_one_without(start_sandbox, caplog) -> None:
    api = account()
    api.faults = [Fault("bom", path=PATH, times=3)]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, inboxes=[5001], closed=False))
    assert api.faults == []  # three pages came with a BOM
    assert sorted(result.ids()) == _good_ids(api)
    assert not any("Retrying" in r.getMessage() for r in caplog.records)


def test_a_drip_fed_response_times_out_within_request_timeout_and_is_retried(
    start_sandbox, caplog, monkeypatch
) -> None:
    no_waits = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    no_waits.sleep = lambda seconds: None  # backoff's waits only: the sandbox still drips in real time
    monkeypatch.setattr(backoff._sync, "time", no_waits)
    api = account()
    api.faults = [Fault("drip", delay=0.05, path=PATH)]  # a page of ~10 kB would take ~10 minutes
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, inboxes=[5001], closed=False, request_timeout=1))
    assert time.monotonic() - started < 10
    assert sorted(result.ids()) == _good_ids(api)
    assert "did not finish the response within request_timeout (1 s)" in caplog.text
    assert "X-Request-Id sbx-" in caplog.text


def test_a_cursor_at_either_end_of_the_calendar_does_not_overflow() -> None:
    last, first = "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00.000000Z"
    assert pagination.step_above(last, pagination.ONE_S) == last
    assert pagination.below_ladder(first) == [first]
    paginator = pagination.UpdatedCursorPaginator()
    paginator.advance_page(pagination.PageValues([last, last], 2, 2))
    assert paginator.current_value == pagination.Cursor(last, covers=last)
