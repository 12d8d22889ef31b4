"""The connector's ``spec``: generated from the tap's own settings schema, never written by hand.

Every setting of the tap is offered under the same name, type, default and description, in the
tap's order; a setting the tap marks ``secret`` is marked ``airbyte_secret`` (the UI masks it
and the platform stores it as a secret). Left out: ``emit_activate_version_messages`` (an
ACTIVATE_VERSION has no Airbyte counterpart, so the Airbyte command never writes one) and the
SDK's built-in settings (stream maps, flattening, BATCH files), which are Singer-only.
"""

from __future__ import annotations

import copy
import typing as t

from tap_heymarket import settings
from tap_heymarket.tap import TapHeymarket

#: Tap settings that mean nothing under Airbyte (see the module docstring).
SINGER_ONLY = frozenset({"emit_activate_version_messages"})


def airbyte_settings() -> tuple[str, ...]:
    """The settings the Airbyte command accepts, in the tap's order."""
    return tuple(name for name in settings.TAP_SETTINGS if name not in SINGER_ONLY)


def singer_only_settings() -> frozenset[str]:
    """Settings the tap takes that the Airbyte command refuses (their messages have no counterpart)."""
    builtin = copy.deepcopy(TapHeymarket.config_jsonschema)
    TapHeymarket.append_builtin_config(builtin)
    return frozenset(set(builtin["properties"]) - set(airbyte_settings()))


def connection_specification() -> dict[str, t.Any]:
    """The JSON schema of the Airbyte config (draft-07, as the protocol expects)."""
    properties: dict[str, t.Any] = {}
    for order, name in enumerate(airbyte_settings()):
        schema = copy.deepcopy(settings.CONFIG_SCHEMA["properties"][name])
        if schema.pop("secret", False):
            schema.pop("writeOnly", None)
            schema["airbyte_secret"] = True
        schema["title"] = name.replace("_", " ").capitalize().replace("Api ", "API ").replace(" url", " URL")
        schema["order"] = order
        properties[name] = schema
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Heymarket source spec",
        "type": "object",
        "required": [],
        "additionalProperties": True,
        "properties": properties,
    }
