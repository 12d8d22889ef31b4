"""The encoded STATE writer writes exactly the lines the SDK's writer would."""

from __future__ import annotations

import contextlib
import copy
import io
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers._state import StateWriter

from tap_heymarket.statewriter import EncodedStateWriter


def _lines(writer: StateWriter, states: list[dict[str, t.Any]]) -> bytes:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out):
        state: dict[str, t.Any] = {}
        for step in states:  # one state object, changed in place, as the walk does
            state.clear()
            state.update(copy.deepcopy(step))
            writer.write_state(state)
        out.flush()
    return t.cast("io.BytesIO", out.buffer).getvalue()


STATES = [
    {"bookmarks": {"conversations": {"partitions": [{"context": {"inbox_id": 1}}]}}},
    {"bookmarks": {"conversations": {"partitions": [{"context": {"inbox_id": 1}, "resume": {"n": 1}}]}}},
    {"bookmarks": {"conversations": {"partitions": [{"context": {"inbox_id": 1}, "resume": {"n": 1}}]}}},
    {"bookmarks": {"conversations": {"partitions": [{"context": {"inbox_id": 1}, "resume": {"n": 2}}]}}},
    {"bookmarks": {"conversations": {"replication_key_value": "2024-01-01T00:00:00.000000Z"}}},
]


def test_same_lines_as_the_sdk_writer() -> None:
    ours = _lines(EncodedStateWriter(MsgSpecWriter()), STATES)
    sdk = _lines(StateWriter(MsgSpecWriter()), STATES)
    assert ours == sdk
    assert ours.count(b'"type":"STATE"') == 4  # the repeated state is written once


def test_other_writers_get_the_sdk_behaviour() -> None:
    class Recording(MsgSpecWriter):
        def __init__(self) -> None:
            self.messages: list[t.Any] = []

        def write_message(self, message: t.Any) -> None:
            self.messages.append(message)

    recording = Recording()
    writer = EncodedStateWriter(recording)
    for state in STATES:
        writer.write_state(copy.deepcopy(state))
    assert len(recording.messages) == 4
