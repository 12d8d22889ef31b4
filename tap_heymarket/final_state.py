"""Every stream ends with a STATE after its last RECORD, even one equal to the last STATE.

The SDK writes a STATE only when it differs from the one it wrote last. A stream that
re-sends only records equal to its bookmark (an idle incremental walk) changes nothing, so
its records would be the run's last messages. A target that writes the STATE it receives
after records (``target-jsonl``, which this repository pins, and through it Meltano) then
keeps none: every later run starts over from the first run's bookmarks, and
``tap | target-jsonl > state.json`` leaves an empty file.

The SDK offers no public hook after a stream's last message; its ``sync_all`` (final) calls
each stream's ``finalize_state_progress_markers`` right after the stream's sync, which is
where :class:`~tap_heymarket.client.HeymarketStream` adds the STATE
(:func:`end_with_state`). tests/test_sdk_contracts.py fails if the SDK stops calling it there.
"""

from __future__ import annotations

import copy
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, SingerMessageType, StateMessage


class LastMessageWriter(MsgSpecWriter):
    """The SDK's msgspec writer, remembering the type of the last message it wrote."""

    last_type: SingerMessageType | None = None

    def write_message(self, message: Message) -> None:
        """Write it, and note what it was."""
        super().write_message(message)
        self.last_type = message.type


def end_with_state(tap: t.Any, tap_state: t.Mapping[str, t.Any]) -> None:
    """A STATE after a stream's last message, unless the SDK just wrote one (module docstring)."""
    writer = tap.message_writer
    if isinstance(writer, LastMessageWriter) and writer.last_type not in (None, SingerMessageType.STATE):
        tap.write_message(StateMessage(value=copy.deepcopy(tap_state)))
