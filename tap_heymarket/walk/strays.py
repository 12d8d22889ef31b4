"""Records out of place: named once, counted at the end, and handed across a split walk.

A record out of place (:mod:`tap_heymarket.walk.page_order`) is emitted wherever it stands. In a
walk split in time windows, one that the upper window sees below its boundary belongs, by its
value, to the window below; but its value says nothing about where the server keeps it, and
a server that filters ``date`` on its hidden key never shows it to that window. So the upper
window hands it over (:class:`Handoff`): the main thread emits it at the end of the walk unless
the window below emitted it (which, if the server filters on the shown value, it does on its
first pages). Emitted once either way, never lost.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk import Stream


#: How many records out of place the closing line names (a server that misplaces one record a
#: page would otherwise make it one line of thousands of IDs).
SUMMARY_NAMES = 20


class Handoff:
    """Out-of-place records held for the window below, until it has shown whether it has them."""

    def __init__(self, key: str) -> None:
        self.key = key  # the primary key field
        self._held: dict[t.Any, dict[str, t.Any]] = {}
        self._early: set[t.Any] = set()  # on the first page of a window split off below another
        self._odd_emitted: set[tuple[t.Any, str]] = set()  # (id, value) of strays emitted (few)

    def fresh(
        self, records: list[dict[str, t.Any]], odd: t.Iterable[tuple[t.Any, str]], field: str
    ) -> list[dict[str, t.Any]]:
        """``records`` less those out of place that another window of the walk already emitted
        with the same value: a walk split many times shows a stray below its boundaries on the
        first page of each window split off there, one after another, and a window's first
        page that holds fewer records in place than strays cannot tell them apart (``odd``,
        this page's, may then name the records in place instead)."""
        named = set(odd)
        if not named and not self._odd_emitted:
            return records
        out = []
        for record in records:
            mark = (record[self.key], record[field])
            if mark in self._odd_emitted:
                continue
            if mark in named:
                self._odd_emitted.add(mark)
            out.append(record)
        return out

    def emitted(self, records: t.Iterable[dict[str, t.Any]], *, first_below: bool) -> None:
        """Records a window emitted (the first page of a lower window: remembered)."""
        for record in records:
            self._held.pop(record[self.key], None)
            if first_below:
                self._early.add(record[self.key])

    def hold(self, records: t.Iterable[dict[str, t.Any]]) -> None:
        """Records handed over by an upper window (kept unless already emitted below)."""
        for record in records:
            if record[self.key] not in self._early:
                self._held.setdefault(record[self.key], record)

    def remaining(self) -> list[dict[str, t.Any]]:
        """What the windows below never emitted: the walk emits these last."""
        left, self._held = list(self._held.values()), {}
        return left


def name_strays(stream: Stream, found: t.Iterable[tuple[t.Any, str]], strays: dict[t.Any, str]) -> None:
    """A warning for each record out of place, once per run (:func:`report_strays` counts them)."""
    field = t.cast("t.Any", stream).cursor_field
    for key, value in found:
        if key not in strays:
            strays[key] = value
            stream.logger.warning(
                "%s: record id=%s is out of place in the listing's order (%s=%s): emitted, and the "
                "cursor did not follow it",
                stream.name,
                key,
                field,
                value,
            )


def report_strays(stream: Stream, strays: dict[t.Any, str]) -> None:
    """The closing line: how many records were out of place, each named."""
    if not strays:
        return
    field = t.cast("t.Any", stream).cursor_field
    named = [f"id={key} {field}={value}" for key, value in list(strays.items())[:SUMMARY_NAMES]]
    if len(strays) > SUMMARY_NAMES:
        named.append(f"and {len(strays) - SUMMARY_NAMES} more (each named in its own warning)")
    stream.logger.warning(
        "%s: %d record(s) out of place in the listing's order, emitted where they stood; none "
        "moved the cursor or the bookmark: %s",
        stream.name,
        len(strays),
        ", ".join(named),
    )
