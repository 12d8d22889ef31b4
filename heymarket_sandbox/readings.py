"""Readings of the reference's open questions, as switches of the sandbox.

The reference says a listing's ``date`` cursor returns what is "before" it, and leaves open
how precisely it is compared, whether "before" means "before or equal", how reliably pages
are ordered and how instants are spelled, and a server may misbehave in small ways (a record
sorted by a key it does not show, a transient empty page, a page number ignored).
:class:`Reading` is one answer to each question;
the sandbox serves every listing (and the conversation count) under the reading it is given,
so the tests can prove the tap correct under each of them, not only under the one the sandbox
happened to implement first.

Comparisons follow one model: the server truncates both the cursor and the record's value to
its unit (microsecond, millisecond or second) and compares them, strictly or inclusively.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from tap_heymarket.timestamps import truncate

UNITS = {
    "us": dt.timedelta(microseconds=1),
    "ms": dt.timedelta(milliseconds=1),
    "s": dt.timedelta(seconds=1),
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_OFFSET = dt.timezone(dt.timedelta(hours=5, minutes=30))


@dataclasses.dataclass(frozen=True)
class Reading:
    """How one plausible server reads the cursor and writes instants."""

    precision: str = "us"  # unit that cursor and values are truncated to: "us", "ms" or "s"
    inclusive: bool = False  # "before or equal" rather than strictly "before"
    ignore_cursor: bool = False  # every cursor is ignored: the newest page, again and again
    echo_newer: int = 0  # every page also carries this many of the newest records (newer than it)
    out_of_order: bool = False  # every page of 3+ records has its oldest record moved to the middle
    spelling: str = "mixed"  # "mixed" (Z/+00:00, ms/us fractions), "seconds" (no fraction), "offset"
    epoch_cursor: bool = False  # the cursor field is written as epoch seconds (no instant to parse)
    #: pages are sorted by a key the server does not show (a record's ``_rank``, else its value):
    #: a record whose shown value differs from its rank is out of place (a stale or early value)
    hidden_sort: bool = False
    filter_hidden: bool = False  # with hidden_sort: ``date`` compares the hidden key, not the value
    transient_blank: str = ""  # "[]", "null" or "{}": every 4th page of a listing (never twice)
    ignore_page: bool = False  # page-number listings (surveys) answer every page with the first
    #: how a ``limit`` body field is taken: "ignores" it (the server's own page, as the
    #: reference's conversations page has it: the default, so that every other reading is
    #: proven at the page size the reference documents), "honours" it, "rejects" it (HTTP 400
    #: naming it) or, as a number, caps pages at that many records
    limit: str = "ignores"
    #: what the conversation count makes of a body's ``filters`` (the reference prints only
    #: ``date``): "ignores" them (every conversation of the account is counted), "honours"
    #: them (the listing's inboxes and view), honours only "inboxes" or only "closed", or
    #: "rejects" them (HTTP 400 naming the field)
    count_filters: str = "ignores"
    #: what the count makes of an omitted ``closed``: "both" views, or "open" only (as the
    #: listing may read it: the reference's open question 2, the independent stand-in's reading)
    count_closed: str = "both"

    def __str__(self) -> str:
        changed = [
            f"{f.name}={getattr(self, f.name)}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        ]
        return ",".join(changed) or "reference"

    def cutoff(self, cursor: dt.datetime | None) -> dt.datetime | None:
        """Records whose value is strictly before this instant are served (None: all)."""
        if cursor is None or self.ignore_cursor:
            return None
        unit = UNITS[self.precision]
        whole = truncate(cursor, unit)
        return whole + unit if self.inclusive else whole

    def spell(
        self, instant: dt.datetime, variant: int, spell_mixed: t.Callable[[dt.datetime, int], str]
    ) -> str:
        """The instant as this server writes it."""
        if self.spelling == "seconds":
            return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.spelling == "offset":
            return instant.astimezone(_OFFSET).isoformat(timespec="milliseconds")
        return spell_mixed(instant, variant)

    def printed(self, instant: dt.datetime) -> dt.datetime:
        """The instant a client reads back from :meth:`spell` (seconds drop the fraction)."""
        return truncate(instant, UNITS["s"]) if self.spelling == "seconds" else instant

    def arrange(self, ids: list[int]) -> list[int]:
        """A page in the order this server sends it (its oldest record moved to the middle)."""
        if not self.out_of_order or len(ids) < 3:
            return ids
        *rest, oldest = ids
        rest.insert(len(rest) // 2, oldest)
        return rest


class LimitRefusedByServerError(ValueError):
    """The server does not take a ``limit`` (answered with HTTP 400 naming it)."""


def page_size(reading: Reading, asked: object, default: int) -> int:
    """Records a page holds for a body's ``limit`` (``asked``) under this reading."""
    if asked is None or reading.limit == "ignores":
        return default
    if reading.limit == "rejects":
        raise LimitRefusedByServerError(asked)
    if type(asked) is not int or asked < 1:
        raise ValueError(asked)
    return asked if reading.limit == "honours" else min(asked, int(reading.limit))


def epoch_seconds(instant: dt.datetime) -> int:
    """Whole seconds since 1970, as an API with integer timestamps writes them."""
    return int((instant - _EPOCH).total_seconds())


def parse_reading(text: str) -> Reading:
    """``precision=s,inclusive=true`` (the command line's spelling) as a :class:`Reading`."""
    fields = {f.name: f for f in dataclasses.fields(Reading)}
    values: dict[str, t.Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, raw = item.partition("=")
        if name not in fields:
            msg = f"unknown reading {name!r}; known: {', '.join(fields)}"
            raise ValueError(msg)
        default = fields[name].default
        if isinstance(default, bool):
            values[name] = raw.lower() in {"1", "true", "yes"}
        elif isinstance(default, int):
            values[name] = int(raw)
        else:
            values[name] = raw
    return Reading(**values)
