"""meltano.yml declares every tap setting and the three loaders, installable without the Hub."""

from __future__ import annotations

from pathlib import Path

import yaml

from tap_heymarket.settings import TAP_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def _plugin(kind: str, name: str) -> dict:
    return next(p for p in PROJECT["plugins"][kind] if p["name"] == name)


def test_the_extractor_declares_every_setting_of_the_tap_with_a_description() -> None:
    tap = _plugin("extractors", "tap-heymarket")
    declared = {s["name"]: s for s in tap["settings"]}
    assert set(declared) == {*TAP_SETTINGS, "batch_config"}  # the SDK's own BATCH setting, for Meltano
    assert all(s.get("description") for s in declared.values())
    assert {n for n, s in declared.items() if s.get("sensitive")} == {
        "api_key",
        "api_secret_id",
        "api_secret_key",
    }
    assert declared["inboxes"]["kind"] == "array"
    assert tap["pip_url"] == "-e ."
    assert {"state", "catalog", "discover", "about"} <= set(tap["capabilities"])


def test_the_loaders_are_declared_inline_with_pinned_pip_urls() -> None:
    for name in ("target-jsonl", "target-duckdb", "target-postgres"):
        assert "==" in _plugin("loaders", name)["pip_url"], name
    assert "meltanolabs-target-postgres" in _plugin("loaders", "target-postgres")["pip_url"]
