"""``Retry-After`` as a date is read against the server's own clock; nonsense is no instruction."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
import requests

from heymarket_sandbox.server import Fault
from tap_heymarket import clock
from tap_heymarket.errors import retry_after_seconds
from tests.cases import account
from tests.harness import config_for, run_sync
from tests.test_retries import waits  # noqa: F401 (the fixture)


def _response(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def _http_date(when: float) -> str:
    return email.utils.formatdate(when, usegmt=True)


def test_a_date_is_measured_against_the_responses_date_header() -> None:
    local = 1_800_000_000.0
    server = local + 600  # the server's clock runs 10 min ahead
    response = _response(**{"Retry-After": _http_date(server + 3), "Date": _http_date(server)})
    assert retry_after_seconds(response, now=local) == 3.0


def test_without_a_readable_date_header_the_local_clock_is_used() -> None:
    local = 1_800_000_000.0
    for date in ({}, {"Date": "yesterday-ish"}):
        response = _response(**{"Retry-After": _http_date(local + 5), **date})
        assert retry_after_seconds(response, now=local) == 5.0


@pytest.mark.parametrize("value", ["-5", "-0.5", "nan", "soon", "", "Mon, 99 Foo 2026 99:99:99 GMT"])
def test_a_negative_or_unreadable_value_is_treated_as_absent(value: str) -> None:
    assert retry_after_seconds(_response(**{"Retry-After": value}), now=clock.wall()) is None


def test_a_date_in_the_past_means_now() -> None:
    local = 1_800_000_000.0
    response = _response(**{"Retry-After": _http_date(local - 30), "Date": _http_date(local)})
    assert retry_after_seconds(response, now=local) == 0.0


def test_a_skewed_server_asking_for_3_s_gets_about_3_s(start_sandbox, waits) -> None:  # noqa: F811
    api = account()
    api.clock_offset = 600
    server_now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=600)
    retry_at = email.utils.format_datetime(server_now + dt.timedelta(seconds=3), usegmt=True)
    api.faults = [Fault("status", status=429, headers={"Retry-After": retry_at}, path="/v1/conversations")]
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=1))
    assert len(waits) == 1 and 1.5 <= waits[0] <= 4.0  # not 300 s (the cap) nor 603 s
    assert sorted(result.ids()) == sorted(api.conversations.records)


def test_a_negative_retry_after_backs_off_as_without_one(start_sandbox, waits) -> None:  # noqa: F811
    api = account()
    api.faults = [Fault("status", status=429, headers={"Retry-After": "-5"}, path="/v1/conversations")]
    run_sync(config_for(start_sandbox(api).url, max_concurrency=1))
    assert len(waits) == 1 and 0.5 <= waits[0] <= 1.0  # the first backoff step, not an immediate retry
