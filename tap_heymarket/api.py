"""The Heymarket API as the streams use it: one object per tap, handed to every stream.

:class:`HeymarketAPI` holds what every request shares: the credentials (a JWT minted once,
renewed for all), the request limiter (the API's budget is per key), one ``requests`` session
per thread (slices are read concurrently), whether the API has answered yet (after that, a
refused connection is retried) and the inbox directory (:mod:`tap_heymarket.directory`).
Each stream reads through its own :class:`~tap_heymarket.endpoint.Endpoint`, which names the
stream in metrics, retry lines and errors. The tap builds this object once and passes it to
its streams, so no stream asks the tap for a request method or an inbox list.
"""

from __future__ import annotations

import logging
import random
import threading
import typing as t

from tap_heymarket.auth import HeymarketAuth
from tap_heymarket.directory import InboxDirectory
from tap_heymarket.endpoint import Endpoint
from tap_heymarket.ratelimit import RequestRateLimiter
from tap_heymarket.session import HeymarketSession

if t.TYPE_CHECKING:
    import requests

DEFAULT_API_URL = "https://api.heymarket.com"


class HeymarketAPI:
    """Session, auth, limiter and inbox directory for one tap (see the module docstring)."""

    def __init__(
        self, config: t.Mapping[str, t.Any], logger: logging.Logger, metrics_logger: logging.Logger
    ) -> None:
        self.base_url = str(config.get("api_url", DEFAULT_API_URL)).rstrip("/")
        self.timeout = int(config.get("request_timeout", 60))
        self.auth = HeymarketAuth(config)
        self.limiter = RequestRateLimiter(float(config.get("max_requests_per_minute", 500)))
        self.random = random.Random()  # jitter of the retry waits
        self.reached_api = False  # once a response arrives, a refused connection is retried
        self.metrics_logger = metrics_logger
        self._local = threading.local()
        inboxes = self.endpoint("inboxes", "/v1/inboxes", "GET", logger.getChild("inboxes"))
        self.directory = InboxDirectory(inboxes, config, logger, self.auth.setting_names)

    @property
    def session(self) -> requests.Session:
        """This thread's session (``requests`` sessions are not shared across threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = HeymarketSession()
            self._local.session = session
        return session

    def endpoint(
        self,
        stream: str,
        path: str,
        method: str,
        logger: logging.Logger,
        screen: t.Callable[[requests.Response], None] | None = None,
    ) -> Endpoint:
        """How ``stream`` calls ``method path`` (``screen``: its own look at each response)."""
        return Endpoint(self, stream, path, method, logger=logger, screen=screen)
