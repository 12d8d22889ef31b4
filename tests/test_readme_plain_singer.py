"""README's plain-Singer example works on a first run and carries STATE to the next one.

The "Configure" section's shell block, run as written (only the ``...`` credentials filled
with the sandbox's demo pair, and the sandbox's URL in the environment), twice in one
directory with a change on the sandbox between: the first run starts with no ``state.json``
and reads everything, the second starts from the STATE the target confirmed and reads only
the two conversations that changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from pathlib import Path

import pytest

from heymarket_sandbox import SandboxAPI, generate
from tests.harness import TAP
from tests.readme_blocks import ROOT, blocks, section

TARGET_JSONL = ROOT / ".meltano" / "loaders" / "target-jsonl" / "venv" / "bin"


def _script() -> str:
    (block,) = [b for b in blocks(section("Configure")) if "--discover" in b]
    assert block.count("=...") == 2
    return block.replace("TAP_HEYMARKET_API_SECRET_ID=...", "TAP_HEYMARKET_API_SECRET_ID=sandbox-id").replace(
        "TAP_HEYMARKET_API_SECRET_KEY=...", "TAP_HEYMARKET_API_SECRET_KEY=sandbox-secret"
    )


def _records(cwd: Path, stream: str) -> list[dict[str, t.Any]]:
    out = []
    for path in sorted(cwd.glob(f"{stream}-*.jsonl")):
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        path.unlink()
    return out


def test_the_readme_shell_example_runs_first_time_and_the_next_run_starts_from_its_state(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    if not (TARGET_JSONL / "target-jsonl").exists():
        pytest.skip("target-jsonl is not installed (run ./scripts/setup-meltano)")
    api = SandboxAPI(generate(200, 2, contacts=40, messages=80, seed=11))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TAP_HEYMARKET_")},
        "PATH": f"{Path(TAP).parent}:{TARGET_JSONL}:{os.environ['PATH']}",
        "TAP_HEYMARKET_API_URL": start_sandbox(api).url,
        "TAP_HEYMARKET_MAX_REQUESTS_PER_MINUTE": "100000",
    }
    script = "set -euo pipefail\n" + _script()

    def run() -> None:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    assert not (tmp_path / "state.json").exists()
    run()
    first = _records(tmp_path, "conversations")
    assert sorted(r["id"] for r in first) == sorted(api.conversations.records)
    state = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert state["bookmarks"]["conversations"]["replication_key_value"]

    touched = sorted(api.conversations.records)[:2]
    for record_id in touched:
        api.touch(record_id)
    run()
    second = {r["id"] for r in _records(tmp_path, "conversations")}
    assert set(touched) <= second and len(second) <= 5  # the two changes (and ties at the bookmark)
