"""Settings come from ``TAP_HEYMARKET_*`` environment variables with ``--config ENV``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
