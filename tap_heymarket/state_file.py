"""A saved state is checked before it is trusted: one line naming the file, never a traceback.

The SDK reads ``--state`` as JSON and walks ``bookmarks`` as an object of objects; an empty
file, a file that is not JSON, or one of another shape (``"bookmarks": []``, a list, a string,
what a failed ``tap | target > state.json`` leaves) would end in a traceback that names
neither the file nor the fix.
"""

from __future__ import annotations

import json
import typing as t

from tap_heymarket.errors import HeymarketFatalError

FIX = "give the state file a run wrote, or omit --state to start over"


def checked_state(value: object, name: str = "the state") -> dict[str, t.Any]:
    """``value`` itself when it has the shape of a Singer state, else :class:`HeymarketFatalError`."""
    if not isinstance(value, dict):
        raise HeymarketFatalError(f"{name} holds a JSON {_kind(value)}, not a state object: {FIX}")
    bookmarks = value.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        msg = f"{name}: 'bookmarks' is a JSON {_kind(bookmarks)}, not an object of streams: {FIX}"
        raise HeymarketFatalError(msg)
    for stream, entry in bookmarks.items():
        if not isinstance(entry, dict):
            msg = f"{name}: 'bookmarks.{stream}' is a JSON {_kind(entry)}, not an object: {FIX}"
            raise HeymarketFatalError(msg)
    return value


def read_state_text(text: str, name: str) -> dict[str, t.Any]:
    """The state in a ``--state`` file's text, checked (``name``: the file, for the message)."""
    if not text.strip():
        raise HeymarketFatalError(f"state file {name} is empty: {FIX}")
    try:
        value = json.loads(text)
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise HeymarketFatalError(f"state file {name} is not valid JSON{where}: {FIX}") from None
    return checked_state(value, f"state file {name}")


def _kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
