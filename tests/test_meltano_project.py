"""meltano.yml takes the extractor from the generated definition and declares the loaders inline.

The extractor entry names only the variant and this checkout as its ``pip_url``; everything
else (settings, capabilities, select) comes from the committed lock file, which
``scripts/hub_definition.py`` writes from the tap (tests/test_meltano_hub_definition.py
checks it), so there is no second hand-written copy to drift.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tap_heymarket.settings import TAP_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def _plugin(kind: str, name: str) -> dict:
    return next(p for p in PROJECT["plugins"][kind] if p["name"] == name)


def test_the_extractor_is_this_checkout_defined_only_by_the_locked_hub_definition() -> None:
    tap = _plugin("extractors", "tap-heymarket")
    assert tap == {"name": "tap-heymarket", "variant": tap["variant"], "pip_url": "-e ."}
    lock = ROOT / "plugins" / "extractors" / f"tap-heymarket--{tap['variant']}.lock"
    locked = json.loads(lock.read_text(encoding="utf-8"))
    hub = yaml.safe_load((ROOT / "hub" / "tap-heymarket.yml").read_text(encoding="utf-8"))
    assert locked == {"plugin_type": "extractors", **hub}
    declared = {s["name"] for s in locked["settings"]}
    assert set(TAP_SETTINGS) <= declared


def test_the_loaders_are_declared_inline_with_pinned_pip_urls() -> None:
    for name in ("target-jsonl", "target-duckdb", "target-postgres"):
        assert "==" in _plugin("loaders", name)["pip_url"], name
    assert "meltanolabs-target-postgres" in _plugin("loaders", "target-postgres")["pip_url"]
