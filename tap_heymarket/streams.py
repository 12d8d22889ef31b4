"""The Heymarket streams: each a schema, a path, its slices and its record shape.

Incremental listings share :class:`~tap_heymarket.walk.NewestFirstStream` (one paginator,
one early-stop and tie rule, one state policy); small listings are read in one call or by
page number. Adding a stream is a schema file plus a few lines here.
"""

from __future__ import annotations

import dataclasses
import typing as t
from functools import cached_property
from importlib import resources
from pathlib import Path

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_heymarket.client import HeymarketStream
from tap_heymarket.conform import Conformer
from tap_heymarket.final_state import EndsWithState
from tap_heymarket.page_numbers import PageNumberPaginator
from tap_heymarket.pagination import CursorIgnoredError
from tap_heymarket.plan import Slice, Window, member_groups
from tap_heymarket.records import BadRecordError, as_reference, as_reference_list
from tap_heymarket.walk import NewestFirstStream
from tap_heymarket.window_reader import WalkError


def _schemas_dir() -> Path:
    """``schemas/`` inside the installed wheel, or at the repository root (editable)."""
    packaged = resources.files("tap_heymarket").joinpath("schemas")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMAS_DIR = _schemas_dir()


class _SchemaFromFile(EndsWithState):
    """Streams load ``schemas/<stream name>.json``, conform records to it, end on a STATE."""

    schema = StreamSchema(SchemaDirectory(SCHEMAS_DIR))

    @cached_property
    def conformer(self) -> Conformer:
        """The stream's schema, compiled once (:mod:`tap_heymarket.conform`)."""
        return Conformer(t.cast("t.Any", self).schema)


class _ShapedOnEmit(_SchemaFromFile):
    """Full-table streams: each record is shaped as the SDK emits it; a bad one is skipped."""

    #: The conformer already hands over schema-valid records (one faithful step, not two).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record conformed to the stream's schema (BadRecordError if it cannot be)."""
        return self.conformer(record)

    def post_process(self, row: dict[str, t.Any], context: t.Any = None) -> dict[str, t.Any] | None:
        """The shaped record, or None (skipped, with a warning) when it cannot be shaped."""
        try:
            return self.shape_record(row)
        except BadRecordError as exc:
            t.cast("HeymarketStream", self).logger.warning(
                "%s: skipping a record with %s", t.cast("HeymarketStream", self).name, exc
            )
            return None


# -- incremental listings (newest first, early stop) --------------------------------------


class ConversationsStream(_SchemaFromFile, NewestFirstStream):
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
        return [(inbox, view) for inbox in self.heymarket.readable_inbox_ids() for view in views]

    def scopes(self, slices: list[Slice]) -> list[dict[str, t.Any]]:
        """One walk per view and member group: the inboxes one member can read, at once."""
        out: list[dict[str, t.Any]] = []
        for view in sorted({closed for _inbox, closed in slices}):
            inboxes = [inbox for inbox, closed in slices if closed == view]
            groups, _unreadable = member_groups(
                inboxes, self.heymarket.members_of(), self.config.get("user_id")
            )
            out.extend({"inboxes": group, "closed": view, "user": user} for user, group in groups)
        return out

    def rescope(self, window: Window, slices_now: set[Slice]) -> list[Window]:
        """An earlier run's unfinished window, on the inboxes still read, as members now allow."""
        kept = [s for s in window.slices() if s in slices_now]
        return [dataclasses.replace(window, scope=scope) for scope in self.scopes(kept)]

    def request_body(self, scope: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """``{"id": member, "filters": {"inboxes": [...], "closed": view}}``."""
        filters: dict[str, t.Any] = {"inboxes": list(scope["inboxes"]), "closed": scope["closed"]}
        if self.config.get("unread") is not None:
            filters["unread"] = bool(self.config["unread"])
        return {"id": scope["user"], "filters": filters}

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Object references as ``{"id": …}``, then the schema (whose conformer makes ``read`` a boolean)."""
        if type(record) is dict:
            for field in ("inbox", "assigned"):
                if field in record:
                    record[field] = as_reference(record[field])
            if "members" in record:
                record["members"] = as_reference_list(record["members"])
        return self.conformer(record)


class ContactsStream(_SchemaFromFile, NewestFirstStream):
    """Contacts, team-wide, newest ``updated`` first."""

    name = "contacts"
    path = "/v1/contacts"
    primary_keys = ("id",)
    count_path: str | None = "/v1/contacts/count"

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record conformed to the stream's schema (one timestamp spelling among others)."""
        return self.conformer(record)


class TagsStream(ContactsStream):
    """Tags, team-wide, newest ``updated`` first."""

    name = "tags"
    path = "/v1/tags"
    count_path = None


class TemplatesStream(ContactsStream):
    """Message templates, team-wide, newest ``updated`` first."""

    name = "templates"
    path = "/v1/templates"
    count_path = None


# -- small listings (full table) ------------------------------------------------------


class InboxesStream(_ShapedOnEmit, HeymarketStream):
    """Inboxes, in one call; the same call tells the tap which inboxes and members exist."""

    name = "inboxes"
    path = "/v1/inboxes"
    http_method = "GET"
    primary_keys = ("id",)

    def shape_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """``members`` as ``{"id": n}`` objects (the API sends bare IDs), as conversations have them."""
        if type(record) is dict and "members" in record:
            record["members"] = as_reference_list(record["members"])
        return self.conformer(record)

    def fetch_directory(self) -> list[dict[str, t.Any]]:
        """The raw inbox list (used by the tap for slices and members)."""
        body = self.fetch(None, None)
        return [r for r in self.records_in(body) if isinstance(r, dict)]

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """The tap's cached directory (copied: the SDK may trim records): one request serves both."""
        yield from self.guarded(lambda: [dict(inbox) for inbox in self.heymarket.inbox_directory()])
        self.close_full_table_version()


class TeamMembersStream(_ShapedOnEmit, HeymarketStream):
    """Team members from ``GET /v1/team``, each with its team's ID."""

    name = "team_members"
    path = "/v1/team"
    http_method = "GET"
    primary_keys = ("id",)

    def get_records(self, context: t.Mapping[str, t.Any] | None) -> t.Iterable[dict[str, t.Any]]:
        """One call; members flattened out of the team object."""

        def members() -> list[dict[str, t.Any]]:
            team = self.fetch_interruptibly(None, None)
            if not isinstance(team, dict):
                team = {}
            return [
                {**member, "team_id": team.get("id")}
                for member in team.get("members") or []
                if isinstance(member, dict)
            ]

        yield from self.guarded(members)
        self.close_full_table_version()


class SurveysStream(_ShapedOnEmit, HeymarketStream):
    """Surveys, paged by number (``{"limit": 30, "page": n}`` from 1) until a short page."""

    name = "surveys"
    path = "/v1/surveys"
    primary_keys = ("id",)
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
                records = self.records_in(self.fetch_interruptibly(context, page))
                try:
                    yield from paginator.advance_page(records)
                except CursorIgnoredError as exc:
                    msg = f"{self.name}: cannot walk {self.http_method} {self.path} at page={page}: {exc}"
                    raise WalkError(msg) from None

        yield from self.guarded(pages)
        self.close_full_table_version()
