"""The documents the platform hands the command: config, configured catalog, state.

Each is read once, up front; one that cannot be used is one ``config_error`` line naming the
file and what is wrong with it, before the tap starts. The config keeps the tap's own setting
names (:mod:`.spec`); the tap's settings checks run on it as they do on the Singer command's.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

from tap_heymarket.airbyte import spec
from tap_heymarket.airbyte.catalog import singer_catalog_for
from tap_heymarket.airbyte.protocol import InputError
from tap_heymarket.airbyte.state import singer_state_from


def read_inputs(
    config_path: str, catalog_path: str | None = None, state_path: str | None = None
) -> tuple[dict[str, t.Any], dict[str, t.Any] | None, dict[str, t.Any]]:
    """The tap's config, Singer catalog (None without ``--catalog``) and state."""
    config = _json_file(config_path, "config")
    if not isinstance(config, dict):
        raise InputError(f"config: {config_path} holds {type(config).__name__}, not an object of settings")
    singer_only = sorted(set(config) & spec.singer_only_settings())
    if singer_only:
        raise InputError(
            f"config: {', '.join(singer_only)}: Singer-only settings; source-heymarket does not take them"
        )
    catalog = singer_catalog_for(_json_file(catalog_path, "catalog")) if catalog_path else None
    state = singer_state_from(_json_file(state_path, "state")) if state_path else {}
    return config, catalog, state


def _json_file(path: str, what: str) -> t.Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{what}: cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what}: {path} is not JSON ({exc})") from None
