"""The one REST stream every Heymarket stream builds on: auth, errors, retries, pacing.

Requests go out through :meth:`HeymarketStream.fetch`, which paces them with the tap's shared
:class:`~tap_heymarket.ratelimit.RequestRateLimiter`, signs them with a fresh credential on
every attempt, classifies the response (:mod:`tap_heymarket.errors`) and decodes the body
inside the retry loop, so a truncated or garbled body is retried like a dropped connection.
A JWT refused with a 401 is replaced by a freshly minted one and the request sent once more;
a transport error that retrying cannot fix fails at once (:mod:`tap_heymarket.network`).
How retries wait and what they log: :mod:`tap_heymarket.retries`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import typing as t
from functools import cached_property

import requests
from singer_sdk import RESTStream, metrics
from singer_sdk.exceptions import RetriableAPIError, SyncLifecycleSignal
from singer_sdk.streams.rest import PageContext

from tap_heymarket import bodies, interrupt, network
from tap_heymarket.auth import refusal
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
)
from tap_heymarket.output_modes import OutputModes
from tap_heymarket.records import NotAnObject
from tap_heymarket.retries import RetryPolicy
from tap_heymarket.session import HeymarketSession

if t.TYPE_CHECKING:
    from tap_heymarket.tap import TapHeymarket


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


class HeymarketStream(RetryPolicy, OutputModes, RESTStream[t.Any]):
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
        response = self._signed_send(prepared, context, endpoint_path)
        refused = prepared.headers.get("Authorization", "").removeprefix("Bearer ")
        if response.status_code == 401 and self.heymarket.auth.renew(refused):
            response.close()  # a JWT refused mid-run: one fresh token, one more try
            response = self._signed_send(prepared, context, endpoint_path)
        deadline = time.monotonic() + self.timeout  # request_timeout bounds the whole response
        bodies.read_within(response, deadline, self.timeout)
        self.validate_response(response)
        return self.decode_body(response)

    def _signed_send(
        self,
        prepared: requests.PreparedRequest,
        context: t.Mapping[str, t.Any] | None,
        endpoint_path: str | None,
    ) -> requests.Response:
        """Pace, sign with the current credential, send; a setup error fails at once."""
        self.heymarket.limiter.acquire()
        self.authenticator(prepared)  # a fresh credential on every attempt
        try:
            response = self.requests_session.send(prepared, timeout=self.timeout, stream=True)
        except requests.exceptions.ConnectionError as exc:
            network.fail_fast(exc, str(prepared.url), first=not self.heymarket.reached_api)
            raise
        self.heymarket.reached_api = True
        self._log_duration(response, context, endpoint_path or self.path)
        return response

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
            raise CredentialsRejectedError(refusal(response, self.heymarket.auth))
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
