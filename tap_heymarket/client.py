"""The one REST stream every Heymarket stream builds on: its schema, its endpoint, its output.

A stream holds the tap's :class:`~tap_heymarket.api.HeymarketAPI` (handed over when the tap
builds it) and reads through its own :class:`~tap_heymarket.endpoint.Endpoint` (``listing``):
pacing, signing, retries, errors and decoding live there, not in the stream. What is left
here is what the SDK asks of a stream: the schema (``schemas/<stream name>.json``, conformed
by :mod:`tap_heymarket.conform`), the request body (``prepare_request_payload``), BATCH files
and the closing ACTIVATE_VERSION (:mod:`tap_heymarket.output_modes`), the closing STATE
(:mod:`tap_heymarket.final_state`), and one log line per failure.
"""

from __future__ import annotations

import logging
import sys
import typing as t
from functools import cached_property
from importlib import resources
from pathlib import Path

import requests
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema
from singer_sdk.exceptions import RetriableAPIError, SyncLifecycleSignal

from tap_heymarket import final_state, output_modes
from tap_heymarket.conform import Conformer
from tap_heymarket.errors import AccessDeniedError, HeymarketFatalError

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk import Tap

    from tap_heymarket.api import HeymarketAPI
    from tap_heymarket.endpoint import Endpoint


#: The SDK's line when a stream's sync raises (singer_sdk.streams.core.Stream.sync).
SDK_SYNC_FAILED = "An unhandled error occurred while syncing '%s'"
#: Failures the tap reports itself, in one line, or stops that are no failure.
REPORTED: tuple[type[BaseException], ...] = (
    SyncLifecycleSignal,
    HeymarketFatalError,
    RetriableAPIError,
    requests.RequestException,
    OSError,
)


def _schemas_dir() -> Path:
    """``schemas/`` inside the installed wheel, or at the repository root (editable)."""
    packaged = resources.files("tap_heymarket").joinpath("schemas")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMAS_DIR = _schemas_dir()


class HeymarketStream(RESTStream[t.Any]):
    """Base stream: a schema file, an endpoint of the API, the tap's output conventions."""

    http_method = "POST"
    schema = StreamSchema(SchemaDirectory(SCHEMAS_DIR))

    def __init__(self, tap: Tap, *, api: HeymarketAPI, run_started: dt.datetime, **kwargs: t.Any) -> None:
        self.api = api
        self.run_started = run_started  # no bookmark passes it
        super().__init__(tap, **kwargs)

    @cached_property
    def listing(self) -> Endpoint:
        """This stream's ``http_method path``, as the API calls it for this stream."""
        return self.api.endpoint(self.name, self.path, self.http_method, self.logger, self.screen_response)

    @cached_property
    def conformer(self) -> Conformer:
        """The stream's schema, compiled once (:mod:`tap_heymarket.conform`)."""
        return Conformer(self.schema)

    @property
    def url_base(self) -> str:
        """``api_url`` without a trailing slash (the SDK requires it; requests use ``listing``)."""
        return self.api.base_url

    def screen_response(self, response: requests.Response) -> None:
        """A stream's own look at each response before the API classifies it (none here)."""

    def fetch(self, context: t.Mapping[str, t.Any] | None, token: t.Any) -> t.Any:
        """The decoded body of this stream's request for ``context`` and page ``token``."""
        return self.listing.send(self.prepare_request_payload(context, token), context)

    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        """The SDK's stream log; its own "unhandled error" line is DEBUG for errors the tap reports.

        When a sync fails, the SDK logs "An unhandled error occurred while syncing …" at ERROR
        and re-raises; the tap then reports the same failure as its one line (``invoke``), and
        ``--test``'s deliberate stop after one record is no error at all. For those, the SDK's
        line goes to DEBUG with the exception chain, the detail a bug report needs; an
        unexpected error keeps it at ERROR. tests/test_sdk_contracts.py pins the message.
        """
        if level >= logging.ERROR and message == SDK_SYNC_FAILED and isinstance(sys.exc_info()[1], REPORTED):
            level, kwargs = logging.DEBUG, {**kwargs, "exc_info": True}
        super().log(message, *args, level=level, **kwargs)

    def guarded(self, produce: t.Callable[[], t.Iterable[dict[str, t.Any]]]) -> t.Iterator[dict[str, t.Any]]:
        """Records of ``produce``; a 403 skips this stream when others are selected."""
        try:
            yield from produce()
        except AccessDeniedError as exc:
            if not any(s.selected for s in self._tap.streams.values() if s is not self):
                raise
            self.logger.warning("Skipping stream '%s': %s", self.name, exc)

    # -- output ---------------------------------------------------------------------------

    def get_batches(self, batch_config: t.Any, context: t.Any = None) -> t.Iterator[tuple[t.Any, list[str]]]:
        """The SDK's BATCH files, written atomically, plain when asked (:mod:`.output_modes`)."""
        yield from output_modes.batches(super().get_batches, batch_config, context)

    def close_full_table_version(self) -> None:
        """The closing ACTIVATE_VERSION of a full-table read (:mod:`.output_modes`)."""
        output_modes.close_full_table_version(self)

    def finalize_state_progress_markers(self, state: dict | None = None) -> None:
        """The SDK's finalisation, then the STATE it skipped as a repeat (:mod:`.final_state`).

        Overridden (the SDK says it "should not need to be"): its ``sync_all`` is final and
        this is the one call it makes after a stream's last record.
        """
        super().finalize_state_progress_markers(state)
        final_state.end_with_state(self._tap, self.tap_state)
