"""One Meltano project, many Heymarket accounts: the README's "Many accounts" setup, run for real.

The test builds a throwaway Meltano project from the repository's own ``tap-heymarket`` and
``target-duckdb`` definitions plus the YAML snippet of the README's "Many accounts" section
(so the README cannot drift from what works), and runs both inherited extractors against
two sandboxes that differ in size, seed, credentials and record IDs, into one DuckDB file.
A mix-up of credentials fails authentication; a mix-up of schemas or state shows as wrong
counts, foreign IDs, or a full re-read where an incremental one was due.

The project reuses the plugin virtualenvs ``./scripts/setup-meltano`` installed (its
``.meltano/extractors`` and ``.meltano/loaders`` are symlinked, and ``--no-install`` keeps
Meltano from touching them), so no plugin is installed during the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest
import yaml

from heymarket_sandbox import SandboxAPI, generate
from heymarket_sandbox.data import Dataset
from tests.warehouse import MELTANO, ROOT, meltano, missing

STREAMS = ("conversations", "contacts", "tags", "templates", "messages", "surveys")
TOUCHED_AT = dt.datetime(2025, 6, 1, 9, 0, 0, tzinfo=dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Account:
    """One client account: its sandbox's shape, its own secret pair, and an ID range of its own."""

    name: str
    conversations: int
    inboxes: int
    seed: int
    id_offset: int

    @property
    def extractor(self) -> str:
        return f"tap-heymarket--{self.name}"

    @property
    def schema(self) -> str:
        return f"heymarket_{self.name}"

    @property
    def secret(self) -> tuple[str, str]:
        return f"{self.name}-id", f"{self.name}-secret"


ACME = Account("acme", conversations=420, inboxes=2, seed=31, id_offset=0)
GLOBEX = Account("globex", conversations=540, inboxes=3, seed=57, id_offset=50_000_000)

pytestmark = pytest.mark.warehouse


def _relabelled(data: Dataset, offset: int) -> Dataset:
    """Move every record ID by ``offset``: generated accounts all number from the same base,
    and the test must tell one account's rows from the other's."""
    for rows in (data.conversations, data.contacts, data.tags, data.templates, data.messages, data.surveys):
        for row in rows:
            row["id"] += offset
    for message in data.messages:
        message["conversation"] += offset
    return data


def _sandbox_api(account: Account) -> SandboxAPI:
    data = generate(
        account.conversations,
        account.inboxes,
        seed=account.seed,
        contacts=account.conversations // 4,
        messages=account.conversations // 3,
        tags=11 + account.inboxes,
        templates=7 + account.inboxes,
        surveys=2 + account.inboxes,
    )
    return SandboxAPI(_relabelled(data, account.id_offset), api_keys=(), secrets=(account.secret,))


def _ids(api: SandboxAPI, stream: str) -> set[int]:
    if stream == "surveys":
        return {row["id"] for row in api.data.surveys}
    return set(api.listing(stream).records)


