"""Airbyte protocol messages as plain JSON objects, one builder per message kind.

Field names and enumerations follow the protocol's published models (airbyte-protocol-models
0.18); every message the tests' runs write is validated against them (tests/airbyte_source.py).
"""

from __future__ import annotations

import typing as t

from tap_heymarket import clock

#: Python logging levels as the protocol's LOG levels.
LOG_LEVELS = {"CRITICAL": "FATAL", "ERROR": "ERROR", "WARNING": "WARN", "INFO": "INFO", "DEBUG": "DEBUG"}

CONFIG_ERROR = "config_error"
SYSTEM_ERROR = "system_error"


class InputError(ValueError):
    """A config, catalog or state document the command cannot use (a ``config_error``)."""


def now_ms() -> int:
    """The protocol's ``emitted_at``: milliseconds since the epoch (the tap's clock)."""
    return int(clock.now().timestamp() * 1000)


def spec(connection_specification: dict[str, t.Any]) -> dict[str, t.Any]:
    """A SPEC message."""
    return {
        "type": "SPEC",
        "spec": {
            "documentationUrl": "https://github.com/heymarket/tap-heymarket#airbyte",
            "connectionSpecification": connection_specification,
            "supportsIncremental": True,
        },
    }


def connection_status(failure: str | None) -> dict[str, t.Any]:
    """CONNECTION_STATUS: SUCCEEDED, or FAILED with the one-line reason."""
    status: dict[str, t.Any] = {"status": "SUCCEEDED" if failure is None else "FAILED"}
    if failure is not None:
        status["message"] = failure
    return {"type": "CONNECTION_STATUS", "connectionStatus": status}


def catalog(streams: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """A CATALOG message."""
    return {"type": "CATALOG", "catalog": {"streams": streams}}


def record(stream: str, data: dict[str, t.Any], emitted_at: int) -> dict[str, t.Any]:
    """A RECORD message."""
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": emitted_at}}


def stream_state(stream: str, value: t.Any) -> dict[str, t.Any]:
    """A per-stream STATE message (the protocol's ``STREAM`` type)."""
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": value},
        },
    }


def log(level: str, message: str) -> dict[str, t.Any]:
    """A LOG message (``level`` a Python logging level name)."""
    return {"type": "LOG", "log": {"level": LOG_LEVELS.get(level, "INFO"), "message": message}}


def error(message: str, failure_type: str) -> dict[str, t.Any]:
    """A TRACE error: the one line, no stack trace (the tap prints none either)."""
    return {
        "type": "TRACE",
        "trace": {
            "type": "ERROR",
            "emitted_at": now_ms(),
            "error": {"message": message, "failure_type": failure_type},
        },
    }


def stream_status(stream: str, status: str) -> dict[str, t.Any]:
    """A TRACE stream status: STARTED, RUNNING, COMPLETE or INCOMPLETE."""
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": now_ms(),
            "stream_status": {"stream_descriptor": {"name": stream}, "status": status},
        },
    }
