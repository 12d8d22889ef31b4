"""Config validation messages that name the setting and the expected type, never the value.

The SDK's own messages quote the offending value (``987654321987 is not of type 'string'``),
which for ``api_key`` or ``api_secret_key`` prints the secret. These messages say what was
expected and what JSON type arrived; a value is quoted only for settings that are not marked
secret and only where it helps (an enum or a bound). URL user-info is masked wherever a URL
is quoted.
"""

from __future__ import annotations

import decimal
import typing as t
from urllib.parse import urlsplit, urlunsplit

from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR, extend_validator_with_defaults

from tap_heymarket.conform import json_type as _decoded_type

if t.TYPE_CHECKING:
    from jsonschema import ValidationError

_VALIDATOR = extend_validator_with_defaults(DEFAULT_JSONSCHEMA_VALIDATOR)


def type_errors(config: dict[str, t.Any], schema: dict[str, t.Any]) -> list[str]:
    """Every schema violation of ``config`` as one line (defaults are filled in, as the SDK does)."""
    secret = {
        name
        for name, prop in schema.get("properties", {}).items()
        if isinstance(prop, dict) and (prop.get("secret") or prop.get("writeOnly"))
    }
    return [_line(error, secret) for error in _VALIDATOR(schema).iter_errors(config)]


def _line(error: ValidationError, secret: set[str]) -> str:
    path = [str(part) for part in error.absolute_path]
    name = ".".join(path) or "config"
    if error.validator == "type":
        expected = error.validator_value
        kinds = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(k for k in kinds if k != "null") or "null"
        return f"{name}: expected a JSON {wanted}, got a JSON {json_type(error.instance)}"
    if path and path[0] in secret:
        return f"{name}: not a valid value (it must satisfy {error.validator!r})"
    return f"{name}: {error.message}"


def json_type(value: object) -> str:
    """The JSON type of a config value (the SDK reads config numbers as ``Decimal``)."""
    return "number" if isinstance(value, decimal.Decimal) else _decoded_type(value)


def mask_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``********@``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unparseable URL)"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"********@{host}"))


def userinfo_secrets(url: object) -> list[str]:
    """The user name and password a URL carries (for log redaction)."""
    if not isinstance(url, str):
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return [v for v in (parts.username, parts.password) if v]
