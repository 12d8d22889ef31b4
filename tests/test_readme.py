"""README stays true: its generated blocks are current, and it shows CI's test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_settings_table_matches_the_taps_about_output() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_table.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_starts_with_the_quickstart_and_test_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[0] for line in first_block] == ["./scripts/quickstart", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_generated_block_out_of_step_fails_the_check_and_a_rewrite_brings_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))  # as when a generator script runs
    import readme_block

    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- a -->\nold\n<!-- b -->\nrest\n", encoding="utf-8")
    monkeypatch.setattr(readme_block, "README", readme)
    args = {"start": "<!-- a -->", "end": "<!-- b -->", "render": lambda: "new"}
    args |= {"what": "x", "script": "x.py"}
    assert readme_block.rewrite_or_check(["--check"], **args) == 1
    assert "README.md's x is out of step: run python scripts/x.py" in capsys.readouterr().out
    assert readme_block.rewrite_or_check([], **args) == 0
    assert readme.read_text(encoding="utf-8") == "intro\n<!-- a -->\nnew\n<!-- b -->\nrest\n"
    assert readme_block.rewrite_or_check(["--check"], **args) == 0
