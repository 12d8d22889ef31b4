"""How the tap retries: bounded attempts, backoff with jitter or ``Retry-After``, one line each.

:meth:`RetryPolicy.decorate` builds the decorator the SDK's ``RESTStream.request_decorator``
builds (the same exceptions, waits, tries and handler; tests/test_sdk_contracts.py compares
the exception list) without backoff's own logger: that logger wrote a second line per retry
("Backing off _send_once(...)") and an ERROR line when giving up, beside the tap's one line
per retry and its one line for the failure. The exception chain of each retry goes to DEBUG
instead. One policy per endpoint (:class:`~tap_heymarket.endpoint.Endpoint`): its waits pause the
API's shared limiter, its lines name the stream's path and go to the stream's logger.
"""

from __future__ import annotations

import logging
import random
import typing as t

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_heymarket import clock
from tap_heymarket.errors import HeymarketRetriableError, request_id, retry_after_seconds

if t.TYPE_CHECKING:
    from backoff.types import Details

    from tap_heymarket.ratelimit import RequestRateLimiter

MAX_TRIES = 8
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
RETRY_AFTER_CAP_SECONDS = 300.0

#: What is retried: exactly the SDK's own list (a fatal error is raised as something else).
RETRIED: tuple[type[Exception], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class RetryPolicy:
    """Retries for one endpoint (see the module docstring)."""

    def __init__(
        self, path: str, logger: logging.Logger, limiter: RequestRateLimiter, jitter: random.Random
    ) -> None:
        self.path = path
        self.logger = logger
        self.limiter = limiter
        self.random = jitter

    def decorate(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """The SDK's decorator (same exceptions, waits, tries and handler), minus backoff's logging."""
        decorator: t.Callable[..., t.Any] = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        return decorator(func)  # type: ignore[no-any-return]

    def backoff_max_tries(self) -> int:
        """Attempts per request before the error is reported."""
        return MAX_TRIES

    def backoff_jitter(self, value: float) -> float:
        """Jitter is added inside :meth:`backoff_wait_generator` (it knows about Retry-After)."""
        return value

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """Exponential waits with jitter, or the server's ``Retry-After`` (capped).

        Every wait also pauses the shared limiter, so a 429 on one slice slows all of them.
        """
        limiter = self.limiter
        jitter = self.random.uniform
        logger = self.logger

        def waits() -> t.Generator[float, t.Any, None]:
            attempt = 0
            exc = yield 0.0
            while True:
                response = getattr(exc, "response", None)
                wait = retry_after_seconds(response, now=clock.wall())
                if wait is not None:
                    if wait > RETRY_AFTER_CAP_SECONDS:
                        logger.warning(
                            "Retry-After of %.0f s (X-Request-Id %s) capped to %.0f s",
                            wait,
                            request_id(response),
                            RETRY_AFTER_CAP_SECONDS,
                        )
                    wait = min(wait, RETRY_AFTER_CAP_SECONDS)
                    logger.warning(
                        "Heymarket asked us to wait %.1f s (Retry-After, X-Request-Id %s)",
                        wait,
                        request_id(response),
                    )
                else:
                    wait = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                    wait = jitter(wait / 2, wait)
                limiter.pause(wait)
                attempt += 1
                exc = yield wait

        return waits()

    def backoff_handler(self, details: Details) -> None:
        """One warning per retry, naming the fault and the request ID, never the request."""
        exc = details.get("exception")
        response = getattr(exc, "response", None)
        reason = str(exc) if isinstance(exc, HeymarketRetriableError) else type(exc).__name__
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d of %d): %s [X-Request-Id %s]",
            self.path,
            details.get("wait", 0.0),
            details.get("tries", 0),
            MAX_TRIES,
            reason,
            request_id(response),
        )
        self.logger.debug("The error behind that retry:", exc_info=exc)
