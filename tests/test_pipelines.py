"""End to end through real Meltano into real warehouses: DuckDB and a PostgreSQL server.

Each warehouse gets a full sync, then changes on the sandbox and an incremental sync, and
is checked in SQL: every record present once (upserted on ``id``), changed rows carry their
new ``updated``, and the incremental run read only the top of each slice. Meltano and the
PostgreSQL binaries are installed by ``./scripts/test`` (``.ci/run``); without them these
tests skip locally and fail in CI.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import typing as t
from pathlib import Path

import pytest

from heymarket_sandbox import SandboxAPI, generate
from tests import warehouse
from tests.warehouse import meltano_run, postgres_env, postgres_query, select_env

postgres = warehouse.postgres  # the fixture

STREAMS = ("conversations", "contacts", "tags", "templates", "messages", "surveys")
TOUCHED_AT = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.warehouse


def _account() -> SandboxAPI:
    return SandboxAPI(generate(300, 2, contacts=70, messages=90, tags=40, templates=35, seed=21))


def _meltano_run(loader: str, url: str, tmp: Path, env: dict[str, str]) -> None:
    meltano_run(loader, url, tmp, {"TAP_HEYMARKET__SELECT": select_env(STREAMS), **env})


def _utc(value: t.Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _sync_twice(
    start_sandbox: t.Callable[..., t.Any],
    loader: str,
    tmp: Path,
    env: dict[str, str],
    query: t.Callable[[str], list[tuple]],
) -> None:
    api = _account()
    url = start_sandbox(api).url
    _meltano_run(loader, url, tmp, env)
    full_requests = api.request_count("/v1/conversations")
    for stream in STREAMS:
        expected = len(api.listing(stream).records) if stream != "surveys" else len(api.data.surveys)
        rows = query(f"select count(*), count(distinct id) from tap_heymarket.{stream}")
        assert rows == [(expected, expected)], stream

    touched = sorted(api.conversations.records)[::37]
    for n, conversation_id in enumerate(touched):
        api.touch(conversation_id, TOUCHED_AT + dt.timedelta(seconds=n), status="closed")
    api.requests.clear()
    _meltano_run(loader, url, tmp, env)

    slices = 2 * len(api.data.inboxes)  # each inbox's open and closed views
    incremental_requests = api.request_count("/v1/conversations")
    assert incremental_requests <= 2 * slices < full_requests  # only the top of each slice
    total = len(api.conversations.records)
    assert query("select count(*), count(distinct id) from tap_heymarket.conversations") == [(total, total)]
    landed = dict(query("select id, updated from tap_heymarket.conversations"))
    for n, conversation_id in enumerate(touched):
        assert _utc(landed[conversation_id]) == TOUCHED_AT + dt.timedelta(seconds=n)
    closed = {row[0] for row in query("select id from tap_heymarket.conversations where status = 'closed'")}
    assert set(touched) <= closed


def test_meltano_loads_duckdb_fully_then_incrementally_without_duplicates(start_sandbox) -> None:
    duckdb = pytest.importorskip("duckdb")
    tmp = Path(tempfile.mkdtemp(prefix="heymarket-duckdb-"))
    path = tmp / "warehouse.duckdb"

    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as db:
            return db.sql(sql).fetchall()

    try:
        _sync_twice(start_sandbox, "target-duckdb", tmp, {"TARGET_DUCKDB_FILEPATH": str(path)}, query)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_meltano_upserts_into_postgresql_fully_then_incrementally(start_sandbox, postgres: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="heymarket-meltano-"))
    try:
        _sync_twice(start_sandbox, "target-postgres", tmp, postgres_env(postgres), postgres_query(postgres))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
