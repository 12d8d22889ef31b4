"""One stream's calls to one path of the API: paced, signed, retried, classified, decoded.

:meth:`Endpoint.send` paces each attempt with the API's shared limiter, signs it with a fresh
credential, classifies the response (:func:`classify`) and decodes the body inside the retry
loop, so a truncated or garbled body is retried like a dropped connection. A JWT refused
with a 401 is replaced by a freshly minted one and the request sent once more; a transport
error that retrying cannot fix fails at once (:mod:`tap_heymarket.network`). How retries
wait and what they log: :mod:`tap_heymarket.retries`. :meth:`Endpoint.count` is the one
best-effort call (no retries) to a listing's count endpoint.

Each response is logged as the SDK's ``http_request_duration`` metric, with the tags the SDK
gives its own requests (``RESTStream._write_request_duration_log``, private, whose body this
repeats because the SDK's request loop is not used; tests/test_sdk_contracts.py compares the
two points).
"""

from __future__ import annotations

import json
import time
import typing as t
from functools import cached_property

import requests
from singer_sdk import metrics

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
from tap_heymarket.records import NotAnObject
from tap_heymarket.retries import RetryPolicy

if t.TYPE_CHECKING:
    import logging

    from tap_heymarket.api import HeymarketAPI
    from tap_heymarket.auth import HeymarketAuth

Context = t.Mapping[str, t.Any] | None
#: Headers of every request: JSON in, JSON out, and who is asking.
HEADERS = {"Accept": "application/json", "User-Agent": "tap-heymarket"}
#: Request bodies, encoded as ``requests``' ``json=`` would (the same bytes), by the standard
#: library: see :meth:`Endpoint._prepare`. One encoder for every thread (it keeps no state).
BODY_ENCODER = json.JSONEncoder(allow_nan=False)


class Endpoint:
    """``method path`` as ``stream`` calls it (see the module docstring)."""

    def __init__(
        self,
        api: HeymarketAPI,
        stream: str,
        path: str,
        method: str,
        *,
        logger: logging.Logger,
        screen: t.Callable[[requests.Response], None] | None = None,
    ) -> None:
        self.api = api
        self.stream = stream
        self.path = path
        self.method = method
        self.logger = logger
        self.screen = screen
        self.retries = RetryPolicy(path, logger, api.limiter, api.random)

    # -- calls --------------------------------------------------------------------------

    def send(self, body: t.Any, context: Context = None) -> t.Any:
        """Send one request (retried as needed) and return its decoded JSON body."""
        return self._send_with_retries(self._prepare(self.path, self.method, body), context)

    def send_interruptibly(self, body: t.Any, context: Context = None) -> t.Any:
        """:meth:`send` on a worker, the main thread free to notice SIGTERM or SIGINT."""
        return call_interruptibly(lambda: self.send(body, context), interrupt.check)

    def count(self, path: str, date: str | None, body: dict[str, t.Any] | None = None) -> int:
        """One ``POST path`` (no retries: best effort) for the records "before" ``date``
        (``body``: more fields, such as the listing's filters, that the count is asked with)."""
        prepared = self._prepare(path, "POST", {**(body or {}), **({"date": date} if date else {})})
        return count_of(self._send_once(prepared, None, path))

    def records_in(self, body: t.Any) -> list[dict[str, t.Any]]:
        """The records of a listing body: the documented array (or one wrapped in an object).

        An item that is not an object keeps its place as a
        :class:`~tap_heymarket.records.NotAnObject`, which shaping refuses (skipped, counted).
        """
        if isinstance(body, dict):
            for key in ("data", "results", self.stream):
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

    # -- one attempt --------------------------------------------------------------------

    def _prepare(self, path: str, method: str, body: t.Any) -> requests.PreparedRequest:
        """The request, its JSON body encoded here rather than by ``requests`` (``json=``).

        ``requests`` encodes with simplejson whenever it is installed (the SDK requires it),
        which builds a new encoder from 20 arguments on every call: CPython 3.11 keeps each
        such 20-item tuple on its free list when it is released but never takes one from that
        list again, so every request left one behind, up to 2,000 (400 kB) after the first
        2,000 requests of a run (tests/test_steady_free_lists.py). The standard library's
        encoder gives the same bytes (separators, ASCII escapes, no NaN) without that.
        """
        headers = dict(HEADERS)
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = BODY_ENCODER.encode(body).encode()
        request = requests.Request(
            method, f"{self.api.base_url}{path}", headers=headers, data=data, auth=self.api.auth
        )
        return self.api.session.prepare_request(request)

    @cached_property
    def _send_with_retries(self) -> t.Callable[..., t.Any]:
        """:meth:`_send_once` wrapped once in the retry decorator (not per page)."""
        return self.retries.decorate(self._send_once)

    def _send_once(
        self, prepared: requests.PreparedRequest, context: Context = None, endpoint_path: str | None = None
    ) -> t.Any:
        response = self._signed_send(prepared, context, endpoint_path)
        refused = prepared.headers.get("Authorization", "").removeprefix("Bearer ")
        if response.status_code == 401 and self.api.auth.renew(refused):
            response.close()  # a JWT refused mid-run: one fresh token, one more try
            response = self._signed_send(prepared, context, endpoint_path)
        timeout = self.api.timeout
        deadline = time.monotonic() + timeout  # request_timeout bounds the whole response
        bodies.read_within(response, deadline, timeout)
        if self.screen is not None:
            self.screen(response)
        classify(response, self.stream, self.api.auth)
        return bodies.decode(response)

    def _signed_send(
        self, prepared: requests.PreparedRequest, context: Context, endpoint_path: str | None
    ) -> requests.Response:
        """Pace, sign with the current credential, send; a setup error fails at once."""
        api = self.api
        api.limiter.acquire()
        api.auth(prepared)  # a fresh credential on every attempt
        try:
            response = api.session.send(prepared, timeout=api.timeout, stream=True)
        except requests.exceptions.ConnectionError as exc:
            network.fail_fast(exc, str(prepared.url), first=not api.reached_api)
            raise
        api.reached_api = True
        metrics.log(
            api.metrics_logger,
            point=duration_point(self.stream, endpoint_path or self.path, response, context),
        )
        return response


