"""What the pipeline tests share: one Meltano project (this repository's), and PostgreSQL.

Every pipeline test runs the real ``meltano run`` of this repository's ``meltano.yml`` (its
plugins are installed once by ``./scripts/setup-meltano``, so no test pays for an install),
with a Meltano system database of its own so state never leaks between tests. PostgreSQL is
a throwaway server on a free port, started from Debian's server binaries. Without Meltano
or the binaries the tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
IN_CI = os.environ.get("CI") == "true"


def missing(what: str) -> t.NoReturn:
    """Skip (locally) or fail (in CI) when a tool the pipeline needs is absent."""
    if IN_CI:
        pytest.fail(f"{what} is missing in CI: .ci/run must install it")
    pytest.skip(f"{what} is not installed (run ./scripts/setup-meltano / ./scripts/setup-postgres)")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def select_env(streams: t.Iterable[str]) -> str:
    """``TAP_HEYMARKET__SELECT`` for whole streams."""
    return json.dumps([f"{stream}.*" for stream in streams])


def meltano_run(loader: str, url: str, tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``meltano run tap-heymarket <loader>`` against the sandbox at ``url``; fails the test on error."""
    if not MELTANO.exists():
        missing("Meltano")
    run_env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp / 'meltano.db'}",  # its own state store
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_HEYMARKET_API_KEY": "sandbox-key",
        "TAP_HEYMARKET_API_URL": url,
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
        **env,
    }
    return meltano(ROOT, "run", "tap-heymarket", loader, env=run_env)


def meltano(
    cwd: Path, *args: str, env: t.Mapping[str, str], timeout: int = 300
) -> subprocess.CompletedProcess:
    """``meltano *args`` in ``cwd`` with exactly ``env``; fails the test (both outputs' tails) on error."""
    if not MELTANO.exists():
        missing("Meltano")
    done = subprocess.run(
        [str(MELTANO), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    command = " ".join(args)
    assert done.returncode == 0, f"meltano {command}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


def postgres_env(port: int) -> dict[str, str]:
    """target-postgres settings for the throwaway server."""
    return {
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_PORT": str(port),
        "TARGET_POSTGRES_USER": "postgres",
        "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
        "TARGET_POSTGRES_DATABASE": "postgres",
    }


def postgres_query(port: int) -> t.Callable[[str], list[tuple]]:
    """A function running one SQL query on the throwaway server, rows as tuples."""
    psycopg = pytest.importorskip("psycopg")

    def query(sql: str) -> list[tuple]:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres") as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]

    return query


@pytest.fixture
def scratch() -> t.Iterator[Path]:
    """A temporary directory for one pipeline test (Meltano's state store, batch files)."""
    path = Path(tempfile.mkdtemp(prefix="heymarket-pipeline-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def postgres() -> t.Iterator[int]:
    """A throwaway PostgreSQL server on a free port (as user ``postgres`` when run as root)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not binaries:
        missing("PostgreSQL")
    bindir = Path(binaries[-1]).parent
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="heymarket-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    initdb = [str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run([*as_user, *initdb], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-o", options, "-l", str(data / "log"), "-w"]
    subprocess.run([*as_user, *start, "start"], check=True, capture_output=True, timeout=120)
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
