"""The sandbox account: documented endpoints, auth, faults, a request log (served by :mod:`.http`)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import time
import typing as t

from heymarket_sandbox import deletions
from heymarket_sandbox.counting import conversation_count
from heymarket_sandbox.data import Dataset, generate
from heymarket_sandbox.listing import Listing
from heymarket_sandbox.readings import LimitRefusedByServerError, Reading, page_size
from tap_heymarket import clock
from tap_heymarket.timestamps import TimestampError, parse_instant

TOKEN_MAX_AGE = 300


@dataclasses.dataclass
class Fault:
    """A fault for matching requests: after ``after`` of them pass, the next ``times`` fail.

    ``kind``: ``status`` (answer ``status`` with ``body``/``headers``), ``drop`` (close the
    connection unanswered), ``truncate`` (cut the body short), ``slow`` (wait ``delay``
    seconds, then answer normally), ``garbage`` (200 with a body that is not JSON).
    Hostile but well-formed answers: ``splice`` (the real answer with the raw JSON items in
    ``body`` inserted at the front of its array), ``bom`` (the real answer after a UTF-8 byte
    order mark), ``drip`` (the real answer, one byte every ``delay`` seconds), ``echo``
    (answer ``status`` with a body quoting the request's ``Authorization`` header).
    """

    kind: str
    status: int = 500
    body: bytes = b'{"error":"internal"}'
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    path: str | None = None
    after: int = 0
    times: int = 1
    delay: float = 0.0
    content_type: str = "application/json"


@dataclasses.dataclass
class LoggedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    body: dict[str, t.Any]
    status: int
    authorization: str


class SandboxAPI:
    """State of one sandbox account: data, credentials, faults and the request log."""

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        page_size: int = 30,
        api_keys: t.Iterable[str] = ("sandbox-key",),
        secrets: t.Iterable[tuple[str, str]] = (("sandbox-id", "sandbox-secret"),),
    ) -> None:
        self.data = dataset or generate()
        self.page_size = page_size
        self.api_keys = set(api_keys)
        self.secrets = dict(secrets)
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self.latency = 0.0
        self.malformed: list[dict[str, t.Any]] = []  # served raw atop each conversations slice
        self.per_second_limit: int | None = None  # answer 429 beyond this many requests a second
        self._arrivals: list[float] = []
        self.timeline: list[tuple[str, float, float]] = []  # for /_sandbox/stats
        self.denied_paths: set[str] = set()
        self.clock_offset = 0.0  # seconds the server's clock runs ahead (Date header, token ages)
        self.revoked_tokens: set[str] = set()  # bearer credentials refused (401) however young
        self.on_request: t.Callable[[SandboxAPI, str, dict[str, t.Any]], None] | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        members = {
            i["id"]: {m if isinstance(m, int) else m["id"] for m in i["members"]} for i in self.data.inboxes
        }
        self.inbox_members = members
        self.conversations = Listing(
            self.data.conversations,
            "updated",
            lambda r: (r["_inbox"], r["status"] == "closed"),
        )
        self.listings = {
            "/v1/contacts": Listing(self.data.contacts, "updated"),
            "/v1/tags": Listing(self.data.tags, "updated"),
            "/v1/templates": Listing(self.data.templates, "updated"),
        }
        self.messages = Listing(self.data.messages, "date")
        self._blank_paths = {"/v1/conversations", "/v1/messages/all", *self.listings}
        self._served: dict[str, int] = {}
        self._blanked: set[tuple[str, str]] = set()

    def next_request_id(self) -> str:
        """The next ``X-Request-Id`` (``sbx-000001``, …): unique per sandbox, as support asks."""
        return f"sbx-{next(self._ids):06d}"

    @property
    def reading(self) -> Reading:
        """How every listing reads its cursor and spells instants (see :mod:`.readings`)."""
        return self.conversations.reading

    @reading.setter
    def reading(self, value: Reading) -> None:
        for listing in (self.conversations, self.messages, *self.listings.values()):
            listing.reading = value

    def warm(self) -> None:
        """Index every listing before serving (see :meth:`.Listing.warm`)."""
        for listing in (self.conversations, self.messages, *self.listings.values()):
            listing.warm()

    # -- mutations, as the tests and the demo make them ---------------------------------

    def touch(self, conversation_id: int, when: dt.datetime | None = None, **changes: t.Any) -> None:
        """Give a conversation new activity (it jumps to the top of its view)."""
        record = self.conversations.records[conversation_id]
        record.update(changes, updated=when or clock.now().replace(microsecond=0))
        if "status" in changes:
            record["status"] = changes["status"]
        self.conversations.changed()

    def listing(self, stream: str) -> Listing:
        """The listing behind a stream name (``conversations``, ``contacts``, …)."""
        if stream == "conversations":
            return self.conversations
        if stream == "messages":
            return self.messages
        return self.listings[f"/v1/{stream}"]

    def bump(self, stream: str, ids: t.Iterable[int], start: dt.datetime) -> dict[int, dt.datetime]:
        """Give records new, distinct cursor values from ``start`` on, one second apart."""
        listing = self.listing(stream)
        moved = {}
        for n, record_id in enumerate(ids):
            when = start + dt.timedelta(seconds=n)
            listing.records[record_id][listing.field] = when
            if listing.field == "date":
                listing.records[record_id]["updated"] = when
            moved[record_id] = when
        listing.changed()
        return moved

    def paths(self, method: str | None = None) -> list[str]:
        """Paths of the requests logged so far."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def request_count(self, path: str) -> int:
        """How many requests reached ``path``."""
        return sum(1 for r in self.requests if r.path == path)

    # -- auth ---------------------------------------------------------------------------

    def authorized(self, header: str) -> bool:
        """A known key, or a JWT signed with a known secret pair and younger than 300 s."""
        token = header.removeprefix("Bearer ")
        if token == header or token in self.revoked_tokens:
            return False
        if token in self.api_keys:
            return True
        parts = token.split(".")
        if len(parts) != 3:
            return False
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            secret_id, issued = str(payload["iss"]), int(payload["iat"])
        except (ValueError, KeyError, TypeError):
            return False
        key = self.secrets.get(secret_id)
        if key is None:
            return False
        expected = hmac.new(
            f"{secret_id}||{key}".encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        signature = base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
        now = clock.wall() + self.clock_offset
        return hmac.compare_digest(signature, parts[2]) and issued - 60 <= now <= issued + TOKEN_MAX_AGE

    def over_rate_limit(self) -> bool:
        """Whether this request exceeds ``per_second_limit`` (any sliding one-second window)."""
        if self.per_second_limit is None:
            return False
        with self._lock:
            now = time.monotonic()
            self._arrivals = [t for t in self._arrivals if now - t < 1.0]
            self._arrivals.append(now)
            return len(self._arrivals) > self.per_second_limit

    def next_fault(self, path: str) -> Fault | None:
        """The fault this request meets, if any (consuming it)."""
        with self._lock:
            for fault in self.faults:
                if fault.path is not None and fault.path != path:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        if self.over_rate_limit():
            return Fault("status", status=429, body=b'{"error":"rate_limited"}', headers={"Retry-After": "1"})
        return None

    # -- endpoints ----------------------------------------------------------------------

    def answer(self, method: str, path: str, body: dict[str, t.Any]) -> tuple[int, bytes]:  # noqa: PLR0911, PLR0912
        """Status and JSON body for one authorized request."""
        if path in self.denied_paths:
            return 403, b'{"error":"denied"}'
        fixed = {("GET", "/v1/inboxes"): self.data.inboxes, ("GET", "/v1/team"): self.data.team}
        if (method, path) in fixed:
            return 200, json.dumps(fixed[method, path]).encode()
        if method != "POST":
            return deletions.answer(self, method, path)
        if self._blank_now(path, body):
            return 200, self.reading.transient_blank.encode()
        try:
            if path == "/v1/conversations":
                return self._conversations(body)
            if path == "/v1/conversations/count":
                before = _instant(body, "date")
                return conversation_count(self.conversations, self.reading, body, before, self.inbox_members)
            if path == "/v1/contacts/count":
                count = self.listings["/v1/contacts"].count(_instant(body, "date"))
                return 200, json.dumps({"count": count}).encode()
            if path in self.listings:
                listing = self.listings[path]
                ids = listing.page(None, _instant(body, "date"), self._size(body))
                return 200, listing.body(ids)
            if path == "/v1/messages/all":
                ids = self.messages.page(None, _instant(body, "created_at"), self._size(body, 30))
                return 200, self.messages.body(ids)
            if path == "/v1/messages/all/count":
                return 200, json.dumps(str(len(self.messages.records))).encode()
            if path == "/v1/surveys":
                return self._surveys(body)
        except LimitRefusedByServerError:
            return 400, b'{"error":"bad_data","message":"unknown field: limit"}'
        except (TimestampError, ValueError, TypeError):
            return 400, b'{"error":"bad_data"}'
        return 404, b'{"error":"not_found"}'

    def _surveys(self, body: dict[str, t.Any]) -> tuple[int, bytes]:
        limit, page = int(body.get("limit", 30)), int(body.get("page", 1))
        page = 1 if self.reading.ignore_page else page
        rows = sorted(self.data.surveys, key=lambda s: s["id"])[(page - 1) * limit : page * limit]
        return 200, Listing(rows, "updated").body([r["id"] for r in rows])

    def _blank_now(self, path: str, body: dict[str, t.Any]) -> bool:
        """Under ``transient_blank``: every 4th request to a listing gets a blank page, and the
        same request sent again gets the real one (transient: a blank is never repeated)."""
        if not self.reading.transient_blank or path not in self._blank_paths:
            return False
        asked = (path, json.dumps(body, sort_keys=True))
        with self._lock:
            self._served[path] = self._served.get(path, 0) + 1
            if self._served[path] % 4 or asked in self._blanked:
                return False
            self._blanked.add(asked)
            return True

    def _size(self, body: dict[str, t.Any], default: int | None = None) -> int:
        """A page's size: the body's ``limit`` as the reading takes it (see :mod:`.readings`)."""
        return page_size(self.reading, body.get("limit"), self.page_size if default is None else default)

    def _conversations(self, body: dict[str, t.Any]) -> tuple[int, bytes]:
        user = body.get("id")
        filters = body.get("filters")
        if not isinstance(user, int) or not isinstance(filters, dict):
            return 400, b'{"error":"bad_data"}'
        inboxes = filters.get("inboxes") or [i for i, m in self.inbox_members.items() if user in m]
        if any(user not in self.inbox_members.get(i, set()) for i in inboxes):
            return 403, b'{"error":"denied"}'
        closed = bool(filters.get("closed", False))  # omitted: the open view
        keep = (lambda r: not r.get("read")) if filters.get("unread") else None
        scopes = [(i, closed) for i in inboxes]
        ids = self.conversations.page(scopes, _instant(body, "date"), self._size(body), keep)
        page = self.conversations.body(ids)
        if self.malformed and "date" not in body:  # broken records lead a slice's first page
            extra = b",".join(json.dumps(r).encode() for r in self.malformed)
            page = b"[" + extra + (b"," + page[1:] if len(page) > 2 else b"]")
        return 200, page


def _instant(body: dict[str, t.Any], field: str) -> dt.datetime | None:
    value = body.get(field)
    return None if value in (None, "") else parse_instant(value)