def _readme_snippet() -> dict[str, t.Any]:
    """The first YAML block of the README's "Many accounts" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Many accounts\n", 1)[1].split("\n## ", 1)[0]
    return yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])


def _project(directory: Path) -> Path:
    """A Meltano project: the repository's tap and DuckDB loader, with the README's additions."""
    repo = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    snippet = _readme_snippet()["plugins"]
    tap = next(p for p in repo["plugins"]["extractors"] if p["name"] == "tap-heymarket")
    duckdb = next(p for p in repo["plugins"]["loaders"] if p["name"] == "target-duckdb")
    (loader_config,) = (p["config"] for p in snippet["loaders"] if p["name"] == "target-duckdb")
    project = {
        "default_environment": "dev",
        "project_id": "tap-heymarket-many-accounts-test",
        "send_anonymous_usage_stats": False,
        "environments": [{"name": "dev"}],
        "plugins": {
            "extractors": [tap, *snippet["extractors"]],
            "loaders": [{**duckdb, "config": {**duckdb.get("config", {}), **loader_config}}],
        },
    }
    directory.mkdir()
    (directory / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    locks = directory / "plugins" / "extractors"  # the tap's definition is the repository's lock file
    locks.mkdir(parents=True)
    for lock in (ROOT / "plugins" / "extractors").glob("*.lock"):
        (locks / lock.name).write_bytes(lock.read_bytes())
    system = directory / ".meltano"
    system.mkdir()
    for kind in ("extractors", "loaders"):
        (system / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    return directory


def _environment(tmp: Path, urls: dict[Account, str]) -> dict[str, str]:
    """No stray ``TAP_HEYMARKET_*`` credentials (they would reach every account), each
    account's API URL under its own extractor's prefix, and its secrets where the snippet
    reads them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_HEYMARKET", "TARGET_DUCKDB"))}
    env = {
        **clean,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",  # on the parent: both accounts inherit it
        "TAP_HEYMARKET__SELECT": '["' + '.*", "'.join(STREAMS) + '.*"]',
        "TARGET_DUCKDB_FILEPATH": str(tmp / "warehouse.duckdb"),
    }
    for account, url in urls.items():
        secret_id, secret_key = account.secret
        env[f"{account.name.upper()}_HEYMARKET_SECRET_ID"] = secret_id
        env[f"{account.name.upper()}_HEYMARKET_SECRET_KEY"] = secret_key
        env[f"TAP_HEYMARKET__{account.name.upper()}_API_URL"] = url
    return env


def _tables(path: Path, schema: str) -> dict[str, list[tuple]]:
    """Every row of every stream table of one schema, in ID order, each led by its ID."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return {s: db.sql(f"select id, * from {schema}.{s} order by id").fetchall() for s in STREAMS}


def _check_landed(path: Path, account: Account, api: SandboxAPI, other: SandboxAPI) -> None:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        tables = db.sql(
            f"select table_name from information_schema.tables where table_schema = '{account.schema}'"
        ).fetchall()
        assert {row[0] for row in tables} == set(STREAMS)  # the parent's selection reached this account
        for stream in STREAMS:
            expected = _ids(api, stream)
            table = f"{account.schema}.{stream}"
            counts = db.sql(f"select count(*), count(distinct id) from {table}").fetchall()
            assert counts == [(len(expected), len(expected))], (table, counts)
            landed = {row[0] for row in db.sql(f"select id from {table}").fetchall()}
            assert landed == expected, table
            assert not landed & _ids(other, stream), f"{table} holds the other account's IDs"


def test_two_accounts_land_in_their_own_schemas_and_resume_from_their_own_state(start_sandbox) -> None:
    pytest.importorskip("duckdb")
    if not MELTANO.exists():
        missing("Meltano")
    for plugin in ("extractors/tap-heymarket", "loaders/target-duckdb"):
        if not (ROOT / ".meltano" / plugin / "venv").is_dir():
            missing(f"Meltano plugin {plugin}")
    apis = {ACME: _sandbox_api(ACME), GLOBEX: _sandbox_api(GLOBEX)}
    urls = {account: start_sandbox(api).url for account, api in apis.items()}
    tmp = Path(tempfile.mkdtemp(prefix="heymarket-accounts-"))
    warehouse = tmp / "warehouse.duckdb"
    try:
        project = _project(tmp / "project")
        env = _environment(tmp, urls)
        for account in apis:  # DuckDB takes one writer at a time: one account after the other
            meltano(project, "run", "--no-install", account.extractor, "target-duckdb", env=env)
        full = {account: api.request_count("/v1/conversations") for account, api in apis.items()}
        _check_landed(warehouse, ACME, apis[ACME], apis[GLOBEX])
        _check_landed(warehouse, GLOBEX, apis[GLOBEX], apis[ACME])

        acme_before = _tables(warehouse, ACME.schema)
        globex_before = _tables(warehouse, GLOBEX.schema)
        touched = sorted(apis[GLOBEX].conversations.records)[::23]
        for n, conversation_id in enumerate(touched):
            apis[GLOBEX].touch(conversation_id, TOUCHED_AT + dt.timedelta(seconds=n), status="closed")
        for api in apis.values():
            api.requests.clear()
        for account in apis:
            meltano(project, "run", "--no-install", account.extractor, "target-duckdb", env=env)

        for account, api in apis.items():  # both second runs read only the top of each slice
            slices = 2 * len(api.data.inboxes)
            assert api.request_count("/v1/conversations") <= 2 * slices < full[account], account.name
        assert _tables(warehouse, ACME.schema) == acme_before  # the untouched account is as it was
        globex_after = _tables(warehouse, GLOBEX.schema)
        assert {s: rows for s, rows in globex_after.items() if s != "conversations"} == {
            s: rows for s, rows in globex_before.items() if s != "conversations"
        }
        changed = {row[0] for row in set(globex_after["conversations"]) - set(globex_before["conversations"])}
        assert changed == set(touched)
        _check_landed(warehouse, ACME, apis[ACME], apis[GLOBEX])
        _check_landed(warehouse, GLOBEX, apis[GLOBEX], apis[ACME])

        state_ids = meltano(project, "state", "list", env=env).stdout.split()
        assert sorted(state_ids) == [f"dev:{a.extractor}-to-target-duckdb" for a in (ACME, GLOBEX)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _suffix_commands() -> list[str]:
    """README's ``--state-id-suffix`` commands, one per account (continuation lines joined)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Many accounts\n", 1)[1].split("\n## ", 1)[0]
    fenced = [b.split("```", 1)[0] for b in section.split("```bash\n")[1:]]
    (block,) = [b for b in fenced if "--state-id-suffix" in b]
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]


