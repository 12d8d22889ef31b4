"""BATCH output through Meltano into PostgreSQL: gzip'd JSONL files instead of RECORD lines.

The README advertises the SDK's ``batch`` capability; this proves a real target loads what
the tap writes that way: every stream's rows land in PostgreSQL, once each, with exactly the
sandbox's IDs, and the rows came through batch files (found on disk, gzip'd JSONL).
"""

from __future__ import annotations

import gzip
import json
import typing as t
from pathlib import Path

import pytest

from heymarket_sandbox import SandboxAPI, generate
from tests import warehouse
from tests.cases import ALL_STREAMS
from tests.warehouse import meltano_run, postgres_env, postgres_query, select_env

postgres, scratch = warehouse.postgres, warehouse.scratch  # the fixtures

pytestmark = pytest.mark.warehouse


def _source_ids(api: SandboxAPI, stream: str) -> set[int]:
    rows: t.Iterable[dict[str, t.Any]]
    if stream == "inboxes":
        rows = api.data.inboxes
    elif stream == "team_members":
        rows = api.data.team["members"]
    elif stream == "surveys":
        rows = api.data.surveys
    else:
        rows = api.listing(stream).records.values()
    return {row["id"] for row in rows}


def test_batch_files_through_meltano_land_every_stream_in_postgresql(
    start_sandbox, postgres: int, scratch: Path
) -> None:
    api = SandboxAPI(generate(300, 3, contacts=70, messages=90, tags=40, templates=35, seed=9))
    batches = scratch / "batches"
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{batches}", "prefix": "heymarket-"},
    }
    env = {
        **postgres_env(postgres),
        "TAP_HEYMARKET_BATCH_CONFIG": json.dumps(batch_config),
        "TAP_HEYMARKET__SELECT": select_env(ALL_STREAMS),
    }
    meltano_run("target-postgres", start_sandbox(api).url, scratch, env)

    query = postgres_query(postgres)
    batched: dict[str, set[int]] = {}
    for path in sorted(batches.glob("heymarket-*.json.gz")):
        rest = path.name.split("--", 1)[1]  # <prefix><tap>--<stream>-<uuid>-<n>.json.gz
        stream = next(s for s in ALL_STREAMS if rest.startswith(f"{s}-"))
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            batched.setdefault(stream, set()).update(json.loads(line)["id"] for line in lines)
    for stream in ALL_STREAMS:
        expected = _source_ids(api, stream)
        assert batched.get(stream) == expected, f"{stream}: not written as batch files"
        rows = query(f"select count(*), count(distinct id) from tap_heymarket.{stream}")
        assert rows == [(len(expected), len(expected))], stream
        assert {row[0] for row in query(f"select id from tap_heymarket.{stream}")} == expected, stream
