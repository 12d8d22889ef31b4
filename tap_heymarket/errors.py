"""What the tap says when the API or the user gets something wrong.

Every message is one line a person can act on, quotes the response's ``X-Request-Id`` (so it
can be given to Heymarket support) and never includes a credential.
"""

from __future__ import annotations

import email.utils
import math
import re
import typing as t
from http import HTTPStatus
from urllib.parse import urlparse

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_heymarket.redaction import escape_controls

if t.TYPE_CHECKING:
    import requests

EXCERPT_CHARS = 160
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class HeymarketFatalError(FatalAPIError):
    """An error that retrying cannot fix; reported as one line, without a traceback."""


class CredentialsRejectedError(HeymarketFatalError):
    """401/403 on the credential check or on the only selected stream."""


class AccessDeniedError(HeymarketFatalError):
    """403 on one listing: the key may not read it."""


class HeymarketRetriableError(RetriableAPIError):
    """A transient fault (429, 5xx, undecodable body): retried with backoff."""


def request_id(response: requests.Response | None) -> str:
    """The response's ``X-Request-Id``, or ``-`` when it has none."""
    if response is None:
        return "-"
    return response.headers.get("X-Request-Id") or "-"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line excerpt of a body (HTML tags dropped, control characters escaped)."""
    flat = escape_controls(_SPACE.sub(" ", _TAGS.sub(" ", text)).strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def endpoint(response: requests.Response) -> str:
    """Method and path of the request behind a response (no query string, no host)."""
    method = response.request.method if response.request is not None else "?"
    return f"{method} {urlparse(response.url).path}"


def describe(response: requests.Response, problem: str) -> str:
    """``<problem>: HTTP <status> on <endpoint> (X-Request-Id <id>): <excerpt>``."""
    status = response.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = response.reason or ""
    body = excerpt(response.text) if response.content else "(empty body)"
    return (
        f"{problem}: HTTP {status} {reason} on {endpoint(response)} "
        f"(X-Request-Id {request_id(response)}): {body}"
    )


def retry_after_seconds(response: requests.Response | None, *, now: float) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date; None when absent or unusable.

    A date is measured against the response's own ``Date`` header when it has a readable
    one (both come from the server's clock, so a skewed local clock does not stretch or cut
    the wait), else against ``now``. A negative number is a broken header, treated as absent
    (the caller's backoff applies), not as "retry at once".
    """
    if response is None:
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = http_date(value)
        if when is None:
            return None
        sent = http_date(response.headers.get("Date") or "")
        return max(0.0, when - (sent if sent is not None else now))
    return seconds if seconds >= 0 and not math.isnan(seconds) else None


def http_date(value: str) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) as epoch seconds, or None when unreadable."""
    try:
        return email.utils.parsedate_to_datetime(value.strip()).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
