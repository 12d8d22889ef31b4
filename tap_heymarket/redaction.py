"""Keep credentials out of every log line, whatever logged it, at any level, to any handler.

The tap never formats a secret into a message; this is the second line of defence (a
library's debug line, a server that echoes the ``Authorization`` header into an error body
that the tap quotes). A filter on the root logger's handlers is not enough: a user's
``SINGER_SDK_LOG_CONFIG`` can attach its own handler to ``tap-heymarket`` (or any logger),
and such a handler never passes through root's. So records are scrubbed where they are
made, by a :func:`logging.setLogRecordFactory` wrapper: every logger in the process, every
handler and formatter sees only the masked text. The exception attached to a record is
scrubbed too (its text, and the arguments of each exception in its chain, which structured
formatters print themselves). The message's control characters are escaped on the way
(:func:`escape_controls`): a log line is one line, whatever text a server sent.
"""

from __future__ import annotations

import logging
import re
import threading
import typing as t
import unicodedata

_JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
MASK = "********"
_MIN_SECRET_CHARS = 4


def escape_controls(text: str) -> str:
    """``text`` with every control or format character written as ``\\xNN``/``\\uNNNN``.

    Server text quoted in a log line must not be able to colour the terminal (ANSI escapes),
    forge a new line, or reorder what a reader sees (bidirectional overrides).
    """
    if text.isprintable():
        return text
    return "".join(_escaped(ch) if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class Redactor:
    """The secret values to mask; anything shaped like a JWT is masked as well."""

    def __init__(self) -> None:
        self.secrets: frozenset[str] = frozenset()

    def scrub(self, text: str) -> str:
        """``text`` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _JWT.sub(MASK, text) if "eyJ" in text else text

    def scrub_record(self, record: logging.LogRecord) -> None:
        """Mask the record's message, exception and stack in place (never drops a record)."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return
        clean = escape_controls(self.scrub(message))
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            self._scrub_exception(record.exc_info[1])
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.scrub(text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)

    def _scrub_exception(self, exc: BaseException) -> None:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            try:
                text = str(current)
            except Exception:  # an exception whose __str__ fails: leave it
                text = ""
            clean = self.scrub(text)
            if clean != text:
                current.args = (clean,)
            current = current.__cause__ or current.__context__


REDACTOR = Redactor()
_installed = threading.Lock()
_factory_installed = False


def remember(secrets: t.Iterable[str]) -> None:
    """Mask these values (length 4 and up) once redaction is installed (:func:`install`)."""
    REDACTOR.secrets = REDACTOR.secrets | {s for s in secrets if len(s) >= _MIN_SECRET_CHARS}


def install() -> None:
    """Scrub every log record made from now on, in this process (once; later calls do nothing)."""
    global _factory_installed  # noqa: PLW0603 (one process-wide record factory)
    with _installed:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            REDACTOR.scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def redact_secrets(secrets: t.Iterable[str]) -> None:
    """Mask these values (length 4 and up) in every log record made from now on."""
    remember(secrets)
    install()
