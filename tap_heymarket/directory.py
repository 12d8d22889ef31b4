"""The inbox directory: which inboxes exist, who may read each, and how they are walked.

``GET /v1/inboxes`` is asked once per run, whichever stream asks first (the ``inboxes``
stream emits it; conversations read its inbox IDs and members), and every answer about
inboxes comes from here: the inboxes to read, their members, the member groups that read
them in one walk each (:func:`member_groups`),
and whether the run reads the whole account (only then does the API's count apply).
"""

from __future__ import annotations

import threading
import typing as t

from tap_heymarket.errors import HeymarketFatalError

if t.TYPE_CHECKING:
    import logging

    from tap_heymarket.endpoint import Endpoint

#: The settings that narrow an extraction to part of the account.
NARROWING_SETTINGS = ("inboxes", "closed", "unread", "start_date")


class InboxDirectory:
    """Inboxes, their members and member groups, fetched once (see the module docstring)."""

    def __init__(
        self, listing: Endpoint, config: t.Mapping[str, t.Any], logger: logging.Logger, credentials: str
    ) -> None:
        self._listing = listing
        self._config = config
        self._logger = logger
        self._credentials = credentials  # the settings whose user the listing is seen as
        self._lock = threading.Lock()
        self._inboxes: list[dict[str, t.Any]] | None = None

    def inboxes(self) -> list[dict[str, t.Any]]:
        """``GET /v1/inboxes``, fetched once per run (the records as listed, non-objects dropped)."""
        with self._lock:
            if self._inboxes is None:
                body = self._listing.send_interruptibly(None)
                self._inboxes = [r for r in self._listing.records_in(body) if isinstance(r, dict)]
                if not self._inboxes:
                    self._logger.warning("%s", self._no_inbox_line())
            return self._inboxes

    def _no_inbox_line(self) -> str:
        """GET /v1/inboxes listed nothing: say whose view it was, and what then cannot be read."""
        user = self._config.get("user_id")
        who = f"user {user} (user_id)" if user is not None else f"the user of {self._credentials}"
        return (
            f"Heymarket listed no inbox for {who}: no conversation can be read; add that user to "
            "an inbox in Heymarket, or use credentials of a user who is a member of one"
        )

    def inbox_ids(self) -> list[int]:
        """Configured inboxes, else every listed inbox."""
        configured = self._config.get("inboxes")
        if configured:
            return [int(i) for i in configured]
        listed = (as_id(inbox.get("id")) for inbox in self.inboxes())
        return [inbox_id for inbox_id in listed if inbox_id is not None]

    def members_of(self) -> dict[int, list[int]]:
        """Each listed inbox's member IDs (``members`` as IDs or ``{"id": …}`` objects).

        Members without a usable ID (an object without ``id``, a name) are passed over. Empty
        when ``user_id`` is set: every inbox is then read as that user, whoever its members are.
        """
        if self._config.get("user_id") is not None:
            return {}
        out: dict[int, list[int]] = {}
        for inbox in self.inboxes():
            inbox_id = as_id(inbox.get("id"))
            if inbox_id is None:
                continue
            listed = inbox.get("members")
            members: list[t.Any] = listed if isinstance(listed, list) else []
            ids = (as_id(m.get("id") if isinstance(m, dict) else m) for m in members)
            out[inbox_id] = sorted({m for m in ids if m is not None})
        return out

    def readable_inbox_ids(self) -> list[int]:
        """The inboxes to read that someone can read them as (a warning names the others)."""
        inboxes = self.inbox_ids()
        if self._config.get("user_id") is not None:
            return inboxes
        members = self.members_of()
        unreadable = [i for i in inboxes if not members.get(i)]
        if unreadable and len(unreadable) == len(inboxes):
            msg = (
                f"Inboxes {unreadable} list no members to read them as: set user_id to a member "
                "of every configured inbox"
            )
            raise HeymarketFatalError(msg)
        for inbox in unreadable:
            self._logger.warning(
                "conversations: skipping inbox %s: it lists no members to read it as (set user_id)", inbox
            )
        return [i for i in inboxes if members.get(i)]

    def groups(self, inboxes: t.Sequence[int]) -> list[tuple[int, list[int]]]:
        """``(user, inboxes)``: who reads which of ``inboxes``, one walk each (:func:`member_groups`)."""
        groups, _unreadable = member_groups(inboxes, self.members_of(), self._config.get("user_id"))
        return groups

    def covers_whole_account(self) -> bool:
        """True when no setting narrows the extraction (so the API's count applies)."""
        return not any(self._config.get(name) is not None for name in NARROWING_SETTINGS)


def as_id(value: object) -> int | None:
    """An integer ID (or ASCII digit string) from the directory, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


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
