"""The Heymarket streams: each a schema, a path, its slices and its record shape.

Incremental listings are :class:`~tap_heymarket.walk.stream.NewestFirstStream` (one paginator, one
early-stop and tie rule, one state policy); the team-wide ones (contacts, tags, templates)
share :class:`TeamListingStream`, each setting only its name, path and count path. Small
listings are :class:`FullTableStream`, read in one call or by page number. No stream derives
from another stream: adding one is a schema file plus a few lines here.
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_heymarket.client import SCHEMAS_DIR, HeymarketStream
from tap_heymarket.page_numbers import PageNumberPaginator
from tap_heymarket.records import BadRecordError, as_reference, as_reference_list
from tap_heymarket.walk.pagination import CursorIgnoredError
from tap_heymarket.walk.plan import Slice
from tap_heymarket.walk.stream import NewestFirstStream
from tap_heymarket.walk.walker import WalkError

__all__ = [  # SCHEMAS_DIR: where the stream schemas are, for tests and tools
    "SCHEMAS_DIR",
    "ContactsStream",
    "ConversationsStream",
    "InboxesStream",
    "SurveysStream",
    "TagsStream",
    "TeamMembersStream",
    "TemplatesStream",
]

# -- incremental listings (newest first, early stop) --------------------------------------


class ConversationsStream(NewestFirstStream):
    """Conversations, read per inbox and per view (open, closed): each a slice."""

    name = "conversations"
    path = "/v1/conversations"
    primary_keys = ("id",)
    count_path = "/v1/conversations/count"
    count_takes_date = True  # documented: "only conversations updated before it are counted"

    def slices(self) -> list[Slice]:
        """Every readable inbox, times each view asked for (both unless ``closed`` is set)."""
        closed = self.config.get("closed")
        views = [bool(closed)] if closed is not None else [False, True]
        return [(inbox, view) for inbox in self.api.directory.readable_inbox_ids() for view in views]

    def scopes(self, slices: list[Slice]) -> list[dict[str, t.Any]]:
        """One walk per view and member group: the inboxes one member can read, at once."""
        out: list[dict[str, t.Any]] = []
        for view in sorted({closed for _inbox, closed in slices}):
            inboxes = [inbox for inbox, closed in slices if closed == view]
            groups = self.api.directory.groups(inboxes)
            out.extend({"inboxes": group, "closed": view, "user": user} for user, group in groups)
        return out

    def request_body(self, scope: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """``{"id": member, "filters": {"inboxes": [...], "closed": view}}``."""
        filters: dict[str, t.Any] = {"inboxes": list(scope["inboxes"]), "closed": scope["closed"]}
        if self.config.get("unread") is not None:
            filters["unread"] = bool(self.config["unread"])
        return {"id": scope["user"], "filters": filters}

    def count_body(self, scope: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        """The count asked for one walk's inboxes and view, as the listing takes them (None
        under ``unread``: a count that honoured the rest but not it would count too many)."""
        if self.config.get("unread") is not None:
            return None
        return self.request_body(scope)

    def in_default_view(self, scope: t.Mapping[str, t.Any]) -> bool:
        """The open view: what the reference's open question 2 says an omitted ``closed`` may mean."""
        return scope.get("closed") is False

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Object references as ``{"id": …}``, then the schema (whose conformer makes ``read`` a boolean)."""
        if type(record) is dict:
            for field in ("inbox", "assigned"):
                if field in record:
                    record[field] = as_reference(record[field])
            if "members" in record:
                record["members"] = as_reference_list(record["members"])
        return self.conformer(record)


class TeamListingStream(NewestFirstStream):
    """A team-wide listing, newest ``updated`` first: one walk, no slices; records as the schema says."""

    primary_keys = ("id",)

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record conformed to the stream's schema (one timestamp spelling among others)."""
        return self.conformer(record)


class ContactsStream(TeamListingStream):
    """Contacts, team-wide, newest ``updated`` first (counted by ``/v1/contacts/count``)."""

    name = "contacts"
    path = "/v1/contacts"
    count_path = "/v1/contacts/count"


class TagsStream(TeamListingStream):
    """Tags, team-wide, newest ``updated`` first."""

    name = "tags"
    path = "/v1/tags"


class TemplatesStream(TeamListingStream):
    """Message templates, team-wide, newest ``updated`` first."""

    name = "templates"
    path = "/v1/templates"


# -- small listings (full table) ------------------------------------------------------


class FullTableStream(HeymarketStream):
    """A small listing read whole: each record is shaped as the SDK emits it; a bad one is skipped."""

    #: The conformer already hands over schema-valid records (one faithful step, not two).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    primary_keys = ("id",)

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record conformed to the stream's schema (BadRecordError if it cannot be)."""
        return self.conformer(record)

    def post_process(self, row: dict[str, t.Any], context: t.Any = None) -> dict[str, t.Any] | None:
        """The shaped record, or None (skipped, with a warning) when it cannot be shaped."""
        try:
            return self.shape_record(row)
        except BadRecordError as exc:
            self.logger.warning("%s: skipping a record with %s", self.name, exc)
            return None


class InboxesStream(FullTableStream):
    """Inboxes: the API's inbox directory (one call, which also tells conversations what to read)."""

    name = "inboxes"
    path = "/v1/inboxes"
    http_method = "GET"

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """``members`` as ``{"id": n}`` objects (the API sends bare IDs), as conversations have them."""
        if type(record) is dict and "members" in record:
            record["members"] = as_reference_list(record["members"])
        return self.conformer(record)

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """The directory's inboxes (copied: the SDK may trim records): one request serves both."""
        yield from self.guarded(lambda: [dict(inbox) for inbox in self.api.directory.inboxes()])
        self.close_full_table_version()


class TeamMembersStream(FullTableStream):
    """Team members from ``GET /v1/team``, each with its team's ID."""

    name = "team_members"
    path = "/v1/team"
    http_method = "GET"

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """One call; members flattened out of the team object."""

        def members() -> list[dict[str, t.Any]]:
            team = self.listing.send_interruptibly(None)
            if not isinstance(team, dict):
                team = {}
            return [
                {**member, "team_id": team.get("id")}
                for member in team.get("members") or []
                if isinstance(member, dict)
            ]

        yield from self.guarded(members)
        self.close_full_table_version()


class SurveysStream(FullTableStream):
    """Surveys, paged by number (``{"limit": 30, "page": n}`` from 1) until a short page."""

    name = "surveys"
    path = "/v1/surveys"
    page_size = 30

    def prepare_request_payload(
        self, context: t.Mapping[str, t.Any] | None, next_page_token: int | None
    ) -> dict[str, t.Any]:
        """``{"limit": 30, "page": n}``."""
        return {"limit": self.page_size, "page": next_page_token or 1}

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """Pages until one comes back short (or empty); a full page of known records is an error."""

        def pages() -> t.Iterator[dict[str, t.Any]]:
            paginator = PageNumberPaginator(self.page_size, self.primary_keys[0])
            while not paginator.finished:
                page = paginator.current_value
                body = self.prepare_request_payload(context, page)
                records = self.listing.records_in(self.listing.send_interruptibly(body, context))
                try:
                    yield from paginator.advance_page(records)
                except CursorIgnoredError as exc:
                    msg = f"{self.name}: cannot walk {self.http_method} {self.path} at page={page}: {exc}"
                    raise WalkError(msg) from None

        yield from self.guarded(pages)
        self.close_full_table_version()
