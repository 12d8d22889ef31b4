"""Failures under Airbyte: one TRACE error with the tap's own line, its kind, no secret, non-zero exit.

``config_error`` for what the user fixes in the settings or credentials, ``system_error`` for
the rest; ``check`` answers a settings or credentials problem with CONNECTION_STATUS FAILED.
"""

from __future__ import annotations

import json
import subprocess
import time
import types
import typing as t

import backoff._sync
import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket import clock
from tests.airbyte_source import SOURCE, configured, run_source, validate
from tests.cases import account
from tests.harness import catalog_selecting, config_for, run_cli

SECRET = "s3cr3t-value-never-shown"


def _catalog(tmp_path, config, streams: t.Iterable[str] | None = ("conversations",)) -> dict[str, t.Any]:
    return configured(run_source(tmp_path, "discover", config).catalog, streams=streams)


def _one_error(run: t.Any, failure_type: str) -> str:
    [error] = run.errors()
    assert error["failure_type"] == failure_type
    assert "\n" not in error["message"]
    assert "stack_trace" not in error
    assert run.exit_code != 0
    return str(error["message"])


def test_rejected_credentials_are_one_config_error_with_the_tap_s_line_and_no_secret(
    tmp_path, start_sandbox
) -> None:
    config = config_for(start_sandbox(account()).url, api_key=SECRET)
    run = run_source(tmp_path, "read", config, _catalog(tmp_path, config))
    line = _one_error(run, "config_error")
    assert line.startswith("Heymarket rejected the credentials (HTTP 401")
    assert "check api_key" in line
    assert SECRET not in json.dumps(run.messages)
    assert run.statuses()[-1] == ("conversations", "INCOMPLETE")


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"api_key": None}, "No credentials: set api_secret_id and api_secret_key"),
        ({"api_secret_id": "id-only"}, "api_secret_id and api_secret_key: set both"),
        ({"api_url": "http://example.com"}, "api_url"),
        ({"user_id": "abc"}, "user_id: expected a JSON integer, got a JSON string"),
    ],
)
def test_bad_settings_are_one_config_error_before_any_request(
    tmp_path, start_sandbox, overrides: dict[str, t.Any], line: str
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    catalog = _catalog(tmp_path, config)
    for key, value in overrides.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    run = run_source(tmp_path, "read", config, catalog)
    assert line in _one_error(run, "config_error")
    assert api.requests == []
    assert run.records() == []


def test_check_answers_failed_with_the_tap_s_line_for_bad_credentials(tmp_path, start_sandbox) -> None:
    config = config_for(start_sandbox(account()).url, api_key=SECRET)
    run = run_source(tmp_path, "check", config)
    assert run.exit_code == 0
    [status] = run.of("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert status["connectionStatus"]["message"].startswith("Heymarket rejected the credentials (HTTP 401")
    assert SECRET not in json.dumps(run.messages)
    assert run.records() == [] and run.states == []


def test_check_answers_failed_for_missing_credentials_and_succeeded_for_good_ones(
    tmp_path, start_sandbox
) -> None:
    config = config_for(start_sandbox(account()).url)
    good = run_source(tmp_path, "check", config)
    assert [m["connectionStatus"]["status"] for m in good.of("CONNECTION_STATUS")] == ["SUCCEEDED"]
    del config["api_key"]
    bad = run_source(tmp_path, "check", config)
    [status] = bad.of("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert status["connectionStatus"]["message"].startswith("No credentials")


def test_an_api_fault_is_one_system_error_with_the_tap_s_line(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    catalog = _catalog(tmp_path, config)
    api.faults.append(Fault("status", status=400, path="/v1/conversations", times=99))
    run = run_source(tmp_path, "read", config, catalog)
    line = _one_error(run, "system_error")
    assert "HTTP 400 Bad Request on POST /v1/conversations (X-Request-Id sbx-" in line
    assert run.exit_code == 1


def test_check_reports_an_api_fault_as_a_system_error_and_fails(tmp_path, start_sandbox) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    api.faults.append(Fault("status", status=400, body=b'{"error":"bad_data"}', times=99))
    run = run_source(tmp_path, "check", config)
    assert run.of("CONNECTION_STATUS") == []
    assert "HTTP 400 Bad Request" in _one_error(run, "system_error")


@pytest.mark.parametrize(
    ("document", "line"),
    [
        ({"config": "not json"}, "config: "),
        ({"config": [1, 2]}, "not an object of settings"),
        ({"config": {"api_key": "k", "batch_config": {}}}, "batch_config: Singer-only settings"),
        ({"catalog": {"streams": [{"stream": {"name": "calls"}}]}}, "catalog: unknown stream 'calls'"),
        ({"catalog": {"nope": 1}}, "catalog: not a configured Airbyte catalog"),
        ({"catalog": {"streams": [{"stream": {"name": "tags"}, "sync_mode": "cdc"}]}}, "sync_mode 'cdc'"),
        ({"state": [{"type": "GLOBAL", "global": {"stream_states": []}}]}, "state: cannot be read: a GLOBAL"),
        ({"state": [{"type": "STREAM", "stream": {}}]}, "state: cannot be read: a STREAM state names no"),
    ],
)
def test_an_unusable_input_document_is_one_config_error(
    tmp_path, start_sandbox, document: dict[str, t.Any], line: str
) -> None:
    api = account()
    config = config_for(start_sandbox(api).url)
    files = {"config": config, "catalog": _catalog(tmp_path, config), "state": []}
    files.update(document)
    argv = ["read"]
    for name, value in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        argv += [f"--{name}", str(path)]
    api.requests.clear()
    done = subprocess.run([SOURCE, *argv], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    for message in messages:
        validate(message)
    [error] = [m["trace"]["error"] for m in messages if m["type"] == "TRACE"]
    assert error["failure_type"] == "config_error"
    assert line in error["message"]
    assert api.requests == []


def test_the_console_script_exits_non_zero_with_only_protocol_messages_on_stdout(
    tmp_path, start_sandbox
) -> None:
    config = config_for(start_sandbox(account()).url, api_key=SECRET)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(_catalog(tmp_path, config)))
    argv = ["read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    done = subprocess.run([SOURCE, *argv], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    for message in messages:
        validate(message)
    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert [error["failure_type"] for error in errors] == ["config_error"]


def test_the_error_line_is_the_one_the_singer_command_prints(tmp_path, start_sandbox) -> None:
    config = config_for(start_sandbox(account()).url, api_key=SECRET)
    catalog = _catalog(tmp_path, config)
    run = run_source(tmp_path, "read", config, catalog)
    airbyte_line = _one_error(run, "config_error")
    config["api_url"] = start_sandbox(account()).url  # a fresh one: the same X-Request-Id
    singer_catalog = tmp_path / "singer-catalog.json"
    singer_catalog.write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    singer = run_cli(tmp_path, config, "--catalog", str(singer_catalog), name="singer-config")
    assert singer.returncode == 1
    singer_line = [line for line in singer.stderr.splitlines() if "| ERROR" in line][-1]  # its last word
    assert singer_line.endswith(airbyte_line)


def test_a_network_failure_is_the_tap_s_could_not_reach_line_as_a_system_error(
    tmp_path, start_sandbox, monkeypatch
) -> None:
    fake_time = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    fake_time.sleep = lambda seconds: None  # the retries' backoff, not slept
    monkeypatch.setattr(backoff._sync, "time", fake_time)
    monkeypatch.setattr(clock, "sleep", lambda seconds: None)
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    catalog = _catalog(tmp_path, config)
    api.faults.append(Fault("drop", path="/v1/conversations", times=10**6))
    run = run_source(tmp_path, "read", config, catalog)
    line = _one_error(run, "system_error")
    assert line.startswith("Could not reach Heymarket after retries (")
    assert "check api_url and the network" in line
    assert api.request_count("/v1/conversations") == 8  # the tap's own retries, not a second set


def test_a_denied_only_stream_is_a_config_error_naming_the_stream(tmp_path, start_sandbox) -> None:
    api = account()
    api.denied_paths.add("/v1/conversations")
    config = config_for(start_sandbox(api).url)
    run = run_source(tmp_path, "read", config, _catalog(tmp_path, config))
    assert _one_error(run, "config_error").startswith("Heymarket denied access to 'conversations' (HTTP 403")


@pytest.mark.parametrize("verb", ["check", "read"])
def test_a_secret_of_the_wrong_type_is_never_quoted_by_the_config_error(
    tmp_path, start_sandbox, verb: str
) -> None:
    config = config_for(start_sandbox(account()).url)
    catalog = _catalog(tmp_path, config) if verb == "read" else None
    config["api_key"] = 918273645  # a number where a string belongs
    run = run_source(tmp_path, verb, config, catalog)
    assert "918273645" not in json.dumps(run.messages)
    assert "api_key: expected a JSON string, got a JSON integer" in json.dumps(run.messages)


def test_a_reader_that_stops_reading_ends_the_read_with_exit_1_and_no_traceback(
    tmp_path, start_sandbox
) -> None:
    config = config_for(start_sandbox(account()).url)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(_catalog(tmp_path, config, streams=None)))
    argv = ["read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    err = tmp_path / "err.log"
    with err.open("wb") as stderr:
        process = subprocess.Popen([SOURCE, *argv], stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout is not None
        process.stdout.readline()
        process.stdout.close()  # as `| head -1` does
        assert process.wait(timeout=60) == 1
    assert "Traceback" not in err.read_text()
    assert err.read_text().strip() == ""
