"""Transport failures that retrying cannot fix, each told apart and named in one line.

``requests`` reports a bad certificate, a host name that does not resolve and a refused
connection all as a ``ConnectionError``, which the SDK's backoff retries eight times (about
100 s) before "check the network". Here the cause is dug out of the exception chain
(requests wraps urllib3, which wraps :mod:`ssl` and :mod:`socket`): a certificate that is not
trusted, has expired or names another host fails at once and says which setting to look at;
so does a name that does not exist (``EAI_NONAME``; a temporary resolver failure is retried)
and a refused connection on a run's first request (nothing listens there: ``api_url`` or
the proxy is wrong; later in a run, a refusal is more likely a restart, and is retried).
"""

from __future__ import annotations

import errno
import socket
import ssl
import typing as t
from urllib.parse import urlsplit

import requests

from tap_heymarket.errors import HeymarketFatalError

_HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH
_CERT_HAS_EXPIRED = 10  # X509_V_ERR_CERT_HAS_EXPIRED
_NOT_FOUND = {getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)}


class NetworkSetupError(HeymarketFatalError):
    """A certificate, name or address problem: the same request would fail the same way."""


def causes(exc: BaseException) -> t.Iterator[BaseException]:
    """``exc`` and everything it wraps: arguments, urllib3's ``reason``, causes and contexts."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def unfixable(exc: requests.RequestException, url: str, *, first: bool) -> str | None:
    """The one line for a transport error that retrying cannot fix, else None (retry it)."""
    host = urlsplit(url).hostname or url
    chain = list(causes(exc))
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _certificate(cause, host)
    proxy = isinstance(exc, requests.exceptions.ProxyError)
    for cause in chain:
        if isinstance(cause, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(cause):
            return (
                f"TLS with {host} failed: the other end does not speak TLS there; check api_url's "
                "scheme and port (http:// for the local sandbox)"
            )
        if isinstance(cause, socket.gaierror) and cause.errno in _NOT_FOUND:
            where = "the proxy's host name" if proxy else f"host {host!r}"
            setting = "HTTPS_PROXY/HTTP_PROXY" if proxy else "api_url"
            return f"Cannot resolve {where}: no such name in DNS; check {setting}"
        if first and isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
            if proxy:
                return "The proxy refused the connection on the first request: check HTTPS_PROXY/HTTP_PROXY"
            return f"{host} refused the connection on the first request: check api_url's host and port"
    return None


def _certificate(cause: ssl.SSLCertVerificationError, host: str) -> str:
    detail = cause.verify_message or str(cause)
    if cause.verify_code == _HOSTNAME_MISMATCH:
        return (
            f"TLS certificate of {host} is for another host name ({detail}): check api_url's host "
            "name (a proxy that intercepts TLS must present a certificate for it)"
        )
    if cause.verify_code == _CERT_HAS_EXPIRED:
        return f"TLS certificate of {host} has expired ({detail}): check the system clock, or the server"
    return (
        f"TLS certificate of {host} is not trusted ({detail}): if a corporate proxy or a private "
        "certificate authority signs it, set REQUESTS_CA_BUNDLE to that authority's PEM bundle"
    )


def fail_fast(exc: requests.RequestException, url: str, *, first: bool) -> None:
    """Raise :class:`NetworkSetupError` (chained) when retrying ``exc`` cannot help."""
    line = unfixable(exc, url, first=first)
    if line is not None:
        raise NetworkSetupError(line) from exc
