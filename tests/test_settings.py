"""Settings checks that need no server: which hosts count as loopback, what warns."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_heymarket import settings

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "127.0.0.1", "127.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "0x7f.1"],
)
def test_every_spelling_of_a_loopback_host_may_use_plain_http(host: str) -> None:
    url = f"http://[{host}]:8765" if ":" in host else f"http://{host}:8765"
    assert settings.problems({"api_key": "k", "api_url": url}) == []


@pytest.mark.parametrize("host", ["example.com", "128.0.0.1", "10.0.0.1", "[::2]", "localhost.example.com"])
def test_other_hosts_need_https(host: str) -> None:
    found = settings.problems({"api_key": "k", "api_url": f"http://{host}:8765"})
    assert len(found) == 1 and found[0].startswith("api_url:")


def test_unknown_keys_warn_with_the_closest_setting_or_none() -> None:
    known = settings.TAP_SETTINGS
    found = settings.warnings({"api_key": "k", "inbox": [1], "satrt_date": "x", "zzz": 1}, known, NOW)
    assert found == [
        "config: 'inbox' is not a tap-heymarket setting and is ignored; did you mean 'inboxes'?",
        "config: 'satrt_date' is not a tap-heymarket setting and is ignored; did you mean 'start_date'?",
        "config: 'zzz' is not a tap-heymarket setting and is ignored",
    ]


def test_only_a_start_date_after_now_warns() -> None:
    known = settings.TAP_SETTINGS
    assert settings.warnings({"start_date": "2026-11-24T23:59:59Z"}, known, NOW) == []
    (line,) = settings.warnings({"start_date": "2026-11-25T00:00:01Z"}, known, NOW)
    assert line.startswith("start_date: 2026-11-25T00:00:01.000000Z is in the future")
