"""Settings come from ``TAP_HEYMARKET_*`` environment variables with ``--config ENV``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases import account

TAP = str(Path(sys.executable).with_name("tap-heymarket"))


def test_a_cli_run_configured_only_by_environment_reads_the_configured_inbox(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    env = {
        **os.environ,
        "TAP_HEYMARKET_API_KEY": "sandbox-key",
        "TAP_HEYMARKET_API_URL": url,
        "TAP_HEYMARKET_INBOXES": "[5002]",
        "TAP_HEYMARKET_CLOSED": "true",
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
    }
    done = subprocess.run(
        [TAP, "--config", "ENV"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    ids = [m["record"]["id"] for m in messages if m["type"] == "RECORD" and m["stream"] == "conversations"]
    expected = [
        c["id"] for c in api.conversations.records.values() if c["_inbox"] == 5002 and c["status"] == "closed"
    ]
    assert sorted(ids) == sorted(expected)
    assert {tuple(r.body["filters"]["inboxes"]) for r in api.requests if r.path == "/v1/conversations"} == {
        (5002,)
    }


def _run_env(url: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TAP_HEYMARKET_API_KEY": "sandbox-key",
        "TAP_HEYMARKET_API_URL": url,
        "TAP_HEYMARKET_CLOSED": "true",
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
        **variables,
    }
    return subprocess.run(
        [TAP, "--config", "ENV"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("spelling", ["5001,5003", " 5001, 5003 ", "[5001, 5003]"])
def test_inboxes_from_the_environment_may_be_comma_separated_or_json(start_sandbox, spelling: str) -> None:
    api = account()
    done = _run_env(start_sandbox(api).url, TAP_HEYMARKET_INBOXES=spelling)
    assert done.returncode == 0, done.stderr[-2000:]
    asked = {i for r in api.requests if r.path == "/v1/conversations" for i in r.body["filters"]["inboxes"]}
    assert asked == {5001, 5003}


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({"TAP_HEYMARKET_INBOXES": "5001;5002"}, "inboxes: TAP_HEYMARKET_INBOXES='5001;5002' is not a list"),
        ({"TAP_HEYMARKET_INBOXES": "[true]"}, "inboxes: TAP_HEYMARKET_INBOXES='[true]' is not a list"),
        ({"TAP_HEYMARKET_REQUEST_TIMEOUT": "soon"}, "request_timeout: TAP_HEYMARKET_REQUEST_TIMEOUT='soon'"),
    ],
)
def test_a_malformed_environment_variable_is_one_line_naming_it(
    start_sandbox, variables: dict[str, str], line: str
) -> None:
    api = account()
    done = _run_env(start_sandbox(api).url, **variables)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    errors = [x for x in done.stderr.splitlines() if "| ERROR" in x]
    assert line in errors[0]
    assert api.requests == []
