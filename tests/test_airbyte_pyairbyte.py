"""source-heymarket under the real Airbyte client: PyAirbyte, offline, into its DuckDB cache.

PyAirbyte lives in its own virtualenv (``./scripts/setup-airbyte``, as Meltano does in
``.venv-meltano``), so its dependencies never meet the tap's; without it the tests skip
locally and fail in CI. It runs this checkout's ``source-heymarket`` executable as a local
connector against the sandbox: ``check()``, every stream selected, ``read()`` twice with
records touched in between.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

from heymarket_sandbox import SandboxAPI, generate
from tests.airbyte_source import SOURCE, sandbox_counts
from tests.cases import account
from tests.warehouse import ROOT, missing

PYAIRBYTE = ROOT / ".venv-airbyte" / "bin" / "python"
SCENARIO = Path(__file__).with_name("pyairbyte_scenario.py")


def _pyairbyte(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``.venv-airbyte/bin/python *args`` offline in ``tmp_path`` (its DuckDB cache goes there)."""
    if not PYAIRBYTE.exists():
        missing("PyAirbyte (./scripts/setup-airbyte makes .venv-airbyte)")
    done = subprocess.run(
        [str(PYAIRBYTE), *args],
        cwd=tmp_path,
        env={
            **os.environ,
            "AIRBYTE_OFFLINE_MODE": "1",
            "DO_NOT_TRACK": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_pyairbyte_reads_every_stream_then_only_the_changes(tmp_path, start_sandbox) -> None:
    api = account()
    sandbox = start_sandbox(api)
    touched = sorted(api.conversations.records)[::60]
    job = {
        "executable": SOURCE,
        "config": {
            "api_key": "sandbox-key",
            "api_url": sandbox.url,
            "max_requests_per_minute": 100_000,
            "messages_lookback_days": 0,
        },
        "touch_url": f"{sandbox.url}/_sandbox/touch",
        "touch_ids": touched,
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    _pyairbyte(tmp_path, str(SCENARIO), str(tmp_path / "job.json"), str(tmp_path / "result.json"))
    result: dict[str, t.Any] = json.loads((tmp_path / "result.json").read_text())

    expected = sandbox_counts(api)
    assert result["first"]["rows"] == expected
    assert result["first"]["processed"] == sum(expected.values())
    assert result["second"]["rows"] == expected  # merged on the primary key: nothing doubled

    arrived = result["arrived_second"]
    assert set(touched) <= set(arrived["conversations"])
    assert len(arrived["conversations"]) <= len(touched) + 1  # and the record at the old bookmark
    for stream in ("contacts", "tags", "templates", "messages"):
        assert len(arrived[stream]) <= 3, stream  # the ties at the bookmark, nothing older
    for stream in ("inboxes", "team_members", "surveys"):
        assert len(arrived[stream]) == expected[stream], stream  # full-table streams: read whole
    assert result["second"]["processed"] == sum(len(ids) for ids in arrived.values())


def _readme_snippet() -> str:
    """The Python block of the README's "Airbyte" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Airbyte\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_pyairbyte_snippet_runs_as_written_and_loads_every_stream(tmp_path, start_sandbox) -> None:
    api = SandboxAPI(generate(90, 2, contacts=30, messages=40, seed=5))
    sandbox = start_sandbox(api)
    (tmp_path / "read_heymarket.py").write_text(_readme_snippet())
    env = {
        "HEYMARKET_API_SECRET_ID": "sandbox-id",
        "HEYMARKET_API_SECRET_KEY": "sandbox-secret",
        "HEYMARKET_API_URL": sandbox.url,
    }
    done = _pyairbyte(tmp_path, "read_heymarket.py", env=env)
    expected = sandbox_counts(api)
    lines = [line.split() for line in done.stdout.splitlines()]
    printed = {words[0]: int(words[1]) for words in lines if len(words) == 2 and words[0] in expected}
    assert printed == expected
    assert (tmp_path / ".cache" / "default_cache" / "default_cache.duckdb").exists()
