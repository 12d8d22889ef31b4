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
from tap_heymarket import interrupt
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


@pytest.fixture
def untouched_process(monkeypatch) -> dict[str, object]:
    """SIGTERM/SIGINT handlers and the log-record factory set to markers, restored afterwards,
    with redaction not yet installed: what building or running the tap changes shows."""
    import logging

    from tap_heymarket import redaction

    def marker(signum: int, frame: object) -> None:
        """A handler no code installs but this fixture."""

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(redaction, "_factory_installed", False)
    for s in previous:
        signal.signal(s, marker)
    yield {"handler": marker, "factory": factory}
    for s, handler in previous.items():
        signal.signal(s, handler)
    logging.setLogRecordFactory(factory)


def test_building_the_tap_installs_no_signal_handler_and_no_log_record_factory(untouched_process) -> None:
    """Discovery and tests build the tap many times: none of that may change the process."""
    import logging

    from tap_heymarket.tap import TapHeymarket

    TapHeymarket(config=config_for("http://127.0.0.1:9"))
    TapHeymarket(config={}, validate_config=False, setup_mapper=False)  # as --discover builds it
    assert signal.getsignal(signal.SIGTERM) is untouched_process["handler"]
    assert signal.getsignal(signal.SIGINT) is untouched_process["handler"]
    assert logging.getLogRecordFactory() is untouched_process["factory"]


def test_running_the_tap_installs_the_signal_handlers_and_the_redaction(untouched_process) -> None:
    """What the commands call before they build the tap (the CLI runs above prove the rest)."""
    import logging

    from tap_heymarket import redaction
    from tap_heymarket.tap import take_over_process

    take_over_process()
    assert signal.getsignal(signal.SIGTERM) is interrupt._note
    assert signal.getsignal(signal.SIGINT) is interrupt._note
    redaction.remember(["a-secret-for-this-test"])
    record = logging.getLogRecordFactory()(
        "x", logging.INFO, __file__, 1, "key a-secret-for-this-test", None, None
    )
    assert record.getMessage() == f"key {redaction.MASK}"
