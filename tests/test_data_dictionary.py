"""The data dictionary: every column described, README's tables in step, one shape per concept.

README's per-stream tables are rendered from ``schemas/*.json`` by
``scripts/data_dictionary.py`` (``--check`` fails on drift or on a property without a
description); a reference to another stream's record is ``{"id": …}`` in every stream; and
README's flattening recipe lists the columns the SDK's flattening really produces.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from tests.harness import config_for, run_sync
from tests.readme_blocks import ROOT, section

SCRIPT = ROOT / "scripts" / "data_dictionary.py"
ALL = ("conversations", "contacts", "inboxes", "messages", "surveys", "tags", "team_members", "templates")


def _generator() -> t.Any:
    """The generator script as a module; its own folder on the path, as when it is run."""
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("data_dictionary", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_schema_property_has_a_description_and_readme_shows_the_current_tables() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _generator().undescribed() == []


def test_the_check_names_a_property_left_without_a_description(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = _generator()
    for path in (ROOT / "schemas").glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "tags":
            del schema["properties"]["color"]["description"]
        (tmp_path / path.name).write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setattr(generator, "SCHEMAS", tmp_path)
    assert generator.main(["--check"]) == 1
    assert "without a description: tags.color" in capsys.readouterr().out


def test_descriptions_reach_the_catalog(sandbox: t.Any) -> None:
    result = run_sync(config_for(sandbox.url), streams=["conversations"])
    assert result.schema()["properties"]["inbox"]["properties"]["id"]["description"].startswith("Inbox ID")


def test_a_member_is_an_id_object_in_inboxes_as_in_conversations(sandbox: t.Any) -> None:
    result = run_sync(config_for(sandbox.url), streams=["inboxes", "conversations"])
    inbox_members = [m for r in result.records("inboxes") for m in r["members"]]
    conversation_members = [m for r in result.records("conversations") for m in r["members"]]
    assert inbox_members and all(set(m) == {"id"} and isinstance(m["id"], int) for m in inbox_members)
    assert all(isinstance(m, dict) and isinstance(m["id"], int) for m in conversation_members)
    directory = {i["id"]: i["members"] for i in sandbox.api.data.inboxes}
    assert {r["id"]: [m["id"] for m in r["members"]] for r in result.records("inboxes")} == directory


def test_the_flattening_recipe_lists_the_columns_flattening_produces(sandbox: t.Any) -> None:
    config = config_for(sandbox.url, flattening_enabled=True, flattening_max_depth=1)
    result = run_sync(config, streams=ALL)
    recipe = section("Data dictionary").split("**Flat tables.**", 1)[1].split("<!--", 1)[0]
    named = set(re.findall(r"`(\w+__\w+)`", recipe))
    produced = {p for s in ALL for p in result.schema(s)["properties"] if "__" in p}
    assert named == produced
    assert {"assigned", "inbox"}.isdisjoint(result.schema("conversations")["properties"])
    assert "members" in result.schema("conversations")["properties"]  # lists stay JSON
