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
    """
    if airbyte_state is None or airbyte_state in ([], {}):
        return {}
    if isinstance(airbyte_state, dict) and "bookmarks" in airbyte_state:
        return copy.deepcopy(airbyte_state)
    entries = airbyte_state if isinstance(airbyte_state, list) else [airbyte_state]
    bookmarks: dict[str, t.Any] = {}
    for item in entries:
        entry = item.get("state", item) if isinstance(item, dict) and item.get("type") == "STATE" else item
        if not isinstance(entry, dict):
            raise _unreadable(f"an entry is {type(entry).__name__}, not a STATE message")
        kind = entry.get("type") or ("LEGACY" if "data" in entry else None)
        if kind == "STREAM":
            stream = entry.get("stream") or {}
            name = (stream.get("stream_descriptor") or {}).get("name")
            if not isinstance(name, str):
                raise _unreadable("a STREAM state names no stream")
            if stream.get("stream_state") is not None:
                bookmarks[name] = copy.deepcopy(stream["stream_state"])
        elif kind == "LEGACY" and isinstance(entry.get("data"), dict):
            bookmarks.update(copy.deepcopy(entry["data"].get("bookmarks", {})))
        else:
            raise _unreadable(f"a {kind or 'typeless'} state (source-heymarket writes STREAM states)")
    return {"bookmarks": bookmarks} if bookmarks else {}


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
