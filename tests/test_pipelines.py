"""End to end through real Meltano into real warehouses: DuckDB and a PostgreSQL server.

Each warehouse gets a full sync, then changes on the sandbox and an incremental sync, and
is checked in SQL: every record present once (upserted on ``id``), changed rows carry their
new ``updated``, and the incremental run read only the top of each slice. Meltano and the
PostgreSQL binaries are installed by ``./scripts/test`` (``.ci/run``); without them these
tests skip locally and fail in CI.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest

from tap_heymarket.sandbox import SandboxAPI, generate

ROOT = Path(__file__).resolve().parent.parent
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
IN_CI = os.environ.get("CI") == "true"
STREAMS = ("conversations", "contacts", "tags", "templates", "messages", "surveys")
TOUCHED_AT = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.warehouse


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing in CI: .ci/run must install it")
    pytest.skip(f"{what} is not installed (run ./scripts/setup-meltano / ./scripts/setup-postgres)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _account() -> SandboxAPI:
    return SandboxAPI(generate(300, 2, contacts=70, messages=90, tags=40, templates=35, seed=21))


def _meltano_run(loader: str, url: str, tmp: Path, env: dict[str, str]) -> None:
    if not MELTANO.exists():
        _missing("Meltano")
    run_env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp / 'meltano.db'}",  # its own state store
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_HEYMARKET_API_KEY": "sandbox-key",
        "TAP_HEYMARKET_API_URL": url,
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
        "TAP_HEYMARKET__SELECT": '["' + '.*", "'.join(STREAMS) + '.*"]',
        **env,
    }
    done = subprocess.run(
        [str(MELTANO), "run", "tap-heymarket", loader],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


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


@pytest.fixture
def postgres() -> t.Iterator[int]:
    """A throwaway PostgreSQL server on a free port (as user ``postgres`` when run as root)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not binaries:
        _missing("PostgreSQL")
    bindir = Path(binaries[-1]).parent
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="heymarket-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data / "db"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-o",
            options,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield port
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(data, ignore_errors=True)


def test_meltano_upserts_into_postgresql_fully_then_incrementally(start_sandbox, postgres: int) -> None:
    psycopg = pytest.importorskip("psycopg")
    tmp = Path(tempfile.mkdtemp(prefix="heymarket-meltano-"))
    env = {
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_PORT": str(postgres),
        "TARGET_POSTGRES_USER": "postgres",
        "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
        "TARGET_POSTGRES_DATABASE": "postgres",
    }

    def query(sql: str) -> list[tuple]:
        with psycopg.connect(host="127.0.0.1", port=postgres, user="postgres", dbname="postgres") as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]

    try:
        _sync_twice(start_sandbox, "target-postgres", tmp, env, query)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
