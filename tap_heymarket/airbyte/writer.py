"""The tap's message writer under Airbyte: each Singer message becomes Airbyte messages, in order.

Handed to the tap through the SDK's public ``message_writer`` argument, so every message the
tap writes (records, state, schemas) passes through here in the order the tap writes it:

- RECORD -> RECORD (``emitted_at`` the record's extraction time, in milliseconds);
- STATE -> one per-stream STATE for each stream whose bookmark changed (:mod:`.state`), so no
  Airbyte STATE is ever ahead of its records, as no Singer STATE is;
- SCHEMA (a stream's sync begins) -> stream status STARTED (and COMPLETE for the stream before),
  the first RECORD -> RUNNING; :meth:`AirbyteWriter.finish` closes the last stream;
- ACTIVATE_VERSION has no Airbyte counterpart and is not written (the setting that asks for it
  is not offered, :mod:`.spec`).

Log records become LOG messages (:class:`LogToAirbyte`) through the same lock, because worker
threads log while the main thread writes messages; stdout carries only protocol messages.
"""

from __future__ import annotations

import logging
import sys
import threading
import typing as t

from singer_sdk import singerlib as singer
from singer_sdk.contrib.msgspec import serialize_jsonl
from singer_sdk.singerlib.encoding import GenericSingerWriter

from tap_heymarket.airbyte import protocol
from tap_heymarket.airbyte.state import StreamStates


class AirbyteWriter(GenericSingerWriter[bytearray, t.Any]):
    """Writes Airbyte messages to stdout for the Singer messages the tap hands it."""

    def __init__(
        self, initial_state: t.Mapping[str, t.Any], out: t.BinaryIO | None = None, *, forward: bool = True
    ) -> None:
        self._out = out
        self.closed = False  # the reader went away: nothing more can be written
        self.forward = forward  # False: the tap's messages are dropped (``check`` writes only its verdict)
        self._lock = threading.Lock()
        self._states = StreamStates(initial_state)
        self._current: str | None = None
        self._running = False

    # -- the SDK's writer interface -----------------------------------------------------------

    def serialize_message(self, message: t.Any) -> bytearray:
        """One Airbyte message (a dict) as a JSON line."""
        return serialize_jsonl(message)

    def write_message(self, message: t.Any) -> None:
        """Translate one Singer message and write what it becomes."""
        if self.forward:
            self.emit(*self.translate(message))

    # -- translation --------------------------------------------------------------------------

    def translate(self, message: t.Any) -> list[dict[str, t.Any]]:
        """The Airbyte messages one Singer message becomes (in order)."""
        if isinstance(message, singer.RecordMessage):
            out = []
            if not self._running or message.stream != self._current:
                out.extend(self._begin(message.stream))
                out.append(protocol.stream_status(message.stream, "RUNNING"))
                self._running = True
            extracted = message.time_extracted
            emitted_at = int(extracted.timestamp() * 1000) if extracted else protocol.now_ms()
            out.append(protocol.record(message.stream, message.record, emitted_at))
            return out
        if isinstance(message, singer.StateMessage):
            return self._states.messages(message.value)
        if isinstance(message, singer.SchemaMessage):
            return self._begin(message.stream)
        return []

    def _begin(self, stream: str) -> list[dict[str, t.Any]]:
        if stream == self._current:
            return []
        out = self._close("COMPLETE")
        self._current, self._running = stream, False
        out.append(protocol.stream_status(stream, "STARTED"))
        return out

    def _close(self, status: str) -> list[dict[str, t.Any]]:
        if self._current is None:
            return []
        closing = protocol.stream_status(self._current, status)
        self._current, self._running = None, False
        return [closing]

    def finish(self, *, complete: bool) -> None:
        """Close the stream under way: COMPLETE after a whole read, INCOMPLETE after a failure."""
        if self.forward:
            self.emit(*self._close("COMPLETE" if complete else "INCOMPLETE"))

    # -- output -------------------------------------------------------------------------------

    def emit(self, *messages: dict[str, t.Any]) -> None:
        """Write Airbyte messages as JSON lines (thread-safe; flushed, so a crash loses none).

        Once the reader has gone (a broken pipe), the first failed write raises
        BrokenPipeError, which ends the run, and every later message is dropped.
        """
        if not messages or self.closed:
            return
        out = self._out or sys.stdout.buffer
        with self._lock:
            try:
                for message in messages:
                    out.write(self.serialize_message(message))
                out.flush()
            except BrokenPipeError:
                self.closed = True
                raise


class LogToAirbyte(logging.Handler):
    """A logging handler writing each record as an Airbyte LOG message through the writer.

    Records are already scrubbed of secrets where they are made
    (:mod:`tap_heymarket.redaction`), whichever logger made them.
    """

    def __init__(self, writer: AirbyteWriter, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record as one LOG message (its one line: the tap never logs tracebacks)."""
        try:
            self.writer.emit(protocol.log(record.levelname, record.getMessage()))
        except BrokenPipeError:  # the reader is gone; the run ends at its next message
            pass
        except Exception:  # a handler never raises into the code that logged
            self.handleError(record)
