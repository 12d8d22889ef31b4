"""A ``requests`` session that resolves proxy settings once per host, not once per request.

``Session.send`` re-reads the proxy environment (``HTTPS_PROXY``, ``NO_PROXY``, …) on every
request, walking all of ``os.environ`` three times; on a long sync that was several percent
of the tap's CPU time. The answer depends only on the URL's scheme and host and on the
session's own proxy settings, so it is computed once per combination and reused. The
environment is read when a host is first contacted in a run, as before.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

import requests
from requests.utils import resolve_proxies


class HeymarketSession(requests.Session):
    """:class:`requests.Session` with per-host caching of the proxy decision."""

    def __init__(self) -> None:
        super().__init__()
        self._resolved_proxies: dict[tuple[t.Any, ...], dict[str, str]] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Send, with the proxies resolved for this scheme and host (unless given)."""
        if "proxies" not in kwargs:
            parts = urlsplit(str(request.url))
            key = (parts.scheme, parts.netloc, self.trust_env, tuple(sorted((self.proxies or {}).items())))
            proxies = self._resolved_proxies.get(key)
            if proxies is None:
                proxies = self._resolved_proxies[key] = resolve_proxies(
                    request, dict(self.proxies or {}), self.trust_env
                )
            kwargs["proxies"] = dict(proxies)
        return super().send(request, **kwargs)
