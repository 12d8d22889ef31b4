"""What a mutation is (:class:`Mutation`) and the test files each area's mutations run."""

from __future__ import annotations

import typing as t


class Mutation(t.NamedTuple):
    """One guard removed: where, what it was, what replaces it, who should notice."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


def tests(*names: str) -> tuple[str, ...]:
    """``tests/test_<name>.py`` for each name."""
    return tuple(f"tests/test_{name}.py" for name in names)


RETRYING = tests("retries", "retry_after", "guards", "hostile_responses", "fatal_errors", "sdk_contracts")
DECODING = tests("bodies", "hostile_responses", "bad_records", "guards", "fatal_errors")
CREDENTIALS = tests("token_renewal", "secrets", "fatal_errors")
SHAPING = tests("properties", "bad_records", "conversations", "pagination", "stream_selection", "guards")
INBOXES = tests("directory", "guards", "no_inbox", "optional_count", "conversations", "metrics_and_denials")
LOGS = tests("redaction", "secrets", "log_lines", "quiet_logs")
CONFIG = tests("config_errors", "secrets", "fatal_errors", "settings")
