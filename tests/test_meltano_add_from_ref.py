"""Someone else's Meltano project takes the tap in one command: ``meltano add --from-ref``.

This is what README's Meltano section promises, run for real: a fresh ``meltano init``
project, the Hub definition (``hub/tap-heymarket.yml``) with its ``pip_url`` pointed at a
wheel built from this checkout, then ``config list``, ``config test`` and ``meltano run``
into ``target-jsonl`` against a sandbox, checking every stream's record count. Meltano is
installed by ``./scripts/test``; without it the test skips locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path

import pytest
import yaml

from tap_heymarket.sandbox import SandboxAPI, generate
from tests.harness import build_wheel
from tests.warehouse import MELTANO, meltano, missing

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "hub" / "tap-heymarket.yml"
TARGET_JSONL = {
    "name": "target-jsonl",
    "namespace": "target_jsonl",
    "pip_url": "target-jsonl==0.1.4",
    "executable": "target-jsonl",
    "settings": [{"name": "destination_path", "kind": "string"}],
}

pytestmark = pytest.mark.warehouse


def _meltano(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Meltano's answer (both streams), as a user in a fresh project sees it."""
    environment = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    done = meltano(project, *args, env=environment, timeout=600)
    return done.stdout + done.stderr


def _expected_counts(api: SandboxAPI) -> dict[str, int]:
    counts = {s: len(api.listing(s).records) for s in ("conversations", "contacts", "tags", "templates")}
    return {
        **counts,
        "messages": len(api.listing("messages").records),
        "inboxes": len(api.data.inboxes),
        "team_members": len(api.data.team["members"]),
        "surveys": len(api.data.surveys),
    }


def _landed(output: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in output.glob("*.jsonl"):
        stream = path.name.rsplit("-", 1)[0]
        counts[stream] = counts.get(stream, 0) + len(path.read_text(encoding="utf-8").splitlines())
    return counts


def test_a_fresh_meltano_project_adds_the_tap_from_the_definition_and_loads_every_stream(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    if not MELTANO.exists():
        missing("Meltano")
    wheel = build_wheel(tmp_path / "dist")
    definition = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    definition["pip_url"] = str(wheel)
    ref = tmp_path / "tap-heymarket.yml"
    ref.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    loader_ref = tmp_path / "target-jsonl.yml"
    loader_ref.write_text(yaml.safe_dump(TARGET_JSONL, sort_keys=False), encoding="utf-8")

    _meltano(tmp_path, "init", "project", "--no_usage_stats")
    project = tmp_path / "project"
    _meltano(project, "add", "extractor", "tap-heymarket", "--from-ref", str(ref))
    _meltano(project, "add", "loader", "target-jsonl", "--from-ref", str(loader_ref))

    listed = _meltano(project, "config", "list", "tap-heymarket", "--all")
    undeclared = [s["name"] for s in definition["settings"] if f"\n{s['name']} " not in listed]
    assert not undeclared, listed
    assert "Group 1: api_secret_id, api_secret_key\n  Group 2: api_key" in listed
    version = wheel.name.split("-")[1]
    assert f"tap-heymarket v{version}," in _meltano(project, "invoke", "tap-heymarket", "--version")

    api = SandboxAPI(generate(120, 2, contacts=45, messages=70, tags=15, templates=12, surveys=5, seed=5))
    output = tmp_path / "output"
    output.mkdir()
    env = {
        "TAP_HEYMARKET_API_KEY": "sandbox-key",
        "TAP_HEYMARKET_API_URL": start_sandbox(api).url,
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
        "TARGET_JSONL_DESTINATION_PATH": str(output),
        "TAP_HEYMARKET_MESSAGES_LOOKBACK_DAYS": "2",  # a setting from the environment, as users set it
    }
    _meltano(project, "config", "set", "tap-heymarket", "progress_interval", "5")
    tested = _meltano(project, "config", "test", "tap-heymarket", env=env)
    assert "Plugin configuration is valid" in tested, tested

    _meltano(project, "run", "tap-heymarket", "target-jsonl", env=env)
    assert _landed(output) == _expected_counts(api)
    assert json.loads(next(output.glob("conversations-*.jsonl")).read_text().splitlines()[0])["id"]
