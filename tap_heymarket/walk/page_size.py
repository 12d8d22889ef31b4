"""How many records a page of one listing holds: asked for with ``limit``, learnt from the server.

The reference documents a ``limit`` body field for ``/v1/messages/all`` (default 30) and for
contacts, and its generated schema shows one for conversations; it states no maximum. A
larger page needs fewer requests (each page brings at most ``page - 1`` new records under the
tie-safe cursor), so the tap asks for ``page_size`` records a page. Whether the server
honours it is learnt from the first page of the stream that carried it, at a cost of at most
one request per stream and run:

* **Honoured:** a page as large as asked, or one that is followed by more.
* **Capped lower, or ignored:** a page smaller than asked, after which the same walk's next
  page still brings new records (a short page alone may be the listing's end). From then on
  the tap asks for what it got (harmless under both readings) and expects it.
* **Refused:** an HTTP 400 that names ``limit``, to a request that carried it. The same request is sent
  again without the field (the one extra request), and the field is never sent again.

Until the first answer is in, only that one request carries the field: the stream's other
walks ask without it (the server's own page size), so a refusal can only ever cost one
request. Every page says which ``limit`` it was asked with (:attr:`Sent.limit`), so the walk
judges a short page against what that request could bring (:meth:`PageSize.seen`),
never against a larger page another request was granted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.walk.pagination import Cursor

LOGGER = logging.getLogger("tap-heymarket")
#: The server's page when none is asked for (the reference's "30 a page").
SERVER_DEFAULT = 30


class LimitRefusedError(HeymarketFatalError):
    """HTTP 400 to a request that carried ``limit``: sent again without it."""


@dataclasses.dataclass(frozen=True)
class Sent:
    """The ``limit`` one request carried (None: none), and whether it is the stream's probe."""

    limit: int | None
    probe: bool = False


@dataclasses.dataclass(frozen=True)
class PageRequest:
    """The SDK's page token for one request of a walk: where it starts, and its ``limit``."""

    cursor: Cursor | None
    limit: int | None = None


class PageSize:
    """What one stream has learnt about ``limit`` in this run (shared by its walks)."""

    def __init__(self, stream_name: str, asked: int | None) -> None:
        self.stream_name = stream_name
        self.asked = asked  # None: the stream sends no ``limit``
        self.granted: int | None = None  # learnt: the size the server serves (None: not yet)
        self.refused = False
        self._probing = False
        self._short: int | None = None  # the probe's first page was this short: a cap, or the end?
        self._largest: dict[int | None, int] = {}  # per ``limit`` sent: the largest page seen
        self._lock = threading.Lock()

    @property
    def settled(self) -> bool:
        """Whether the server's answer to ``limit`` is known (or nothing is asked)."""
        return self.asked is None or self.refused or self.granted is not None

    def next_request(self, held: Sent | None = None) -> Sent:
        """The ``limit`` the next request carries: the probe, what was granted, or none.

        ``held``: what the walk's previous request carried; a probe not yet settled stays
        with the walk that holds it.
        """
        with self._lock:
            if held is not None and held.probe and self._probing and not self.settled:
                return held
            if self.asked is None or self.refused:
                return Sent(None)
            if self.granted is not None:
                return Sent(self.granted)
            if self._probing:
                return Sent(None)  # another walk's request is finding out: ask for the default
            self._probing = True
            return Sent(self.asked, probe=True)

    def abandon(self, sent: Sent) -> None:
        """The probe failed for another reason: the next request asks again."""
        if sent.probe:
            with self._lock:
                self._probing = False
                self._short = None

    def refuse(self, sent: Sent, reason: str) -> bool:
        """A 400 naming ``limit`` to a request carrying it: stop sending it. Whether to ask again."""
        if sent.limit is None:
            return False
        with self._lock:
            first = not self.refused
            self.refused = True
            self._probing = False
            self._short = None
        if first:
            LOGGER.debug(
                "%s: the server refused `limit` (%s); asking for its own page size from now on",
                self.stream_name,
                reason,
            )
        return True

    def seen(self, sent: Sent, size: int) -> int:
        """Note one page's size; the largest page seen for requests asked with the same ``limit``.

        A short page with nothing new ends a walk only when it is shorter than this: never
        judged against a larger page that a request with another ``limit`` was granted.
        """
        with self._lock:
            self._largest[sent.limit] = max(self._largest.get(sent.limit, 0), size)
            return self._largest[sent.limit]

    def settle(self, sent: Sent, size: int, new: int, last: bool) -> None:
        """Learn from a probe's page whether ``limit`` was honoured.

        ``new``: records the page brought that its walk had not seen; ``last``: it ended the
        walk. A page as large as asked settles it. A smaller one may be the listing's end as
        well as a cap, so the walk's next page tells: records beyond it mean a cap (or an
        ignored field) at that size; nothing new means the listing ended there and says nothing.
        """
        with self._lock:
            if not sent.probe or sent.limit is None or self.settled or not self._probing:
                return
            if size >= sent.limit:
                self.granted = sent.limit
            elif self._short is None and not last and size > 0:
                self._short = size  # the walk's next page (still the probe) tells
                return
            elif self._short is not None and new > 0:
                self.granted = self._short
            self._probing = False
            self._short = None
            granted = self.granted
        if granted is not None and granted < sent.limit:
            LOGGER.debug(
                "%s: asked for pages of %s records, the server sends %s; asking for %s from now on",
                self.stream_name,
                sent.limit,
                granted,
                granted,
            )

    @property
    def expected(self) -> int:
        """The page size the stream's walks can expect (for planning splits)."""
        return self.granted or SERVER_DEFAULT
