"""Secrets are masked where log records are made, so no handler or formatter can see them."""

from __future__ import annotations

import io
import logging

import pytest
from singer_sdk.logging import ConsoleFormatter, StructuredFormatter

from tap_heymarket.redaction import MASK, redact_secrets

SECRET = "hunter2-very-secret"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture
def handler_output() -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    """A logger of some library, with its own handler (no root filter involved) at DEBUG."""
    redact_secrets([SECRET])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("some.library.test_redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)


@pytest.mark.parametrize("formatter", [logging.Formatter(), ConsoleFormatter(), StructuredFormatter()])
def test_a_secret_in_a_message_its_arguments_or_an_exception_never_reaches_a_handler(
    handler_output, formatter: logging.Formatter
) -> None:
    logger, stream, handler = handler_output
    handler.setFormatter(formatter)
    logger.debug("header was Bearer %s", SECRET)
    logger.info(f"token {JWT} in the text")
    try:
        try:
            raise KeyError(f"inner {SECRET}")
        except KeyError as inner:
            raise RuntimeError(f"server said: Authorization: Bearer {SECRET}") from inner
    except RuntimeError:
        logger.exception("request failed")
    text = stream.getvalue()
    assert "request failed" in text and "RuntimeError" in text  # the records were written
    assert SECRET not in text and JWT not in text
    assert text.count(MASK) >= 4


def test_short_values_are_not_treated_as_secrets(handler_output) -> None:
    logger, stream, _ = handler_output
    redact_secrets(["abc"])
    logger.warning("abc is a word")
    assert "abc is a word" in stream.getvalue()


def test_control_characters_in_any_loggers_message_are_escaped_so_a_line_stays_one_line(
    handler_output,
) -> None:
    """A library quoting server text must not colour the terminal or forge a second log line."""
    logger, stream, _ = handler_output
    logger.warning("server said: %s", "\x1b[31mred\nINFO forged line")
    assert stream.getvalue() == "server said: \\x1b[31mred\\x0aINFO forged line\n"
