"""BATCH storage that cannot be written: one line naming the file and the cause; no partial
file under a final name; and a resumed run loses nothing."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import resource
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

from tests.cases import account
from tests.harness import TAP, catalog_selecting, config_for
from tests.test_batch_resume import _batch_records
from tests.test_fatal_errors import error_lines


def _batch_config(root: Path, batch_size: int = 100) -> dict[str, t.Any]:
    return {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{root}"},
        "batch_size": batch_size,
    }


def _run(
    tmp_path: Path, config: dict[str, t.Any], state: dict | None = None, *, file_limit: int | None = None
):
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_selecting(config, ["conversations"])))
    (tmp_path / "state.json").write_text(json.dumps(state or {}))

    def limit() -> None:  # a disk that fills up: writes past the limit fail (EFBIG)
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    args = [TAP, "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    args += ["--state", str(tmp_path / "state.json")]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, preexec_fn=limit)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = error_lines(done)
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_a_storage_root_that_is_a_file_is_one_line_naming_it(start_sandbox, tmp_path) -> None:
    root = tmp_path / "not-a-folder"
    root.write_text("")
    config = config_for(start_sandbox(account()).url, batch_config=_batch_config(root))
    line = _one_line(_run(tmp_path, config))
    assert f"BATCH storage: cannot write {root}/tap-heymarket--conversations-" in line
    assert "check batch_config.storage.root" in line


@contextlib.contextmanager
def _read_only(folder: Path) -> t.Iterator[None]:
    """``folder`` unwritable, even for root (the immutable flag); restored afterwards."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield
        folder.chmod(0o700)
        return
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(folder)], check=False).returncode
    ):
        pytest.skip("cannot make a folder read-only for root here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_storage_root_is_one_line_naming_the_file_and_cause(start_sandbox, tmp_path) -> None:
    root = tmp_path / "batches"
    root.mkdir()
    config = config_for(start_sandbox(account()).url, batch_config=_batch_config(root))
    with _read_only(root):
        line = _one_line(_run(tmp_path, config))
    assert f"BATCH storage: cannot write {root}/tap-heymarket--conversations-" in line
    assert "not permitted" in line or "Permission denied" in line or "Read-only" in line


def test_a_full_disk_leaves_no_partial_file_and_the_resumed_run_loses_nothing(
    start_sandbox, tmp_path
) -> None:
    api = account()
    root = tmp_path / "batches"
    config = config_for(start_sandbox(api).url, max_concurrency=1, batch_config=_batch_config(root, 60))
    first = _run(tmp_path, config, file_limit=2_000)  # room for a couple of files, then "full"
    line = _one_line(first)
    assert f"BATCH storage: cannot write {root}/" in line and "File too large" in line
    assert not list(root.glob("*.partial"))
    for path in root.iterdir():
        gzip.decompress(path.read_bytes())  # every file under a final name is complete
    messages = [json.loads(raw) for raw in first.stdout.splitlines()]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    second = _run(tmp_path, config, states[-1] if states else None)
    assert second.returncode == 0, second.stderr
    resumed = [json.loads(raw) for raw in second.stdout.splitlines()]
    assert _batch_records(messages) | _batch_records(resumed) == set(api.conversations.records)
