"""What a run reads: windows over the listing, each with its scope, bounds and start.

A **slice** is what a bookmark can cover: an inbox's open or closed view for conversations,
the whole listing (``()``) for the team-wide ones. A **window** is one walk the run makes:
a scope (for conversations, the inboxes one member can read, in one view), an ``upper``
bound (values at or above it are another window's), a ``floor`` (the walk stops after the
page that reaches below it) and a start cursor. The stream keeps one bookmark in STATE
(the SDK's ``replication_key_value``); with it, conversations keep ``covered``, the slices
that bookmark holds for, so an inbox added later is read from ``start_date`` rather than
from a bookmark it never had. A run that dies part-way leaves ``resume`` in STATE: its
unfinished windows and the newest value it emitted (``top``); the layout is
:mod:`tap_heymarket.walk.state`'s.

:func:`plan_windows` is the plan: a plain function of the saved state (read and checked),
the slices the run reads and the settings, so every case is a unit test (tests/test_plan.py).
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_heymarket.walk.cursor import Cursor, ceil_to_second

if t.TYPE_CHECKING:
    from tap_heymarket.walk.state import SavedState

Slice = tuple[t.Any, ...]  # (inbox_id, closed) for conversations, () for team-wide listings
#: The walks that read some slices, one scope each (for conversations: one per view and member
#: group, :meth:`tap_heymarket.directory.InboxDirectory.groups`); none for no slices.
Scoper = t.Callable[[list[Slice]], list[dict[str, t.Any]]]


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


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a plan needs of the configuration and the stream."""

    start_date: str | None = None
    end_date: str | None = None  # a backfill window: ``[start_date, end_date)`` whatever the bookmark
    full_table: bool = False  # no bookmark is read or resumed
    #: where a walk of a slice the bookmark covers stops: the SDK's starting value (the
    #: bookmark, or ``start_date``) as the stream re-reads it (messages go below it)
    floor: str | None = None


@dataclasses.dataclass(frozen=True)
class Plan:
    """The windows a run walks, the slices it covers, and where a resumed run had got to."""

    windows: list[Window]
    slices: list[Slice]
    top: str | None = None


def plan_windows(saved: SavedState, slices: list[Slice], settings: Settings, scopes: Scoper) -> Plan:
    """The run's windows, from the saved state, this run's slices and the settings.

    Each slice gets one floor: a slice a run that died was reading goes down to that run's
    ``top`` (below it, its unfinished windows resume), or, when nothing was emitted, only
    those windows read it (they start at the top); in a backfill window, ``start_date``; a
    slice the bookmark covers, ``settings.floor`` (never below ``start_date``); any other (an
    inbox added since), ``start_date``. Slices sharing a floor are walked together, one window
    per scope. An unfinished window is kept for the slices still read, scoped anew (members
    may have changed); one whose slices are all gone is dropped.
    """
    if settings.full_table:
        return Plan([Window(scope, long=True) for scope in scopes(slices)], slices)
    start_date = settings.start_date
    floor = None if settings.floor is None else max(settings.floor, start_date or "")
    covered = set(slices) if saved.covered is None else saved.covered
    resumed = saved.resumed & set(slices)
    floors: dict[str | None, list[Slice]] = {}
    chosen: str | None
    for piece in slices:
        if piece in resumed:
            if saved.top is None:
                continue  # nothing was emitted: its unfinished windows start at the top
            chosen = saved.top
        elif settings.end_date is not None:
            chosen = start_date
        else:
            chosen = floor if piece in covered else start_date
        floors.setdefault(chosen, []).append(piece)
    windows = [
        Window(scope, upper=settings.end_date, floor=f, long=f is None or f == start_date)
        for f, group in floors.items()
        for scope in scopes(group)
    ]
    for window in saved.windows:
        kept = [s for s in window.slices() if s in slices]
        windows.extend(dataclasses.replace(window, scope=scope) for scope in (scopes(kept) if kept else []))
    return Plan(windows, slices, saved.top)
