"""The one REST stream every Heymarket stream builds on: auth, errors, retries, pacing.

Requests go out through :meth:`HeymarketStream.fetch`, which paces them with the tap's shared
:class:`~tap_heymarket.ratelimit.RequestRateLimiter`, signs them with a fresh credential on
every attempt, classifies the response (:mod:`tap_heymarket.errors`) and decodes the body
inside the retry loop, so a truncated or garbled body is retried like a dropped connection.
"""

from __future__ import annotations

import threading
import time
import typing as t
from functools import cached_property

import requests
from singer_sdk import RESTStream, metrics
from singer_sdk.streams.rest import PageContext

from tap_heymarket import bodies, clock, interrupt
from tap_heymarket.concurrency import call_interruptibly
from tap_heymarket.conform import json_type
from tap_heymarket.errors import (
    AccessDeniedError,
    CredentialsRejectedError,
    HeymarketFatalError,
    HeymarketRetriableError,
    describe,
    endpoint,
    excerpt,
    request_id,
    retry_after_seconds,
)
from tap_heymarket.output_modes import OutputModes
from tap_heymarket.records import NotAnObject
from tap_heymarket.session import HeymarketSession

if t.TYPE_CHECKING:
    from backoff.types import Details

    from tap_heymarket.tap import TapHeymarket

MAX_TRIES = 8
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
RETRY_AFTER_CAP_SECONDS = 300.0