def test_one_extractor_with_credentials_per_run_keeps_one_state_per_account_suffix(start_sandbox) -> None:
    pytest.importorskip("duckdb")
    if not MELTANO.exists():
        missing("Meltano")
    for plugin in ("extractors/tap-heymarket", "loaders/target-duckdb"):
        if not (ROOT / ".meltano" / plugin / "venv").is_dir():
            missing(f"Meltano plugin {plugin}")
    apis = {ACME: _sandbox_api(ACME), GLOBEX: _sandbox_api(GLOBEX)}
    urls = {account: start_sandbox(api).url for account, api in apis.items()}
    commands = _suffix_commands()
    assert [f"--state-id-suffix {a.name} " in c for a, c in zip(apis, commands, strict=True)] == [True, True]
    tmp = Path(tempfile.mkdtemp(prefix="heymarket-suffix-"))
    warehouse = tmp / "warehouse.duckdb"
    try:
        project = _project(tmp / "project")
        env = {
            **_environment(tmp, urls),
            "MELTANO_AUTO_INSTALL": "false",
        }  # the shared venvs stay as they are

        def run_all() -> None:
            for account, command in zip(
                apis, commands, strict=True
            ):  # as written, with its sandbox's address
                line = f"TAP_HEYMARKET_API_URL={urls[account]} " + command.replace(
                    ".venv-meltano/bin/meltano", str(MELTANO)
                )
                done = subprocess.run(
                    ["bash", "-c", line],
                    check=False,
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert done.returncode == 0, done.stderr[-3000:]

        run_all()
        full = {account: api.request_count("/v1/conversations") for account, api in apis.items()}
        _check_landed(warehouse, ACME, apis[ACME], apis[GLOBEX])
        _check_landed(warehouse, GLOBEX, apis[GLOBEX], apis[ACME])
        for api in apis.values():
            api.requests.clear()
        run_all()
        for account, api in apis.items():  # the second runs resumed from their own suffix's state
            assert api.request_count("/v1/conversations") <= 4 * len(api.data.inboxes) < full[account]
        state_ids = meltano(project, "state", "list", env=env).stdout.split()
        assert sorted(state_ids) == [f"dev:tap-heymarket-to-target-duckdb:{a.name}" for a in (ACME, GLOBEX)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
