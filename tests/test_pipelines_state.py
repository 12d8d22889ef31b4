"""State survives a real loader: every run ends with a STATE after its last RECORD.

``target-jsonl`` (the loader this repository pins) forgets the STATE it holds when a RECORD
follows it, so a run that ended on records (the SDK skips a STATE equal to the previous one)
left Meltano nothing to save and a shell pipe an empty state file. Three runs, touching
contacts in between, through a plain shell pipe and through ``meltano run``: each state
advances, and the third run reads only what changed after the second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import typing as t
from pathlib import Path

import pytest

from tap_heymarket.timestamps import format_instant
from tests import warehouse
from tests.cases import account
from tests.harness import TAP, catalog_selecting, config_for
from tests.warehouse import meltano, meltano_run, select_env

TARGET = warehouse.ROOT / ".meltano" / "loaders" / "target-jsonl" / "venv" / "bin" / "target-jsonl"
STREAMS = ("contacts", "templates")  # templates, idle, last: it re-sends only its bookmark record
FIRST = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
SECOND = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.warehouse


def _contacts_written(out: Path) -> set[int]:
    ids = set()
    for path in out.glob("contacts*.jsonl"):
        ids |= {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}
    return ids


def _three_runs(api, run: t.Callable[[int], dict[str, t.Any]], out: t.Callable[[int], Path]) -> None:
    contacts = api.listing("contacts")
    first = run(1)
    bookmark = first["bookmarks"]["contacts"]["replication_key_value"]
    oldest = sorted(contacts.records, key=lambda i: contacts.records[i]["updated"])
    touched = api.bump("contacts", oldest[:5], FIRST)
    second = run(2)
    assert second["bookmarks"]["contacts"]["replication_key_value"] == format_instant(max(touched.values()))
    assert second["bookmarks"]["contacts"]["replication_key_value"] > bookmark
    assert _contacts_written(out(2)) >= set(touched)
    later = api.bump("contacts", oldest[5:8], SECOND)
    third = run(3)
    assert third["bookmarks"]["contacts"]["replication_key_value"] == format_instant(max(later.values()))
    newest_first_touch = max(touched, key=lambda i: touched[i])
    assert _contacts_written(out(3)) == set(later) | {newest_first_touch}  # and the one at the bookmark


def test_a_plain_shell_pipe_into_target_jsonl_keeps_a_state_that_advances(start_sandbox, tmp_path) -> None:
    if not TARGET.exists():
        warehouse.missing("target-jsonl")
    api = account()
    config = config_for(start_sandbox(api).url)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_selecting(config, STREAMS)))

    def run(n: int) -> dict[str, t.Any]:
        (tmp_path / f"out{n}").mkdir()
        (tmp_path / f"target{n}.json").write_text(json.dumps({"destination_path": str(tmp_path / f"out{n}")}))
        state = f"--state state{n - 1}.json" if n > 1 else ""
        subprocess.run(  # noqa: S602 (the point: a plain shell pipe, as a user types it)
            f'"{TAP}" --config config.json --catalog catalog.json {state} '
            f'| "{TARGET}" --config target{n}.json > state{n}.json',
            shell=True,
            check=True,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        )
        return json.loads((tmp_path / f"state{n}.json").read_text())

    _three_runs(api, run, lambda n: tmp_path / f"out{n}")


def test_meltano_run_into_target_jsonl_saves_a_state_that_advances(start_sandbox, tmp_path) -> None:
    api = account()
    url = start_sandbox(api).url
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }

    def run(n: int) -> dict[str, t.Any]:
        out = tmp_path / f"out{n}"
        out.mkdir()
        meltano_run(
            "target-jsonl",
            url,
            tmp_path,
            {"TAP_HEYMARKET__SELECT": select_env(STREAMS), "TARGET_JSONL_DESTINATION_PATH": str(out)},
        )
        done = meltano(
            warehouse.ROOT, "state", "get", "dev:tap-heymarket-to-target-jsonl", env={**os.environ, **env}
        )
        return json.loads(done.stdout.strip().splitlines()[-1])["singer_state"]

    _three_runs(api, run, lambda n: tmp_path / f"out{n}")
