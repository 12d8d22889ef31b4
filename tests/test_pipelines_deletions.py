"""Deleted records leave the warehouse only through a full read: Meltano into PostgreSQL.

The recipe the README gives: ``emit_activate_version_messages`` on the tap, ``hard_delete``
on target-postgres, and the streams whose deletions matter forced to FULL_TABLE through
Meltano's ``metadata`` extra. After contacts, a tag, a template, an inbox and a team member
are deleted on the sandbox (over HTTP, as from another process), the next run must remove
exactly the rows of the full-table streams that vanished, and change nothing else: the
template (an incremental stream) and the deleted inbox's conversations stay, because no
listing tells the tap about them.
"""

from __future__ import annotations

import json
import typing as t
import urllib.request
from pathlib import Path

import pytest

from heymarket_sandbox import SandboxAPI, generate
from tests import warehouse
from tests.cases import ALL_STREAMS
from tests.warehouse import meltano_run, postgres_env, postgres_query, select_env

postgres, scratch = warehouse.postgres, warehouse.scratch  # the fixtures

pytestmark = pytest.mark.warehouse

RECIPE = {
    "TAP_HEYMARKET_EMIT_ACTIVATE_VERSION_MESSAGES": "true",
    "TAP_HEYMARKET__METADATA": json.dumps(
        {stream: {"replication-method": "FULL_TABLE"} for stream in ("contacts", "tags")}
    ),
    "TARGET_POSTGRES_HARD_DELETE": "true",
}


def _http(url: str, method: str, path: str, body: object = None) -> None:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": "Bearer sandbox-key", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{url}{path}", data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 200, path


def _warehouse(query: t.Callable[[str], list[tuple]]) -> dict[str, dict[int, dict[str, t.Any]]]:
    """Every table's rows by id, without the target's ``_sdc_*`` bookkeeping columns."""
    out = {}
    for stream in ALL_STREAMS:
        columns = [
            name
            for (name,) in query(
                "select column_name from information_schema.columns where table_schema = "
                f"'tap_heymarket' and table_name = '{stream}' and column_name not like '\\_sdc\\_%'"
            )
        ]
        rows = query(f"select {', '.join(columns)} from tap_heymarket.{stream}")
        out[stream] = {row[columns.index("id")]: dict(zip(columns, row, strict=True)) for row in rows}
    return out


def test_a_full_table_run_with_hard_delete_removes_exactly_the_deleted_records(
    start_sandbox, postgres: int, scratch: Path
) -> None:
    api = SandboxAPI(generate(240, 3, contacts=60, messages=60, tags=20, templates=15, seed=5))
    url = start_sandbox(api).url
    env = {**postgres_env(postgres), **RECIPE, "TAP_HEYMARKET__SELECT": select_env(ALL_STREAMS)}
    query = postgres_query(postgres)
    meltano_run("target-postgres", url, scratch, env)
    before = _warehouse(query)
    for stream in ALL_STREAMS:
        assert len(before[stream]) == len(_source(api, stream)), stream

    contacts = sorted(before["contacts"])[3::20]
    tag, template, inbox = min(before["tags"]), min(before["templates"]), 5002
    member = api.data.inboxes[0]["members"][1]
    for contact in contacts:
        _http(url, "DELETE", f"/v1/contacts/{contact}")
    _http(url, "DELETE", f"/v1/tags/{tag}")
    _http(url, "DELETE", f"/v1/templates/{template}")
    _http(url, "POST", "/_sandbox/delete-inbox", {"id": inbox})
    _http(url, "POST", "/_sandbox/delete-team-member", {"id": member})
    meltano_run("target-postgres", url, scratch, env)
    after = _warehouse(query)

    expected = {stream: dict(rows) for stream, rows in before.items()}
    for contact in contacts:
        del expected["contacts"][contact]
    del expected["tags"][tag]
    del expected["inboxes"][inbox]
    del expected["team_members"][member]
    for row in expected["inboxes"].values():  # the member left the inboxes it belonged to
        row["members"] = [m for m in row["members"] if m != {"id": member}]
    for stream in ALL_STREAMS:
        assert after[stream] == expected[stream], stream
    assert template in after["templates"]  # incremental: a deletion is invisible to it
    assert any(row["inbox"]["id"] == inbox for row in after["conversations"].values())


def _source(api: SandboxAPI, stream: str) -> list[t.Any]:
    if stream == "inboxes":
        return api.data.inboxes
    if stream == "team_members":
        return api.data.team["members"]
    if stream == "surveys":
        return api.data.surveys
    return list(api.listing(stream).records)
