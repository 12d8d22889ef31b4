"""A target that stops reading: one line, the broken-pipe exit code, and nothing lost on resume."""

from __future__ import annotations

import json
import subprocess

from tests.cases import account
from tests.harness import TAP, catalog_selecting, config_for
from tests.test_fatal_errors import error_lines


def _run_until_first_state(tmp_path, config, state: dict | None = None) -> tuple[list[dict], str, int]:
    """Run the tap, read its messages up to the first STATE after a RECORD, then close stdout."""
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    (tmp_path / "state.json").write_text(json.dumps(state or {}))
    args = [TAP, "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    args += ["--state", str(tmp_path / "state.json")]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    received: list[dict] = []
    for raw in process.stdout:
        received.append(json.loads(raw))
        if received[-1]["type"] == "STATE" and any(m["type"] == "RECORD" for m in received):
            break
    process.stdout.close()  # the target stops reading
    with process.stderr:
        stderr = process.stderr.read().decode()
    return received, stderr, process.wait(timeout=120)


def test_a_closed_stdout_is_one_line_and_exit_141_and_the_next_run_resumes(start_sandbox, tmp_path) -> None:
    api = account()
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    received, stderr, code = _run_until_first_state(tmp_path, config)
    assert code == 141  # 128 + SIGPIPE, as a shell reports a writer whose reader left
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    done = subprocess.CompletedProcess([], code, "", stderr)
    assert len(error_lines(done)) == 1
    assert "The target stopped reading (stdout closed)" in error_lines(done)[0]
    first = {m["record"]["id"] for m in received if m["type"] == "RECORD"}
    state = next(m["value"] for m in reversed(received) if m["type"] == "STATE")
    (tmp_path / "rest").mkdir()
    rest = subprocess.run(
        [
            TAP,
            "--config",
            str(tmp_path / "config.json"),
            "--catalog",
            str(tmp_path / "catalog.json"),
            "--state",
            _write(tmp_path / "rest" / "state.json", state),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    second = {json.loads(line)["record"]["id"] for line in rest.stdout.splitlines() if '"RECORD"' in line}
    assert first and first | second == set(api.conversations.records)  # nothing lost


def _write(path, value: dict) -> str:
    path.write_text(json.dumps(value))
    return str(path)
