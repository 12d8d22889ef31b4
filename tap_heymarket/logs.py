"""Quiet logs by default: the command line's logging config, and the SDK notes it drops.

A run of every stream used to write about 200 lines to stderr, 163 of them METRIC lines (one
per request) and five copies of an SDK warning that does not apply to this tap. The SDK reads
a logging config from ``SINGER_SDK_LOG_CONFIG`` (its documented way to route the
``singer_sdk.metrics`` logger); the ``tap-heymarket`` command sets that variable to the
shipped ``logging.yaml`` when the user has not set it, so a plain run writes its progress
lines and closing summaries to stderr and its METRIC lines to ``tap-heymarket-metrics.log``.
A config of the user's own (and Meltano's, which it always passes) replaces the default whole.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

#: The shipped config (packaged next to this module).
DEFAULT_LOG_CONFIG = Path(__file__).with_name("logging.yaml")

#: SDK warnings that are false for this tap, with the reason.
KNOWN_SDK_NOTES = {
    # The walk writes its own `resume` state (unfinished windows, newest value emitted), so an
    # interrupted run of an unsorted stream does resume; the SDK cannot know that.
    "Stream is assumed to be unsorted, progress is not resumable if interrupted",
}


class DropKnownSdkNotes(logging.Filter):
    """Drops the SDK warnings listed in :data:`KNOWN_SDK_NOTES`; everything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a known note."""
        return record.getMessage() not in KNOWN_SDK_NOTES


class MetricsFile(logging.FileHandler):
    """The METRIC lines' file; one it cannot open or write is one stderr line, not a traceback each."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Say once where the METRIC lines could not go, then stop trying."""
        if not self.failed:
            self.failed = True
            sys.stderr.write(
                f"tap-heymarket: cannot write METRIC lines to {self.baseFilename}; they are dropped "
                "(set SINGER_SDK_LOG_CONFIG to route them elsewhere)\n"
            )

    def emit(self, record: logging.LogRecord) -> None:
        """Write the line, unless the file already failed."""
        if self.failed:
            return
        try:
            super().emit(record)  # opens the file on the first line (delay), outside its own guard
        except OSError:
            self.handleError(record)


def cli() -> None:
    """``tap-heymarket``: the SDK's command line, with the quiet config unless one is set."""
    os.environ.setdefault("SINGER_SDK_LOG_CONFIG", str(DEFAULT_LOG_CONFIG))
    from tap_heymarket.tap import TapHeymarket

    TapHeymarket.cli()
