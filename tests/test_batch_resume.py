"""BATCH mode: no STATE covers a record that is not in a BATCH file announced before it, so a
run that dies part-way and is resumed from any of its STATE messages loses nothing."""

from __future__ import annotations

import gzip
import json
import typing as t
from pathlib import Path
from urllib.parse import urlparse

import pytest

from heymarket_sandbox.server import Fault
from tests.cases import CASES, account
from tests.harness import config_for, run_sync

CONVERSATIONS = CASES[0]


def _batch_records(messages: list[dict[str, t.Any]], upto: int | None = None) -> set[int]:
    """IDs in the files of the BATCH messages among ``messages[:upto]``."""
    ids: set[int] = set()
    for message in messages[:upto]:
        if message["type"] != "BATCH":
            continue
        for url in message["manifest"]:
            raw = Path(urlparse(url).path).read_bytes()
            text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            ids.update(json.loads(line)["id"] for line in text.splitlines() if line.strip())
    return ids


@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_a_batch_run_that_dies_resumes_from_any_of_its_states_and_loses_nothing(
    start_sandbox, tmp_path: Path, compression: str
) -> None:
    api = account()
    batch_config = {
        "encoding": {"format": "jsonl", "compression": compression},
        "storage": {"root": f"file://{tmp_path}"},
        "batch_size": 70,
    }
    config = config_for(start_sandbox(api).url, max_concurrency=2, batch_config=batch_config)
    api.faults = [Fault("status", status=400, path="/v1/conversations", after=14, times=10**6)]
    first = run_sync(config, raise_errors=False)
    assert first.error is not None and "HTTP 400" in str(first.error)
    assert not first.records(), "BATCH mode writes records to files, not RECORD messages"
    states = [n for n, m in enumerate(first.messages) if m["type"] == "STATE"]
    assert sum(m["type"] == "BATCH" for m in first.messages) >= 3
    api.faults.clear()
    everything = set(api.conversations.records)
    for position in states:
        announced = _batch_records(first.messages, position)
        resumed = run_sync(config, state=first.messages[position]["value"])
        assert announced | _batch_records(resumed.messages) == everything, f"STATE #{position} ran ahead"
