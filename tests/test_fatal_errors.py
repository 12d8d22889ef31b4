"""Fatal errors end the run with one clear line, a non-zero exit and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from heymarket_sandbox.server import Fault
from tests.cases import account
from tests.harness import catalog_selecting, config_for, run_cli

TAP = str(Path(sys.executable).with_name("tap-heymarket"))


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if "| ERROR" in line or "| CRITICAL" in line]


def assert_fails_cleanly(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    return "\n".join(error_lines(done))


def test_rejected_key_is_one_line_naming_the_setting_to_check(start_sandbox, tmp_path) -> None:
    api = account()
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, api_key="wrong-key"))
    errors = assert_fails_cleanly(done)
    assert "Heymarket rejected the credentials (HTTP 401" in errors
    assert "check api_key" in errors
    assert "X-Request-Id sbx-" in errors
    assert sum("rejected the credentials" in line for line in done.stderr.splitlines()) == 1


def test_rejected_secret_pair_names_the_secret_settings(start_sandbox, tmp_path) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, api_secret_id="sandbox-id", api_secret_key="not-it")
    del config["api_key"]
    errors = assert_fails_cleanly(run_cli(tmp_path, config))
    assert "check api_secret_id/api_secret_key" in errors


def test_denied_only_selected_stream_is_one_line_naming_stream_and_settings(start_sandbox, tmp_path) -> None:
    api = account()
    api.denied_paths.add("/v1/conversations")
    config = config_for(start_sandbox(api).url)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    errors = assert_fails_cleanly(run_cli(tmp_path, config, "--catalog", str(catalog)))
    assert "Heymarket denied access to 'conversations' (HTTP 403" in errors
    assert "user_id is a member" in errors


def test_other_client_errors_quote_status_endpoint_and_body(start_sandbox, tmp_path) -> None:
    api = account()
    api.faults.append(
        Fault(
            "status",
            status=400,
            body=b'{"error":"bad_data","detail":"inboxes invalid"}',
            path="/v1/conversations",
            times=10,
        )
    )
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    errors = assert_fails_cleanly(run_cli(tmp_path, config))
    assert "HTTP 400 Bad Request on POST /v1/conversations (X-Request-Id sbx-" in errors
    assert '"detail":"inboxes invalid"' in errors
    assert api.request_count("/v1/conversations") == 1  # a 400 is not retried


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"api_key": None}, "No credentials"),
        ({"api_secret_id": "sandbox-id"}, "api_secret_id and api_secret_key"),
        ({"user_id": "abc"}, "user_id: expected a JSON integer, got a JSON string"),
        ({"inboxes": []}, "inboxes"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"api_url": "http://example.com"}, "api_url"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"messages_lookback_days": -1}, "messages_lookback_days: must be at least 0"),
        ({"request_timeout": 10**12}, "request_timeout: must be at most 86400"),
        ({"messages_lookback_days": 10**12}, "messages_lookback_days: must be at most"),
        ({"start_date": "0001-01-01T00:00:00+05:30"}, "start_date"),
        ({"api_url": "http://128.0.0.1:8765"}, "api_url"),
        ({"api_url": "http://127.0.0.1:99999"}, "api_url"),
    ],
)
def test_bad_config_is_one_line_naming_the_setting_before_any_request(
    start_sandbox, tmp_path, overrides: dict[str, t.Any], setting: str
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    for key, value in overrides.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    done = run_cli(tmp_path, config)
    assert_fails_cleanly(done)
    assert setting in error_lines(done)[0]
    assert api.requests == []


@pytest.mark.parametrize("host", ["localhost", "127.1", "127.0.0.1"])
def test_a_loopback_http_api_url_is_allowed(start_sandbox, tmp_path, host: str) -> None:
    api = account()
    url = start_sandbox(api).url.replace("127.0.0.1", host)
    done = run_cli(tmp_path, config_for(url, inboxes=[5001], closed=True))
    assert done.returncode == 0, done.stderr[-2000:]
    assert api.request_count("/v1/conversations") > 0


def _warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if "| WARNING" in line]


def test_an_unknown_setting_warns_naming_the_closest_known_one(start_sandbox, tmp_path) -> None:
    api = account()
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, inbox=[5001], closed=True))
    assert done.returncode == 0, done.stderr[-2000:]
    assert any(
        "config: 'inbox' is not a tap-heymarket setting and is ignored; did you mean 'inboxes'?" in line
        for line in _warnings(done)
    )


def test_a_start_date_in_the_future_warns_that_nothing_will_be_read(start_sandbox, tmp_path) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, start_date="2999-01-01T00:00:00+01:00", inboxes=[5001])
    done = run_cli(tmp_path, config)
    assert done.returncode == 0, done.stderr[-2000:]
    assert any("start_date: 2998-12-31T23:00:00.000000Z is in the future" in line for line in _warnings(done))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'[{"id": 1, "name": "\xff\xfe"}]', "Heymarket sent a body that is not valid UTF-8 (byte 20)"),
        (b"<html><body>Gateway says hi</body></html>", "Heymarket sent a body that is not valid JSON"),
        (b'[{"id": 1}] and more', "Heymarket sent a body that is not valid JSON"),
    ],
)
def test_a_body_that_is_not_utf8_json_fails_at_once_in_one_line(
    start_sandbox, tmp_path, body: bytes, problem: str
) -> None:
    api = account()
    api.faults = [Fault("status", status=200, body=body, path="/v1/conversations", times=10)]
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, max_concurrency=1))
    errors = assert_fails_cleanly(done)
    assert f"{problem}: HTTP 200 OK on POST /v1/conversations (X-Request-Id sbx-" in errors
    assert sum(problem in line for line in done.stderr.splitlines()) == 1
    assert api.request_count("/v1/conversations") == 1  # the same bytes would come back: not retried


def test_inbox_members_without_a_usable_id_are_passed_over(start_sandbox, tmp_path) -> None:
    api = account()
    inbox = next(i for i in api.data.inboxes if i["id"] == 5001)
    inbox["members"] = [{"name": "a bot"}, "not-an-id", True, *inbox["members"]]
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, inboxes=[5001], closed=True))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_an_inbox_with_no_usable_member_is_one_line_naming_user_id(start_sandbox, tmp_path) -> None:
    api = account()
    next(i for i in api.data.inboxes if i["id"] == 5001)["members"] = [{"name": "a bot"}, {"id": None}]
    errors = assert_fails_cleanly(run_cli(tmp_path, config_for(start_sandbox(api).url, inboxes=[5001])))
    assert "Inboxes [5001] list no members to read them as: set user_id" in errors
