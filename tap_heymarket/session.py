"""A ``requests`` session that honours the environment's network settings, resolved once per host.

The SDK prepares requests itself and hands them to ``Session.send``, which, unlike
``Session.request``, never merges the environment's settings: ``REQUESTS_CA_BUNDLE`` and
``CURL_CA_BUNDLE`` were ignored, so a run behind a TLS-intercepting proxy or against a private
certificate authority could not work. :meth:`HeymarketSession.send` merges them exactly as
``Session.request`` does (``merge_environment_settings``: ``HTTPS_PROXY``/``HTTP_PROXY``/
``ALL_PROXY``, ``NO_PROXY``, the two CA bundle variables), and falls back to ``SSL_CERT_FILE``
(OpenSSL's own variable) when neither bundle variable is set. netrc is never read: every
request carries the tap's own ``Authorization`` (``prepare_request`` consults netrc only
without one).

Resolving proxies walks all of ``os.environ`` three times; on a long sync that was several
percent of the tap's CPU time. The answer depends only on the URL's scheme and host, the
session's own settings and the few variables above, so it is computed once per combination.
The key of that cache is built once per request from a list, never from a generator: CPython
3.11 builds ``tuple(generator)`` at one size and resizes it, so each such tuple freed lands
on the free list of its final size (11 here) which no allocation of that size draws from
again, and 2,000 of them (250 kB) were kept after the first 2,000 requests of every run
(tests/test_steady_free_lists.py).
"""

from __future__ import annotations

import os
import typing as t
from urllib.parse import urlsplit

import requests

#: Every variable the merged settings depend on (both spellings, as ``urllib`` reads them).
ENVIRONMENT = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
)


class HeymarketSession(requests.Session):
    """:class:`requests.Session` whose ``send`` uses the environment as ``request`` would."""

    def __init__(self) -> None:
        super().__init__()
        self._resolved: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Send, with proxies, CA bundle and client certificate from the environment (unless given)."""
        for name, value in self.environment_settings(str(request.url)).items():
            kwargs.setdefault(name, value)
        return super().send(request, **kwargs)

    def environment_settings(self, url: str) -> dict[str, t.Any]:
        """``proxies``, ``verify`` and ``cert`` for ``url``, as ``Session.request`` merges them."""
        parts = urlsplit(url)
        key = (
            parts.scheme,
            parts.netloc,
            self.trust_env,
            tuple(sorted((self.proxies or {}).items())),
            str(self.verify),
            str(self.cert),
            tuple([os.environ.get(name) for name in ENVIRONMENT]),  # a list first: see the docstring
        )
        found = self._resolved.get(key)
        if found is None:
            merged = self.merge_environment_settings(url, {}, None, None, None)
            verify = merged["verify"]
            ca_file = os.environ.get("SSL_CERT_FILE")
            if verify is True and self.trust_env and ca_file:
                verify = ca_file
            found = {"proxies": merged["proxies"], "verify": verify, "cert": merged["cert"]}
            self._resolved[key] = found
        return {**found, "proxies": dict(found["proxies"])}
