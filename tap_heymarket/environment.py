"""Settings from ``TAP_HEYMARKET_*`` environment variables, as the SDK reads them but for one.

``inboxes`` accepts ``1,2,3`` as well as JSON; every other setting is parsed by the SDK's own
parser, and a value it cannot parse is one line naming the variable.
"""

from __future__ import annotations

import json
import os
import typing as t

# Private SDK module: the SDK's own parser of ``TAP_HEYMARKET_*`` variables, reused so every
# setting but ``inboxes`` is read exactly as the SDK reads it (no public entry point exists).
# tests/test_sdk_contracts.py fails if it moves or changes what it returns.
from singer_sdk.configuration._dict_config import parse_environment_config
from singer_sdk.exceptions import ConfigValidationError


def from_environment(schema: dict[str, t.Any], prefix: str) -> dict[str, t.Any]:
    """Settings from ``TAP_HEYMARKET_*`` variables, each mistake one line naming the variable.

    ``inboxes`` accepts ``1,2,3`` as well as JSON (``[1, 2, 3]``); other settings are parsed
    as the SDK parses them.
    """
    properties = {k: v for k, v in schema.get("properties", {}).items() if k != "inboxes"}
    try:
        found = parse_environment_config({**schema, "properties": properties}, prefix)
    except (ValueError, TypeError):
        for name, prop in properties.items():
            try:
                parse_environment_config({"properties": {name: prop}}, prefix)
            except (ValueError, TypeError):
                variable = _variable(prefix, name)
                msg = f"{name}: {variable}={os.environ.get(variable)!r} is not a valid {_kind(prop)}"
                raise ConfigValidationError(msg, errors=[msg]) from None
        raise
    variable = _variable(prefix, "inboxes")
    if variable in os.environ:
        found["inboxes"] = _inbox_list(variable, os.environ[variable])
    return found


def _variable(prefix: str, name: str) -> str:
    return prefix + name.upper().replace("-", "_")


def _kind(prop: dict[str, t.Any]) -> str:
    kind = prop.get("type", "value")
    return "/".join(k for k in ([kind] if isinstance(kind, str) else kind) if k != "null")


def _inbox_list(variable: str, text: str) -> list[int]:
    """``1,2,3``, ``1, 2``, ``5001`` or ``[1, 2, 3]`` as inbox IDs (empty: an empty list)."""
    stripped = text.strip()
    try:
        items = json.loads(stripped) if stripped.startswith("[") else stripped.split(",") if stripped else []
    except ValueError:
        items = None
    if isinstance(items, list) and all(_is_id(item) for item in items):
        return [int(item) for item in items]
    msg = f"inboxes: {variable}={text!r} is not a list of inbox IDs (write 1,2,3 or [1, 2, 3])"
    raise ConfigValidationError(msg, errors=[msg])


def _is_id(item: object) -> bool:
    if isinstance(item, str):
        item = item.strip()
        return item.isascii() and item.isdigit()
    return isinstance(item, int) and not isinstance(item, bool)
