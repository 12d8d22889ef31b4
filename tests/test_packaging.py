"""The built wheel carries the JSON schemas and the tap reads them from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_every_schema_and_loads_them_when_installed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("tap_heymarket-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert len(schemas) == 8
    assert {f"tap_heymarket/schemas/{name}" for name in schemas} <= names

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    probe = (
        "import json, tap_heymarket.streams as s, tap_heymarket.tap as t;"
        "print(json.dumps([str(s.SCHEMAS_DIR), "
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
    schemas_dir, keys = json.loads(out.strip().splitlines()[-1])
    assert Path(schemas_dir).is_relative_to(site)
    assert keys == ["$schema", "additionalProperties", "properties", "required", "type"]
