"""The Singer SDK features the tap advertises (``--about``, meltano.yml), each proved once.

The tap walks its listings itself (its own request loop, its own resume keys beside the SDK's
bookmark), so each feature the SDK would otherwise guarantee is checked here against what a
target receives:
stream maps (drop, add, alias, filter), flattening, deselected nested properties, ``--test``
and BATCH. FULL_TABLE is proved in ``test_full_table.py``.
"""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
import typing as t
from pathlib import Path
from urllib.parse import urlparse

import pytest

from heymarket_sandbox import SandboxAPI, generate
from tests.cases import ALL_STREAMS
from tests.harness import catalog_selecting, config_for, run_sync

TAP = str(Path(sys.executable).with_name("tap-heymarket"))


def _account() -> SandboxAPI:
    return SandboxAPI(generate(150, 3, contacts=40, messages=50, tags=12, templates=9, seed=3))


@pytest.fixture
def url(start_sandbox) -> str:
    return str(start_sandbox(_account()).url)


# -- stream maps -------------------------------------------------------------------------


def test_a_stream_map_drops_a_property_from_schema_and_records(url: str) -> None:
    plain = run_sync(config_for(url))
    assert all("target" in r for r in plain.records())
    mapped = run_sync(config_for(url, stream_maps={"conversations": {"target": "__NULL__"}}))
    assert "target" not in mapped.schema()["properties"]
    assert mapped.ids() and not [r for r in mapped.records() if "target" in r]


def test_a_stream_map_adds_a_computed_property(url: str) -> None:
    maps = {"conversations": {"label": "str(id) + '/' + channel"}}
    mapped = run_sync(config_for(url, stream_maps=maps))
    assert mapped.schema()["properties"]["label"]["type"] in ("string", ["string", "null"])
    assert [r["label"] for r in mapped.records()] == [f"{r['id']}/{r['channel']}" for r in mapped.records()]


def test_a_stream_map_alias_renames_the_stream_in_every_message(url: str) -> None:
    mapped = run_sync(
        config_for(url, stream_maps={"tags": {"__alias__": "heymarket_tags"}}), streams=["tags"]
    )
    streams = {m["stream"] for m in mapped.messages if "stream" in m}
    assert streams == {"heymarket_tags"}
    assert len(mapped.records("heymarket_tags")) == 12


def test_a_stream_map_filter_keeps_only_matching_records(url: str) -> None:
    plain = run_sync(config_for(url))
    sms = sorted(r["id"] for r in plain.records() if r["channel"] == "sms")
    assert 0 < len(sms) < len(plain.ids())
    mapped = run_sync(config_for(url, stream_maps={"conversations": {"__filter__": "channel == 'sms'"}}))
    assert sorted(mapped.ids()) == sms


# -- flattening and selection -----------------------------------------------------------


def test_flattening_turns_nested_objects_into_double_underscore_columns(url: str) -> None:
    plain = run_sync(config_for(url))
    flat = run_sync(config_for(url, flattening_enabled=True, flattening_max_depth=1))
    properties = flat.schema()["properties"]
    assert "inbox__id" in properties and "inbox" not in properties
    by_id = {r["id"]: r for r in plain.records()}
    for record in flat.records():
        assert "inbox" not in record
        assert record["inbox__id"] == by_id[record["id"]]["inbox"]["id"]


def test_a_deselected_nested_property_is_removed_from_records(url: str) -> None:
    config = config_for(url)
    plain = run_sync(config)
    assert any("email" in (r.get("assigned") or {}) for r in plain.records())
    catalog = catalog_selecting(config, ["conversations"])
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "conversations")
    breadcrumb = ["properties", "assigned", "properties", "email"]
    entry["metadata"].append({"breadcrumb": breadcrumb, "metadata": {"selected": False}})
    trimmed = run_sync(config, catalog=catalog)
    assert sorted(trimmed.ids()) == sorted(plain.ids())
    assert not [r for r in trimmed.records() if "email" in (r.get("assigned") or {})]
    assert any("name" in (r.get("assigned") or {}) for r in trimmed.records())


# -- --test ------------------------------------------------------------------------------


def test_the_test_flag_syncs_one_record_per_stream_and_exits_0(url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_for(url)), encoding="utf-8")
    done = subprocess.run(
        [TAP, "--config", str(config), "--test"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    records: dict[str, int] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records[message["stream"]] = records.get(message["stream"], 0) + 1
    assert records == dict.fromkeys(ALL_STREAMS, 1)


# -- BATCH -------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_batch_mode_writes_files_holding_exactly_the_records_of_a_record_mode_run(
    url: str, tmp_path: Path, compression: str
) -> None:
    plain = run_sync(config_for(url), streams=ALL_STREAMS)
    batch_config = {
        "encoding": {"format": "jsonl", "compression": compression},
        "storage": {"root": f"file://{tmp_path}"},
    }
    batched = run_sync(config_for(url, batch_config=batch_config), streams=ALL_STREAMS)
    assert not [m for m in batched.messages if m["type"] == "RECORD"]
    batches = [m for m in batched.messages if m["type"] == "BATCH"]
    assert {m["stream"] for m in batches} == set(ALL_STREAMS)
    for stream in ALL_STREAMS:
        announced = [(m["encoding"], url) for m in batches if m["stream"] == stream for url in m["manifest"]]
        assert all(encoding == batch_config["encoding"] for encoding, _ in announced), stream
        records = [record for encoding, file in announced for record in _read_batch(file, encoding)]
        assert _by_id(records) == _by_id(plain.records(stream)), stream
        assert len(records) == len(plain.records(stream)), stream


def _read_batch(file_url: str, encoding: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """A batch file's records, read as its BATCH message says a target must read it."""
    path = Path(urlparse(file_url).path)
    assert path.exists(), file_url
    raw = path.read_bytes()
    if encoding.get("compression") == "gzip":
        raw = gzip.decompress(raw)
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def _by_id(records: list[dict[str, t.Any]]) -> dict[t.Any, dict[str, t.Any]]:
    return {r["id"]: copy.deepcopy(r) for r in records}