def duration_point(
    stream: str, endpoint_path: str, response: requests.Response, context: Context
) -> metrics.Point[t.Any]:
    """The SDK's ``http_request_duration`` point, tagged as the SDK tags its own requests."""
    tags: dict[str, t.Any] = {
        metrics.Tag.STREAM: stream,
        metrics.Tag.ENDPOINT: endpoint_path,
        metrics.Tag.HTTP_STATUS_CODE: response.status_code,
        metrics.Tag.STATUS: metrics.Status.SUCCEEDED if response.status_code < 400 else metrics.Status.FAILED,
    }
    if context:
        tags[metrics.Tag.CONTEXT] = dict(context)
    return metrics.Point(
        "timer",
        metric=metrics.Metric.HTTP_REQUEST_DURATION,
        value=response.elapsed.total_seconds(),
        tags=tags,
    )


def classify(response: requests.Response, stream: str, auth: HeymarketAuth) -> None:
    """Sort a response into fine, retriable, or fatal with a message a person can act on."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        raise HeymarketRetriableError(describe(response, "Rate limited by Heymarket"), response)
    if status >= 500 or status == 408:
        raise HeymarketRetriableError(describe(response, "Heymarket server error"), response)
    if status == 401:
        raise CredentialsRejectedError(refusal(response, auth))
    if status == 403:
        msg = (
            f"Heymarket denied access to '{stream}' (HTTP 403 on {endpoint(response)}, X-Request-Id "
            f"{request_id(response)}): check that {auth.setting_names} may "
            "read it and that user_id is a member of the inboxes"
        )
        raise AccessDeniedError(msg)
    raise HeymarketFatalError(describe(response, "Heymarket refused the request"))


def count_of(body: object) -> int:
    """``{"count": n}``, a bare integer, or a numeric string: the reference prints none."""
    if isinstance(body, dict):
        body = body.get("count", body.get("total"))
    if isinstance(body, bool):
        raise TypeError(body)
    if isinstance(body, (int, str)):
        return int(body)
    msg = f"unexpected count body: {body!r}"
    raise TypeError(msg)
