"""State both ways: Airbyte's per-stream STATE messages and the tap's one state object.

The tap keeps one bookmark object per stream under ``bookmarks`` (the SDK's layout, with the
walk's ``resume`` and ``covered`` inside it). Each Airbyte ``STREAM`` state carries exactly one
of those objects, unchanged, so a ``--state`` list of the messages a read wrote rebuilds the
tap's state as it was when they were written, and the tap resumes each stream there. The
messages go out only when the tap writes a STATE, which it does only after the records that
STATE covers; a stream's message is repeated only when its bookmark object changed.
"""

from __future__ import annotations

import copy
import json
import typing as t

from tap_heymarket.airbyte import protocol


def singer_state_from(airbyte_state: object) -> dict[str, t.Any]:
    """The tap's state from an Airbyte ``--state`` document (a list of STATE messages).

    Also read: a single STATE message, and the legacy forms (``{"data": <tap state>}`` entries,
    or the tap's own state object), so state written elsewhere by the Singer tap carries over.
    Anything else is :class:`~.protocol.InputError` with one line saying what is wrong.
    """
    if airbyte_state is None or airbyte_state in ([], {}):
        return {}
    if isinstance(airbyte_state, dict) and "bookmarks" in airbyte_state:
        return {"bookmarks": _bookmarks(airbyte_state["bookmarks"])}
    entries = airbyte_state if isinstance(airbyte_state, list) else [airbyte_state]
    bookmarks: dict[str, t.Any] = {}
    for item in entries:
        entry = item.get("state") if isinstance(item, dict) and item.get("type") == "STATE" else item
        if not isinstance(entry, dict):
            raise _unreadable(f"an entry is {type(entry).__name__}, not a STATE message")
        kind = entry.get("type") or ("LEGACY" if "data" in entry else None)
        if kind == "STREAM":
            name, value = _stream_entry(entry.get("stream"))
            if value is not None:
                bookmarks[name] = value
        elif kind == "LEGACY" and isinstance(entry.get("data"), dict):
            bookmarks.update(_bookmarks(entry["data"].get("bookmarks", {})))
        else:
            named = kind if isinstance(kind, str) else "typeless"
            raise _unreadable(f"a {named} state (source-heymarket writes STREAM states)")
    return {"bookmarks": bookmarks} if bookmarks else {}


def _stream_entry(stream: object) -> tuple[str, dict[str, t.Any] | None]:
    """A STREAM state's stream name and bookmark object."""
    descriptor = stream.get("stream_descriptor") if isinstance(stream, dict) else None
    name = descriptor.get("name") if isinstance(descriptor, dict) else None
    if not isinstance(name, str):
        raise _unreadable("a STREAM state names no stream")
    value = t.cast("dict[str, t.Any]", stream).get("stream_state")
    if value is not None and not isinstance(value, dict):
        raise _unreadable(f"the state of {name!r} is {type(value).__name__}, not an object")
    return name, copy.deepcopy(value)


def _bookmarks(value: object) -> dict[str, t.Any]:
    """A tap state's ``bookmarks``: one object per stream."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise _unreadable("bookmarks must map each stream to an object")
    return copy.deepcopy(value)


def _unreadable(why: str) -> protocol.InputError:
    return protocol.InputError(f"state: cannot be read: {why}")


class StreamStates:
    """Turns each tap STATE into the per-stream STATE messages of the streams it changed."""

    def __init__(self, initial: t.Mapping[str, t.Any]) -> None:
        self._last: dict[str, str] = {
            name: _fingerprint(value) for name, value in (initial.get("bookmarks") or {}).items()
        }

    def messages(self, singer_state: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
        """A STREAM state message for each stream whose bookmark object changed."""
        out = []
        for name, value in (singer_state.get("bookmarks") or {}).items():
            fingerprint = _fingerprint(value)
            if self._last.get(name) != fingerprint:
                self._last[name] = fingerprint
                out.append(protocol.stream_state(name, copy.deepcopy(value)))
        return out


def _fingerprint(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)
