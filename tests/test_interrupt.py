"""SIGTERM and SIGINT mid-run: out within seconds (retry waits and slow requests included),
exit 143 or 130, and a last STATE from which the next run loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heymarket_sandbox.server import Fault
from tests.cases import account
from tests.harness import catalog_selecting, config_for, run_sync

TAP = str(Path(sys.executable).with_name("tap-heymarket"))


def _start(tmp_path: Path, url: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    config = config_for(url, max_concurrency=4, request_timeout=30)
    paths = {name: tmp_path / f"{name}.json" for name in ("config", "catalog")}
    paths["config"].write_text(json.dumps(config))
    paths["catalog"].write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    out, err = tmp_path / "out.jsonl", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [TAP, "--config", str(paths["config"]), "--catalog", str(paths["catalog"])],
            stdout=stdout,
            stderr=stderr,
        )
    return process, out, err


def _records_seen(out: Path) -> int:
    return out.read_bytes().count(b'"type":"RECORD"') if out.exists() else 0


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_in_seconds_and_its_last_state_loses_nothing(
    start_sandbox, tmp_path, signum: int, code: int
) -> None:
    api = account()
    api.latency = 0.1  # several walks in flight, each request slow
    # one walk sits in a 60-second retry wait when the signal comes
    api.faults = [
        Fault("status", status=429, headers={"Retry-After": "60"}, path="/v1/conversations", after=4)
    ]
    url = start_sandbox(api).url
    process, out, err = _start(tmp_path, url)
    deadline = time.monotonic() + 60
    while _records_seen(out) < 60 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, err.read_text()[-2000:]
    sent = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout=30) == code
    assert time.monotonic() - sent < 3
    stderr = err.read_text()
    assert "Traceback" not in stderr
    assert f"Interrupted by {signal.Signals(signum).name}" in stderr

    messages = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    first_ids = {
        m["record"]["id"] for m in messages if m["type"] == "RECORD" and m["stream"] == "conversations"
    }
    last_state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    assert "resume" in last_state["bookmarks"]["conversations"]
    assert len(first_ids) < len(api.conversations.records)

    api.latency = 0.0
    api.faults.clear()
    second = run_sync(config_for(url), state=last_state)
    assert first_ids | set(second.ids()) == set(api.conversations.records)


def test_a_signal_ends_the_run_even_while_it_is_blocked_writing_to_a_reader_that_stopped(
    start_sandbox, tmp_path
) -> None:
    """As ``meltano config test`` does: read the first RECORD, stop reading, send SIGTERM."""
    api = account()
    url = start_sandbox(api).url
    config = config_for(url)
    paths = {name: tmp_path / f"{name}.json" for name in ("config", "catalog")}
    paths["config"].write_text(json.dumps(config))
    paths["catalog"].write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    process = subprocess.Popen(
        [TAP, "--config", str(paths["config"]), "--catalog", str(paths["catalog"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    while b'"type":"RECORD"' not in process.stdout.readline():
        pass
    time.sleep(1)  # the tap fills the pipe and blocks writing
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    assert time.monotonic() - sent < 6
    process.stdout.close()
