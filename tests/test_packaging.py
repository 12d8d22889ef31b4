"""What we would publish: the wheel carries the schemas, and the version comes from git tags."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from tests.harness import build_wheel

ROOT = Path(__file__).resolve().parent.parent
PIP_INSTALL = [sys.executable, "-m", "pip", "install", "--no-deps", "-q"]


def test_the_wheel_ships_every_schema_and_the_sandbox_as_a_package_of_its_own(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    schemas = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert len(schemas) == 8
    assert {f"tap_heymarket/schemas/{name}" for name in schemas} <= names
    sandbox = sorted(p.name for p in (ROOT / "heymarket_sandbox").glob("*.py"))
    assert "__main__.py" in sandbox and "server.py" in sandbox
    assert {f"heymarket_sandbox/{name}" for name in sandbox} <= names
    assert not [name for name in names if name.startswith("tap_heymarket/sandbox")]
    shared = [n for n in names if n.endswith(".data/data/share/tap-heymarket/meltano_logging.yaml")]
    assert len(shared) == 1  # at <virtualenv>/share/tap-heymarket/, where meltano.yml's env names it
    assert archive.read(shared[0]) == (ROOT / "tap_heymarket" / "meltano_logging.yaml").read_bytes()
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "heymarket-sandbox = heymarket_sandbox.__main__:main" in archive.read(entry_points).decode()

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    probe = (
        "import json, heymarket_sandbox as h, tap_heymarket.streams as s, tap_heymarket.tap as t;"
        "print(json.dumps([str(s.SCHEMAS_DIR), h.__file__, "
        "sorted(t.TapHeymarket(config={'api_key': 'k'}).catalog_dict['streams'][0]['schema'])]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    ).stdout
    schemas_dir, sandbox_file, keys = json.loads(out.strip().splitlines()[-1])
    assert Path(schemas_dir).is_relative_to(site)
    assert Path(sandbox_file).is_relative_to(site)
    assert keys == ["$schema", "additionalProperties", "properties", "required", "type"]


def _copy_source(dest: Path) -> Path:
    """The source tree as an archive or a copied folder has it: no git metadata, no build output."""
    shutil.copytree(
        ROOT,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "dist", "build", "output", ".meltano", "__pycache__", "*_cache", "*.egg-info"
        ),
    )
    return dest


def _installed_version(source: Path, site: Path) -> str:
    subprocess.run(
        [*PIP_INSTALL, "--no-build-isolation", "--target", str(site), str(source)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    probe = "import importlib.metadata as m, sys; print(m.version('tap-heymarket'))"
    return subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=site,
    ).stdout.strip()


def test_a_source_tree_without_git_metadata_installs_with_the_fallback_version(tmp_path: Path) -> None:
    source = _copy_source(tmp_path / "tap-heymarket-main")
    assert not (source / ".git").exists()
    assert _installed_version(source, tmp_path / "site") == "0.0.0"


def test_the_version_is_the_git_tag_and_a_dev_version_past_it(tmp_path: Path) -> None:
    source = _copy_source(tmp_path / "clone")
    git = ["git", "-C", str(source), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"], ["tag", "v9.8.7"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=60)
    assert _installed_version(source, tmp_path / "tagged") == "9.8.7"

    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "after"], check=True, timeout=60)
    after = _installed_version(source, tmp_path / "after")
    assert after.startswith("9.8.8.dev1+g"), after


def test_pre_commit_hooks_run_exactly_the_static_checks_ci_runs() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    entries = [hook["entry"] for repo in hooks for hook in repo["hooks"]]
    lint = (ROOT / "scripts" / "lint").read_text(encoding="utf-8").splitlines()
    assert entries == [line for line in lint if line.startswith(".venv/bin/")]
    assert all(repo["repo"] == "local" for repo in hooks)
    ci_steps = (ROOT / "scripts" / "test").read_text(encoding="utf-8").splitlines()
    assert {"./scripts/lint", "./scripts/build-dist"} <= set(ci_steps)
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_changelog_keeps_an_unreleased_section_first() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert changelog.startswith("# Changelog\n") and "keepachangelog.com" in changelog
    assert headings[0] == "## [Unreleased]"
