"""README's "Deleted records" recipe names only settings, streams and plugins that exist.

The end-to-end proof (``test_pipelines_deletions.py``) drives the same configuration through
environment variables; this keeps the YAML a reader copies in step with the tap and with
``meltano.yml`` without paying for another Meltano run.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import yaml

from tap_heymarket.settings import TAP_SETTINGS
from tap_heymarket.tap import STREAM_TYPES

ROOT = Path(__file__).resolve().parent.parent
ALL_STREAMS = [stream.name for stream in STREAM_TYPES]


def _recipe() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deleted records", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "the Deleted records section shows its Meltano configuration"
    return yaml.safe_load(match.group(1))


def test_the_recipe_forces_existing_streams_to_full_table_with_activate_version_on() -> None:
    extractor = _recipe()["plugins"]["extractors"][0]
    assert extractor["inherit_from"] == "tap-heymarket"
    assert set(extractor["config"]) <= set(TAP_SETTINGS)
    assert extractor["config"]["emit_activate_version_messages"] is True
    forced = extractor["metadata"]
    assert forced and set(forced) <= set(ALL_STREAMS)
    assert all(rule == {"replication-method": "FULL_TABLE"} for rule in forced.values())
    selected = {
        s for pattern in extractor["select"] for s in ALL_STREAMS if fnmatch.fnmatch(f"{s}.x", pattern)
    }
    assert set(forced) <= selected


def test_the_recipe_turns_on_a_setting_target_postgres_declares_and_schedules_its_job() -> None:
    recipe = _recipe()
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    loader = recipe["plugins"]["loaders"][0]
    declared = next(p for p in project["plugins"]["loaders"] if p["name"] == loader["name"])
    assert set(loader["config"]) <= {s["name"] for s in declared["settings"]}
    assert loader["config"]["hard_delete"] is True
    job = recipe["jobs"][0]
    assert job["tasks"] == [f"{recipe['plugins']['extractors'][0]['name']} {loader['name']}"]
    assert recipe["schedules"][0]["job"] == job["name"]
