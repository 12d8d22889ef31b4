"""README's "Your own project in five minutes", run as written, and its data-dictionary queries.

The section's commands run in order in a fresh directory, with only what a test must swap:
the definition's address (a local copy whose ``pip_url`` is a wheel of this checkout) and the
sandbox's port (a free one). Its YAML goes into ``meltano.yml`` where the section says. Then
the DuckDB file it produced answers README's joins and its three example queries, and each
answer is checked against the sandbox's own data, computed here in Python.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import subprocess
import textwrap
import typing as t
from pathlib import Path

import pytest
import yaml

from heymarket_sandbox import generate
from tests.harness import build_wheel
from tests.readme_blocks import blocks, section
from tests.warehouse import MELTANO, free_port, missing

pytestmark = pytest.mark.warehouse
TITLE = "Your own project in five minutes"
UTC = dt.timezone.utc


def _bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{script}\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def _definition(tmp_path: Path) -> Path:
    definition = yaml.safe_load((Path(__file__).parent.parent / "hub" / "tap-heymarket.yml").read_text())
    definition["pip_url"] = str(build_wheel(tmp_path / "dist"))
    ref = tmp_path / "tap-heymarket.yml"
    ref.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    return ref


def _week(instant: dt.datetime) -> dt.datetime:
    """DuckDB's ``date_trunc('week', …)``: the Monday at midnight, naive UTC."""
    day = instant.astimezone(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=day.weekday())


def _reference(conversation: dict[str, t.Any], field: str) -> int | None:
    value = conversation.get(field)
    return value["id"] if isinstance(value, dict) else value


def _run_the_section(tmp_path: Path) -> tuple[Path, dt.datetime]:
    """The section's commands, in order; the project directory and when its runs started."""
    text = section(TITLE)
    steps = blocks(text)
    (loaders,) = blocks(text, "yaml")
    port = str(free_port())
    ref = _definition(tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TAP_HEYMARKET_", "MELTANO_"))},
        "PATH": f"{MELTANO.parent}:{os.environ['PATH']}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    address = re.search(r"--from-ref (\S+)", steps[0])
    assert address and address.group(1).startswith("https://")
    _bash(steps[0].replace(address.group(1), str(ref)), tmp_path, env)
    (project,) = [p for p in tmp_path.iterdir() if (p / "meltano.yml").exists()]

    manifest = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    manifest["plugins"].update(yaml.safe_load(textwrap.dedent(loaders)))
    (project / "meltano.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")

    rest = "\n".join(steps[1:]).replace("8765", port)
    assert "heymarket-sandbox" in rest and "/_sandbox/touch" in rest
    started = dt.datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    # the section starts the sandbox in the background: this shell stops it (by its job's pid)
    _bash("trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + rest, project, env)
    return project, started


def _expected_waits(data: t.Any) -> list[float]:
    """Seconds from each conversation's first inbound message to the first reply after it."""
    waits = []
    for conversation_id in {m["conversation"] for m in data.messages}:
        mine = [m for m in data.messages if m["conversation"] == conversation_id]
        asked = [m["date"] for m in mine if m["user"] is None]
        if asked:
            replies = [m["date"] for m in mine if m["user"] is not None and m["date"] > min(asked)]
            if replies:
                waits.append((min(replies) - min(asked)).total_seconds())
    return waits


def test_the_five_minute_section_builds_a_warehouse_that_answers_the_readme_queries(tmp_path: Path) -> None:
    if not MELTANO.exists():
        missing("Meltano")
    project, started = _run_the_section(tmp_path)
    import duckdb

    db = duckdb.connect(str(project / "heymarket.duckdb"), read_only=True)
    data = generate(2000, 3, seed=7, contacts=400, messages=1000, days=90)  # the sandbox's defaults
    conversations = {c["id"]: c for c in data.conversations}
    names = {m["id"]: m["name"] for m in data.team["members"]}
    inboxes = {i["id"]: i["name"] for i in data.inboxes}

    touched = db.execute(
        "SELECT id FROM tap_heymarket.conversations WHERE updated >= ? ORDER BY id", [started]
    ).fetchall()
    assert touched == [(100000,), (100001,)]  # the incremental run picked up the two touched

    queries = blocks(section("Data dictionary"), "sql")
    assert len(queries) == 3
    volume, response, open_by_assignee = (db.execute(q).fetchall() for q in queries)

    expected_volume: dict[tuple[str, dt.datetime], int] = {}
    for message in data.messages:
        key = (inboxes[conversations[message["conversation"]]["_inbox"]], _week(message["date"]))
        expected_volume[key] = expected_volume.get(key, 0) + 1
    assert volume == sorted(((i, w, n) for (i, w), n in expected_volume.items()), key=lambda r: (r[1], r[0]))
    assert len({week for _, week, _ in volume}) >= 12  # about 90 days of activity

    waits = _expected_waits(data)
    ((answered, median_minutes),) = response
    assert answered == len(waits) > 50
    assert float(median_minutes) == round(statistics.median(waits) / 60, 1)

    expected_open: dict[str, int] = {}
    for conversation in data.conversations:
        if conversation["status"] == "open":
            assignee = _reference(conversation, "assigned")
            name = names[assignee] if assignee is not None else "(unassigned)"
            expected_open[name] = expected_open.get(name, 0) + 1
    assert open_by_assignee == sorted(expected_open.items(), key=lambda r: (-r[1], r[0]))

    # README's join table: every conversation finds its one contact, its inbox and its assignee
    matched = db.execute(
        """SELECT c.id, count(k.id) FROM tap_heymarket.conversations c
           LEFT JOIN tap_heymarket.contacts k
             ON c.target = regexp_replace(k.phone, '[^0-9]', '', 'g') OR c.target = lower(k.email)
           GROUP BY c.id HAVING count(k.id) <> 1"""
    ).fetchall()
    assert matched == []
    orphans = db.execute(
        """SELECT count(*) FROM tap_heymarket.conversations c
           LEFT JOIN tap_heymarket.inboxes i ON i.id = (c.inbox->>'id')::BIGINT
           LEFT JOIN tap_heymarket.team_members t ON t.id = (c.assigned->>'id')::BIGINT
           WHERE i.id IS NULL OR (c.assigned->>'id' IS NOT NULL AND t.id IS NULL)"""
    ).fetchone()
    assert orphans == (0,)
    early = db.execute(
        """SELECT count(*) FROM tap_heymarket.messages m
           JOIN tap_heymarket.conversations c ON c.id = (m.conversation->>'id')::BIGINT
           WHERE m.date < c.created"""
    ).fetchone()
    assert early == (0,)  # no message before its conversation was created
