"""One line per failure and per retry at the levels a user sees; the detail at DEBUG; no log injection."""

from __future__ import annotations

import subprocess
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from heymarket_sandbox.server import Fault
from tap_heymarket.redaction import escape_controls
from tests.cases import account
from tests.harness import config_for, run_cli

CONVERSATIONS = "/v1/conversations"


def _lines(done: subprocess.CompletedProcess[str], level: str) -> list[str]:
    return [line for line in done.stderr.splitlines() if f"| {level}" in line]


def test_each_retry_is_one_line(start_sandbox, tmp_path) -> None:
    api = account()
    api.faults = [Fault("status", status=503, path=CONVERSATIONS, times=2)]
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, max_concurrency=1))
    assert done.returncode == 0
    lines = [line for line in done.stderr.splitlines() if "METRIC: " not in line]  # one per request
    retry_lines = [line for line in lines if "503" in line or "_send_once" in line or "Retry" in line]
    assert len(retry_lines) == 2, retry_lines
    assert all("Retrying /v1/conversations in " in line for line in retry_lines)
    assert _lines(done, "ERROR") == []


def test_a_failure_is_one_error_line_and_its_chain_is_at_debug(start_sandbox, tmp_path) -> None:
    api = account()
    api.faults = [Fault("status", status=400, body=b'{"error":"bad_data"}', path=CONVERSATIONS, times=9)]
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    done = run_cli(tmp_path, config)
    assert done.returncode == 1
    errors = _lines(done, "ERROR")
    assert len(errors) == 1 and "HTTP 400 Bad Request on POST /v1/conversations" in errors[0]
    assert "Traceback" not in done.stderr
    debug = run_cli(tmp_path, config, env={"TAP_HEYMARKET_LOGLEVEL": "DEBUG"})
    assert len(_lines(debug, "ERROR")) == 1
    assert "An unhandled error occurred while syncing 'conversations'" in debug.stderr
    assert "Traceback" in debug.stderr and "HeymarketFatalError" in debug.stderr


def test_a_connection_test_that_works_exits_0_without_an_error_line(sandbox, tmp_path) -> None:
    done = run_cli(tmp_path, config_for(sandbox.url), "--test")
    assert done.returncode == 0, done.stderr
    assert _lines(done, "ERROR") == [] and _lines(done, "CRITICAL") == []
    assert "unhandled error" not in done.stderr


def test_server_text_is_escaped_before_it_reaches_a_log_line(start_sandbox, tmp_path) -> None:
    api = account()
    hostile = b'{"error":"\x1b[2J\x1b[31mFAKE | INFO | all good\\r\\n2026 | ERROR | \xe2\x80\xae forged"}'
    api.faults = [Fault("status", status=400, body=hostile, path=CONVERSATIONS, times=9)]
    done = run_cli(tmp_path, config_for(start_sandbox(api).url, max_concurrency=1))
    assert "\x1b" not in done.stderr and "\u202e" not in done.stderr and "\r" not in done.stderr
    errors = _lines(done, "ERROR")
    assert len(errors) == 1
    assert "\\x1b[31mFAKE" in errors[0] and "\\u202e forged" in errors[0]


@given(st.text())
def test_escaped_text_has_no_control_or_format_character_and_printable_text_is_kept(text: str) -> None:
    escaped = escape_controls(text)
    assert all(unicodedata.category(ch)[0] not in "C" and ch not in "\n\r\u2028\u2029" for ch in escaped)
    if text.isprintable():
        assert escaped == text
