"""SIGTERM and SIGINT: stop within moments, with a STATE that matches what was emitted.

The SDK's own handler writes the tap's state and exits 0. That state can be ahead of what a
target has (BATCH files not yet announced), and an orchestrator would record an interrupted
extraction as a success. Here the handler only notes the signal; the main thread, which
alone writes messages and state, raises :class:`SyncInterrupted` at its next safe point
(between records, or within :data:`~tap_heymarket.concurrency.POLL_SECONDS` while it waits
for a page), the walk writes the state it has (never ahead of its records), and the process
exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT). Should the main thread
be stuck (writing to a pipe nobody reads any more), a watchdog ends the process with the
same code after :data:`GRACE_SECONDS`.
"""

from __future__ import annotations

import os
import signal
import threading
import typing as t

#: If the main thread cannot reach a safe point this long after a signal (blocked writing to
#: a reader that stopped reading, as ``meltano config test`` does), exit anyway: every STATE
#: already written is consistent, and nothing more can be written through a blocked pipe.
GRACE_SECONDS = 3.0

_requested = threading.Event()
_signal_number: list[int] = []


class SyncInterrupted(BaseException):
    """Raised in the main thread after SIGTERM or SIGINT (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process ended by that signal."""
        return 128 + self.signum


def _note(signum: int, _frame: t.Any) -> None:
    if not _requested.is_set():
        _signal_number[:] = [signum]
        _requested.set()
        watchdog = threading.Timer(GRACE_SECONDS, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()


def install() -> None:
    """Take SIGTERM and SIGINT over from the SDK's handler (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _note)


def check() -> None:
    """Raise :class:`SyncInterrupted` if a stop was requested (call at safe points only)."""
    if _requested.is_set():
        raise SyncInterrupted(_signal_number[0] if _signal_number else signal.SIGTERM)


def reset() -> None:
    """Forget a stop request (tests that run several syncs in one process)."""
    _requested.clear()
    _signal_number.clear()
