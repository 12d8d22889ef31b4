"""Credentials: JWTs renewed before they expire, and no secret in any output at any level."""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import pytest

from heymarket_sandbox.server import Fault
from tap_heymarket import auth, clock
from tap_heymarket.errors import CredentialsRejectedError
from tests.cases import account
from tests.harness import config_for, run_cli, run_sync

TAP = str(Path(sys.executable).with_name("tap-heymarket"))
SECRET_PAIR = {"api_secret_id": "sandbox-id", "api_secret_key": "sandbox-secret"}


def _pair_config(url: str, **overrides: t.Any) -> dict[str, t.Any]:
    config = config_for(url, **{**SECRET_PAIR, **overrides})
    del config["api_key"]
    return config


def _advancing_clock(monkeypatch, step: float, api) -> None:
    """Each request the sandbox has seen moves the wall clock ``step`` seconds on (tap and
    sandbox alike): time follows the run's progress, not how often some code reads the clock."""
    start = clock.wall()
    monkeypatch.setattr(clock, "wall", lambda: start + step * len(api.requests))


def test_a_sync_that_outlives_several_tokens_renews_them(start_sandbox, monkeypatch) -> None:
    api = account()
    _advancing_clock(monkeypatch, 50, api)
    result = run_sync(_pair_config(start_sandbox(api).url, max_concurrency=1))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    tokens = {r.authorization for r in api.requests}
    assert len(tokens) >= 3
    assert all(r.status == 200 for r in api.requests)


def test_without_ageing_renewal_each_expiry_costs_a_refused_request(start_sandbox, monkeypatch) -> None:
    api = account()
    _advancing_clock(monkeypatch, 50, api)
    monkeypatch.setattr(auth, "TOKEN_LIFETIME_SECONDS", 10**9)
    result = run_sync(_pair_config(start_sandbox(api).url, max_concurrency=1))
    assert sorted(result.ids()) == sorted(api.conversations.records)
    assert sum(r.status == 401 for r in api.requests) >= 2  # each renewed after its refusal


def test_without_any_renewal_the_same_sync_would_be_rejected(start_sandbox, monkeypatch) -> None:
    api = account()
    _advancing_clock(monkeypatch, 50, api)
    monkeypatch.setattr(auth, "TOKEN_LIFETIME_SECONDS", 10**9)
    monkeypatch.setattr(auth.HeymarketAuth, "renew", lambda self, refused: False)
    result = run_sync(_pair_config(start_sandbox(api).url, max_concurrency=1), raise_errors=False)
    assert isinstance(result.error, CredentialsRejectedError)


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Names (never values) of the secrets found in ``text``; any JWT counts as a leak."""
    found = [name for name, value in secrets.items() if value in text]
    if "eyJ" in text:
        found.append("a JWT")
    return found


def _debug_run(tmp_path: Path, config: dict[str, t.Any]) -> str:
    done = run_cli(tmp_path, config, env={"TAP_HEYMARKET_LOGLEVEL": "DEBUG"})
    assert "DEBUG" in done.stderr  # the run really logged at DEBUG
    return done.stdout + done.stderr


def test_no_key_secret_or_token_appears_in_any_output_at_debug(start_sandbox, tmp_path) -> None:
    api = account()
    api.faults = [
        Fault("status", status=503, path="/v1/conversations", after=3),
        Fault("status", status=429, headers={"Retry-After": "0"}, path="/v1/contacts"),
    ]
    url = start_sandbox(api).url
    secrets = {"api key": "sandbox-key", "secret key": "sandbox-secret", "wrong key": "wrong-secret-1234"}
    outputs = {
        "jwt run with retries": _debug_run(tmp_path, _pair_config(url, inboxes=[5001])),
        "key run": _debug_run(tmp_path, config_for(url, inboxes=[5001])),
        "rejected pair": _debug_run(tmp_path, _pair_config(url, api_secret_key="wrong-secret-1234")),
        "rejected key": _debug_run(tmp_path, config_for(url, api_key="wrong-secret-1234")),
    }
    assert '"type":"STATE"' in outputs["jwt run with retries"]
    assert "rejected the credentials" in outputs["rejected pair"]
    assert {run: _leaks(text, secrets) for run, text in outputs.items()} == {run: [] for run in outputs}
    assert api.faults == []  # the retries really happened


def test_a_body_that_is_not_json_fails_at_once_with_status_and_excerpt(start_sandbox, monkeypatch) -> None:
    import backoff._sync

    monkeypatch.setattr(backoff._sync.time, "sleep", lambda seconds: None)
    api = account()
    api.faults = [Fault("garbage", path="/v1/conversations", times=100)]
    result = run_sync(config_for(start_sandbox(api).url, max_concurrency=1), raise_errors=False)
    message = str(result.error)
    assert message.startswith(
        "Heymarket sent a body that is not valid JSON: HTTP 200 OK on POST /v1/conversations"
    )
    assert "X-Request-Id sbx-" in message and "Gateway says hi" in message
    assert "\n" not in message and "<html>" not in message
    assert api.request_count("/v1/conversations") == 1  # the same bytes would come back: not retried


def _run_with_log_config(tmp_path: Path, config: dict[str, t.Any], name: str) -> tuple[str, str]:
    """A CLI run whose SINGER_SDK_LOG_CONFIG writes the tap's own logger to a file at DEBUG."""
    log_file = tmp_path / f"{name}.log"
    log_config = tmp_path / f"{name}-logging.yml"
    log_config.write_text(
        json.dumps(  # JSON is YAML
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "filename": str(log_file),
                        "formatter": "plain",
                        "level": "DEBUG",
                    }
                },
                "loggers": {"tap-heymarket": {"level": "DEBUG", "handlers": ["file"], "propagate": True}},
            }
        )
    )
    done = run_cli(tmp_path, config, env={"SINGER_SDK_LOG_CONFIG": str(log_config)}, name=name)
    return log_file.read_text(), done.stdout + done.stderr


@pytest.mark.parametrize("credentials", ["key", "jwt"])
def test_secrets_echoed_by_the_server_are_masked_in_a_users_own_log_handler(
    start_sandbox, tmp_path, credentials: str
) -> None:
    api = account()
    api.faults = [
        Fault("echo", status=500, path="/v1/conversations", times=2),  # retried: warnings quote it
        Fault("echo", status=400, path="/v1/conversations"),  # fatal: the error quotes it
    ]
    url = start_sandbox(api).url
    config = config_for(url, inboxes=[5001]) if credentials == "key" else _pair_config(url, inboxes=[5001])
    log_text, console = _run_with_log_config(tmp_path, config, credentials)
    assert api.faults == []  # every echo was served
    assert "DEBUG tap-heymarket" in log_text  # the user's handler really logged at DEBUG
    assert "you_sent" in log_text and "Bearer ********" in log_text  # the echo reached it, masked
    assert "HTTP 400 Bad Request on POST /v1/conversations" in log_text  # the one-line error too
    secrets = {"api key": "sandbox-key", "secret key": "sandbox-secret"}
    assert _leaks(log_text, secrets) == []
    assert _leaks(console, secrets) == []
