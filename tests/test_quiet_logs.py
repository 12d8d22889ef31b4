"""A plain ``tap-heymarket`` run is quiet: progress and summaries on stderr, METRIC lines routed.

The command sets ``SINGER_SDK_LOG_CONFIG`` (the SDK's own logging hook) to the shipped
``tap_heymarket/logging.yaml`` unless the user set one: the ``singer_sdk.metrics`` logger
writes to ``tap-heymarket-metrics.log`` in the working directory (nothing deleted), and the
SDK's "not resumable" warning, false for this tap, is dropped. Config warnings appear on
every command, ``--discover`` included.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import typing as t
from pathlib import Path

from heymarket_sandbox import SandboxAPI, generate
from tap_heymarket.logs import DropKnownSdkNotes
from tests.harness import TAP, config_for

NOT_RESUMABLE = "Stream is assumed to be unsorted, progress is not resumable if interrupted"
STREAMS = ("contacts", "conversations", "inboxes", "messages", "surveys", "tags", "team_members", "templates")


def _run(cwd: Path, config: dict[str, t.Any], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = cwd / "config.json"
    path.write_text(json.dumps(config))
    environment = {k: v for k, v in os.environ.items() if k != "SINGER_SDK_LOG_CONFIG"}
    return subprocess.run(
        [TAP, "--config", str(path), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**environment, **env},
    )


def test_a_plain_run_writes_progress_lines_to_stderr_and_metric_lines_to_their_own_file(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    api = SandboxAPI(generate(300, 3, contacts=60, messages=150, seed=3))
    done = _run(tmp_path, config_for(start_sandbox(api).url))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert not [line for line in lines if "METRIC" in line]
    assert NOT_RESUMABLE not in done.stderr
    assert len(lines) < 30, done.stderr
    for stream in ("contacts", "conversations", "messages", "tags", "templates"):
        assert sum(f"| {stream}: " in line and "(done)" in line for line in lines) == 1, stream
    metrics = (tmp_path / "tap-heymarket-metrics.log").read_text(encoding="utf-8").splitlines()
    durations = [line for line in metrics if '"metric":"http_request_duration"' in line]
    assert len(durations) == len(api.requests)
    counted = {
        json.loads(line.split("METRIC: ", 1)[1])["tags"]["stream"]
        for line in metrics
        if "record_count" in line
    }
    assert counted == set(STREAMS)


def test_a_logging_config_of_the_users_own_replaces_the_default(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    own = tmp_path / "logging.yaml"
    own.write_text("version: 1\ndisable_existing_loggers: false\n")
    api = SandboxAPI(generate(40, 1, contacts=5, messages=5, seed=3))
    done = _run(tmp_path, config_for(start_sandbox(api).url), SINGER_SDK_LOG_CONFIG=str(own))
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"metric":"http_request_duration"' in done.stderr
    assert not (tmp_path / "tap-heymarket-metrics.log").exists()


def test_a_metrics_file_that_cannot_be_written_is_one_line_not_a_traceback_per_metric(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    (tmp_path / "tap-heymarket-metrics.log").mkdir()  # a directory where the file should go
    api = SandboxAPI(generate(40, 1, contacts=5, messages=5, seed=3))
    done = _run(tmp_path, config_for(start_sandbox(api).url))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr
    assert done.stderr.count("cannot write METRIC lines to") == 1


def test_a_misspelt_setting_warns_on_discover_as_on_a_sync(tmp_path: Path) -> None:
    config = config_for("http://127.0.0.1:9", max_request_per_minute=5)
    done = _run(tmp_path, config, "--discover")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "config: 'max_request_per_minute' is not a tap-heymarket setting" in done.stderr


def test_only_the_known_sdk_notes_are_dropped() -> None:
    keep = DropKnownSdkNotes()

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("singer_sdk", logging.WARNING, __file__, 1, message, None, None)

    assert not keep.filter(record(NOT_RESUMABLE))
    assert keep.filter(record("New replication value is null"))
    assert keep.filter(record(NOT_RESUMABLE + " (and something else)"))


def test_the_sdk_still_sends_the_dropped_note_word_for_word_from_its_own_logger(
    sandbox: t.Any, caplog: t.Any
) -> None:
    # Without this, a reworded SDK warning would make the quiet run's assertion pass vacuously.
    from tests.harness import run_sync

    with caplog.at_level(logging.WARNING):
        run_sync(config_for(sandbox.url), streams=("tags",))
    notes = [r for r in caplog.records if r.getMessage() == NOT_RESUMABLE]
    assert notes and {r.name for r in notes} == {"singer_sdk"}