class HeymarketStream(OutputModes, RESTStream[t.Any]):
    """Base stream: ``POST`` JSON bodies to the Heymarket API."""

    http_method = "POST"
    _thread_local = threading.local()

    @property
    def heymarket(self) -> TapHeymarket:
        """The tap, which owns what streams share: credentials, limiter, inbox list."""
        return t.cast("TapHeymarket", self._tap)

    @property
    def url_base(self) -> str:
        """``api_url`` without a trailing slash."""
        return str(self.config.get("api_url", "https://api.heymarket.com")).rstrip("/")

    @property
    def authenticator(self) -> requests.auth.AuthBase:
        """One authenticator per tap, so a JWT is minted once and shared."""
        return self.heymarket.auth

    @property
    def timeout(self) -> int:
        """``request_timeout`` in seconds."""
        return int(self.config.get("request_timeout", 60))

    @property
    def http_headers(self) -> dict[str, str]:
        """JSON in, JSON out."""
        return {"Accept": "application/json", "User-Agent": "tap-heymarket"}

    @property
    def requests_session(self) -> requests.Session:
        """One session per thread: slices are read concurrently."""
        session = getattr(self._thread_local, "session", None)
        if session is None:
            session = HeymarketSession()
            self._thread_local.session = session
        return session

    def get_new_paginator(self) -> t.Any:
        """Streams that page override this; the base lists in one call."""
        return None

    # -- requests -----------------------------------------------------------------------

    def fetch(self, context: t.Mapping[str, t.Any] | None, token: t.Any) -> t.Any:
        """Send one page request (retried as needed) and return its decoded JSON body."""
        request = self.get_http_request(page=PageContext(stream_context=context, next_page_token=token))
        prepared = self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
            json=request.data,
        )
        return self._send_with_retries(prepared, context)

    def fetch_interruptibly(self, context: t.Mapping[str, t.Any] | None, token: t.Any) -> t.Any:
        """:meth:`fetch` on a worker, the main thread free to notice SIGTERM or SIGINT."""
        return call_interruptibly(lambda: self.fetch(context, token), interrupt.check)

    @cached_property
    def _send_with_retries(self) -> t.Callable[..., t.Any]:
        """:meth:`_send_once` wrapped once in the SDK's backoff decorator (not per page)."""
        return t.cast("t.Any", self.request_decorator)(self._send_once)  # type: ignore[no-any-return]

    def post(self, path: str, body: dict[str, t.Any]) -> t.Any:
        """One ``POST`` to another path of the API, without retries (best-effort calls)."""
        prepared = self.build_prepared_request(
            method="POST", url=f"{self.url_base}{path}", headers=self.http_headers, json=body
        )
        return self._send_once(prepared, None, path)

    def _send_once(
        self,
        prepared: requests.PreparedRequest,
        context: t.Mapping[str, t.Any] | None = None,
        endpoint_path: str | None = None,
    ) -> t.Any:
        self.heymarket.limiter.acquire()
        self.authenticator(prepared)  # a fresh credential on every attempt
        deadline = time.monotonic() + self.timeout  # request_timeout bounds the whole response
        response = self.requests_session.send(prepared, timeout=self.timeout, stream=True)
        self._log_duration(response, context, endpoint_path or self.path)
        bodies.read_within(response, deadline, self.timeout)
        self.validate_response(response)
        return self.decode_body(response)

    def _log_duration(
        self, response: requests.Response, context: t.Mapping[str, t.Any] | None, endpoint_path: str
    ) -> None:
        """The SDK's ``http_request_duration`` metric, tagged as the SDK tags its own requests."""
        tags: dict[str, t.Any] = {
            metrics.Tag.STREAM: self.name,
            metrics.Tag.ENDPOINT: endpoint_path,
            metrics.Tag.HTTP_STATUS_CODE: response.status_code,
            metrics.Tag.STATUS: metrics.Status.SUCCEEDED
            if response.status_code < 400
            else metrics.Status.FAILED,
        }
        if context:
            tags[metrics.Tag.CONTEXT] = dict(context)
        point = metrics.Point(
            "timer",
            metric=metrics.Metric.HTTP_REQUEST_DURATION,
            value=response.elapsed.total_seconds(),
            tags=tags,
        )
        metrics.log(self.metrics_logger, point=point)

    def validate_response(self, response: requests.Response) -> None:
        """Sort a response into fine, retriable, or fatal with a message a person can act on."""
        status = response.status_code
        if status < 400:
            return
        if status == 429:
            raise HeymarketRetriableError(describe(response, "Rate limited by Heymarket"), response)
        if status >= 500 or status == 408:
            raise HeymarketRetriableError(describe(response, "Heymarket server error"), response)
        if status == 401:
            msg = (
                f"Heymarket rejected the credentials (HTTP 401 on {endpoint(response)}, X-Request-Id "
                f"{request_id(response)}): check {self.heymarket.auth.setting_names}"
            )
            raise CredentialsRejectedError(msg)
        if status == 403:
            msg = (
                f"Heymarket denied access to '{self.name}' (HTTP 403 on {endpoint(response)}, X-Request-Id "
                f"{request_id(response)}): check that {self.heymarket.auth.setting_names} may "
                "read it and that user_id is a member of the inboxes"
            )
            raise AccessDeniedError(msg)
        raise HeymarketFatalError(describe(response, "Heymarket refused the request"))

    def decode_body(self, response: requests.Response) -> t.Any:
        """Decode JSON leniently where it is valid; a body that is not JSON fails at once.

        A truncated body is retried (:mod:`tap_heymarket.bodies`).
        """
        return bodies.decode(response)

    def records_in(self, body: t.Any) -> list[dict[str, t.Any]]:
        """The records of a listing body: the documented array (or a wrapped one).

        An item that is not an object keeps its place as a
        :class:`~tap_heymarket.records.NotAnObject`, which shaping refuses (skipped, counted).
        """
        if isinstance(body, dict):
            for key in ("data", "results", self.name):
                if isinstance(body.get(key), list):
                    body = body[key]
                    break
        if isinstance(body, list):
            if all(type(item) is dict for item in body):
                return body
            return [
                item
                if isinstance(item, dict)
                else NotAnObject(f"a page item that is a JSON {json_type(item)}, not an object")
                for item in body
            ]
        keys = f" with keys {excerpt(', '.join(map(str, body)))}" if isinstance(body, dict) else ""
        msg = f"Heymarket answered {self.path} with a JSON {json_type(body)}{keys}, not the documented array"
        raise HeymarketFatalError(msg)

    def guarded(self, produce: t.Callable[[], t.Iterable[dict[str, t.Any]]]) -> t.Iterator[dict[str, t.Any]]:
        """Records of ``produce``; a 403 skips this stream when others are selected."""
        try:
            yield from produce()
        except AccessDeniedError as exc:
            if not self.heymarket.other_streams_selected(self):
                raise
            self.logger.warning("Skipping stream '%s': %s", self.name, exc)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Records of a listing response (used by the SDK's own request loop in tests)."""
        yield from self.decode_body(response)

    # -- retries ------------------------------------------------------------------------

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
        limiter = self.heymarket.limiter
        jitter = self.heymarket.random.uniform
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
