"""What a run reads: windows over the listing, each with its scope, bounds and start.

A **slice** is what a bookmark can cover: an inbox's open or closed view for conversations,
the whole listing (``()``) for the team-wide ones. A **window** is one walk the run makes:
a scope (for conversations, the inboxes one member can read, in one view), an ``upper``
bound (values at or above it are another window's), a ``floor`` (the walk stops after the
page that reaches below it) and a start cursor. The stream keeps one bookmark in STATE
(the SDK's ``replication_key_value``); with it, conversations keep ``covered``, the slices
that bookmark holds for, so an inbox added later is read from ``start_date`` rather than
from a bookmark it never had. A run that dies part-way leaves ``resume`` in STATE: its
unfinished windows and the newest value it emitted (``top``).
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_heymarket.pagination import Cursor, ceil_to_second

Slice = tuple[t.Any, ...]  # (inbox_id, closed) for conversations, () for team-wide listings


@dataclasses.dataclass(frozen=True)
class Window:
    """One walk: newest first from ``cursor`` (or ``upper``, or the top) down to ``floor``."""

    scope: dict[str, t.Any]
    upper: str | None = None
    floor: str | None = None
    cursor: Cursor | None = None
    #: a long way to go (a first run, a backfill, a resumed walk): worth splitting in time
    long: bool = dataclasses.field(default=False, compare=False)

    @property
    def start(self) -> Cursor | None:
        """The first request's cursor: where it left off, else just above ``upper``."""
        if self.cursor is not None:
            return self.cursor
        return None if self.upper is None else Cursor(ceil_to_second(self.upper))

    def slices(self) -> list[Slice]:
        """The slices this window reads."""
        if "inboxes" not in self.scope:
            return [()]
        return [(inbox, bool(self.scope["closed"])) for inbox in self.scope["inboxes"]]

    def to_state(self) -> dict[str, t.Any]:
        """JSON-safe form for the ``resume`` block."""
        out: dict[str, t.Any] = {"scope": self.scope}
        for name in ("upper", "floor"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.cursor is not None:
            out["cursor"] = self.cursor.to_state()
        return out

    @classmethod
    def from_state(cls, value: t.Any) -> Window | None:
        """A window of a ``resume`` block, or None when it cannot be read back."""
        if not isinstance(value, dict) or not isinstance(value.get("scope"), dict):
            return None
        bounds = {name: value.get(name) for name in ("upper", "floor")}
        if any(v is not None and not isinstance(v, str) for v in bounds.values()):
            return None
        cursor = Cursor.from_state(value.get("cursor"))
        return cls(value["scope"], bounds["upper"], bounds["floor"], cursor, long=True)


def member_groups(
    inboxes: t.Sequence[int],
    members_of: t.Mapping[int, t.Sequence[int]],
    user_id: int | None,
) -> tuple[list[tuple[int, list[int]]], list[int]]:
    """``(user, inboxes)`` groups readable in one walk each, and inboxes no member can read.

    A configured ``user_id`` reads every inbox as one group. Otherwise the member who belongs
    to the most of the remaining inboxes takes them (ties to the lowest ID), until every
    inbox with a member is placed: usually one group, since admins belong to every inbox.
    """
    if user_id is not None:
        return ([(user_id, sorted(inboxes))] if inboxes else []), []
    left = set(inboxes)
    orphans = sorted(i for i in left if not members_of.get(i))
    left -= set(orphans)
    groups: list[tuple[int, list[int]]] = []
    while left:
        counts: dict[int, int] = {}
        for inbox in left:
            for member in members_of[inbox]:
                counts[member] = counts.get(member, 0) + 1
        best = min(counts, key=lambda m: (-counts[m], m))
        taken = sorted(i for i in left if best in members_of[i])
        groups.append((best, taken))
        left -= set(taken)
    return groups, orphans


def slice_list(slices: t.Iterable[Slice]) -> list[list[t.Any]]:
    """Slices as STATE holds them (JSON has no tuples)."""
    return [list(s) for s in sorted(slices, key=lambda s: tuple(str(part) for part in s))]


def slice_set(value: t.Any) -> set[Slice]:
    """Slices read back from STATE (anything unreadable is dropped: it is then read anew)."""
    if not isinstance(value, list):
        return set()
    return {tuple(item) for item in value if isinstance(item, list)}


def migrate_per_inbox_state(stream_state: dict[str, t.Any], replication_key: str) -> bool:
    """Fold the old per-inbox ``partitions`` layout into one bookmark (in place).

    The old layout kept a bookmark per inbox and view. The new bookmark is the **oldest** of
    them, so the first run after the upgrade re-reads no history and skips no change, and
    ``covered`` lists the slices those bookmarks held for (an inbox without one is then read
    from ``start_date``). Unfinished old walks are dropped: their slices are read again from
    their bookmark. Returns whether anything was migrated.
    """
    partitions = stream_state.get("partitions")
    if not isinstance(partitions, list):
        return False
    bookmarks: dict[Slice, str] = {}
    for partition in partitions:
        context = partition.get("context") if isinstance(partition, dict) else None
        value = partition.get("replication_key_value") if isinstance(partition, dict) else None
        if (
            isinstance(context, dict)
            and "inbox_id" in context
            and isinstance(value, str)
            and partition.get("replication_key") == replication_key
        ):
            bookmarks[(context["inbox_id"], bool(context.get("closed")))] = value
    del stream_state["partitions"]
    if bookmarks and "replication_key_value" not in stream_state:
        stream_state["replication_key"] = replication_key
        stream_state["replication_key_value"] = min(bookmarks.values())
        stream_state["covered"] = slice_list(bookmarks)
    return True
