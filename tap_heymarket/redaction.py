"""Keep credentials out of every log line, whatever logged it and at any level.

The tap never formats a secret into a message; this filter is the second line of defence
(a library's debug line, an exception text) on every handler of the root logger.
"""

from __future__ import annotations

import logging
import re
import typing as t

_JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
MASK = "********"


class RedactingFilter(logging.Filter):
    """Replaces known secret values and anything shaped like a JWT."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def scrub(self, text: str) -> str:
        """``text`` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _JWT.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()


def redact_secrets(secrets: t.Iterable[str]) -> None:
    """Mask these values (length 4 and up) in every record any root handler emits."""
    _FILTER.secrets.update(s for s in secrets if len(s) >= 4)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
