"""Someone else's Meltano project takes the tap in one command: README's ``meltano add`` line.

This is what README's Meltano section promises, run for real: the line exactly as README
writes it, with only its ``--from-ref`` address swapped for a local copy of the Hub
definition (``hub/tap-heymarket.yml``) whose ``pip_url`` is a wheel built from this checkout.
Into a fresh ``meltano init`` project it must add exactly one plugin named ``tap-heymarket``,
an extractor (Meltano 4 read the older ``meltano add extractor …`` form as two plugin names),
then ``config list``, ``config test`` and ``meltano run`` into ``target-jsonl`` against a
sandbox load every stream. Into a project that already has another extractor it must add the
tap beside it and leave it alone. Meltano is installed by ``./scripts/test``; without it the
test skips locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import shlex
import typing as t
from pathlib import Path

import pytest
import yaml

from heymarket_sandbox import SandboxAPI, generate
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


def _readme_add_line() -> list[str]:
    """README's ``meltano add`` line, split as a shell would (the Meltano section's first block)."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Meltano\n", 1)[1]
    (line,) = section.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    return shlex.split(line)


def _add_as_readme_says(project: Path, ref: Path) -> None:
    """The README line with only the definition's address swapped for ``ref``."""
    words = _readme_add_line()
    assert words[0] == "meltano"
    at = words.index("--from-ref") + 1
    assert words[at].startswith("https://")
    _meltano(project, *words[1:at], str(ref), *words[at + 1 :])


def _plugins(project: Path) -> dict[str, list[str]]:
    """Plugin names by type, as the project's ``meltano.yml`` now holds them."""
    plugins = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8")).get("plugins") or {}
    return {kind: [p["name"] for p in entries] for kind, entries in plugins.items()}


def _local_definition(tmp_path: Path) -> tuple[Path, dict[str, t.Any], Path]:
    """The Hub definition with ``pip_url`` pointed at a wheel of this checkout (path, content, wheel)."""
    wheel = build_wheel(tmp_path / "dist")
    definition = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    definition["pip_url"] = str(wheel)
    ref = tmp_path / "tap-heymarket.yml"
    ref.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    return ref, definition, wheel


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
    ref, definition, wheel = _local_definition(tmp_path)
    loader_ref = tmp_path / "target-jsonl.yml"
    loader_ref.write_text(yaml.safe_dump(TARGET_JSONL, sort_keys=False), encoding="utf-8")

    _meltano(tmp_path, "init", "project", "--no_usage_stats")
    project = tmp_path / "project"
    _add_as_readme_says(project, ref)
    assert _plugins(project) == {"extractors": ["tap-heymarket"]}
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


def test_the_readme_line_adds_the_tap_beside_an_extractor_the_project_already_uses(tmp_path: Path) -> None:
    if not MELTANO.exists():
        missing("Meltano")
    ref, _definition, _wheel = _local_definition(tmp_path)
    _meltano(tmp_path, "init", "project", "--no_usage_stats")
    project = tmp_path / "project"
    manifest = project / "meltano.yml"
    other = {"name": "tap-other", "namespace": "tap_other", "pip_url": "tap-other==1.0", "config": {"x": 1}}
    existing = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    existing["plugins"] = {"extractors": [other]}
    manifest.write_text(yaml.safe_dump(existing, sort_keys=False), encoding="utf-8")

    _add_as_readme_says(project, ref)
    assert _plugins(project) == {"extractors": ["tap-other", "tap-heymarket"]}
    extractors = yaml.safe_load(manifest.read_text(encoding="utf-8"))["plugins"]["extractors"]
    assert extractors[0] == other
    assert "tap-heymarket v" in _meltano(project, "invoke", "tap-heymarket", "--version")
