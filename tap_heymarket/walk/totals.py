"""The total a full sync should emit: the count asked for each walk's own scope too.

The reference documents only ``date`` for ``POST /v1/conversations/count`` and calls what it
returns "the total number of conversations". It leaves open what the count makes of an
omitted ``closed``: the listing may read it as the open view (open question 2), and a count
that does the same counts the open view only. The tap reads both views, so every complete
full sync would end "emitted 9,000 records but the API counted 3,612", a warning of lost
records where none was lost (the independent stand-in reads it so), and its progress would
pass 100%.

So, beside the unfiltered count and the walks' first pages (the same round trip: no time
more, two requests more a full sync of a one-member account), the count is also asked with
each walk's own body (:meth:`~tap_heymarket.walk.stream.NewestFirstStream.count_body`): its
member, inboxes and view, as the listing takes them. Their answers are trusted only where they
fit the unfiltered count (:func:`walks_total`), since a server may honour the body in part
(only the inboxes, only the view, only the member: with several member groups the walks'
counts then add up to twice the account), answer nonsense, or the account may change between
the requests:

* the walks' counts add up to the unfiltered count: it counts both views, and is the total;
* those of the open view alone add up to it and the closed view's are clearly not it too
  (:func:`drift`): it counts the open view only (an omitted ``closed`` read as open), and the
  total is the walks' sum;
* anything else (filters ignored, honoured in part, refused, failed, garbled, drifted): the
  unfiltered count stands, as before. A walk's count is a probe: its failure costs an info
  line, never a warning, and never the stream's count.

Only a sync of the whole account is checked so (a narrowed one has no unfiltered count to
check against, and shows no total, as before). The total feeds only the progress lines and
the closing check; never a record, nor a split (the first splits are decided before these
counts are back).
"""

from __future__ import annotations

import dataclasses
import threading
import time
import typing as t

from tap_heymarket.progress import ABSURD_COUNT, failure_cause

#: Walks beyond this many (one per view and member group) are not counted one by one: the
#: unfiltered count stands, as before, rather than a request more per walk.
MAX_SCOPES = 8
#: The longest the end of a sync waits for a walk's count still under way (they went out
#: beside the first pages, so this is reached only when a count hangs).
FINAL_WAIT = 5.0


@dataclasses.dataclass(frozen=True)
class Total:
    """The records a full sync should emit (None: no count says), and whether the walks' own
    counts confirm it (so no reading of an omitted ``closed`` is left open)."""

    value: int | None
    checked: bool = False


def walks_total(unfiltered: int | None, scoped: list[tuple[bool, int | None]]) -> Total:
    """The total the counts say (see the module docstring for the readings told apart).

    ``scoped``: for each walk, whether it reads the open view, and its count with its own
    body (None: not had).
    """
    if unfiltered is None or not scoped or any(count is None for _open, count in scoped):
        return Total(unfiltered)
    both = sum(count or 0 for _open, count in scoped)
    opened = sum(count or 0 for is_open, count in scoped if is_open)
    if both == unfiltered:
        return Total(unfiltered, checked=True)
    if opened == unfiltered and abs(both - opened - unfiltered) > drift(unfiltered):
        return Total(both, checked=True)
    return Total(unfiltered)


def drift(unfiltered: int) -> int:
    """How far counts asked a few milliseconds apart may differ on an account that changes
    meanwhile: a closed view that close to the unfiltered count is no evidence that the filters
    were honoured (they may be ignored, one count a conversation behind)."""
    return max(2, unfiltered // 1000)


class ScopedCounts:
    """Each walk's count with its own filters, asked at once in the background."""

    def __init__(
        self, ask: t.Callable[[dict[str, t.Any]], int], walks: list[tuple[bool, dict[str, t.Any]]]
    ) -> None:
        """``walks``: for each walk, whether it reads the open view, and its count's body."""
        self._ask = ask
        self.views = [is_open for is_open, _body in walks]
        bodies = [body for _is_open, body in walks]
        self.values: list[int | None] = [None] * len(bodies)
        self.failure: str | None = None  # why one could not be had (the first reason)
        self._threads = [
            threading.Thread(target=self._count, args=(n, body), name=f"count-scope-{n}", daemon=True)
            for n, body in enumerate(bodies)
        ]
        for thread in self._threads:
            thread.start()

    def _count(self, n: int, body: dict[str, t.Any]) -> None:
        """One walk's count; whatever goes wrong only leaves it out (:attr:`failure` says why)."""
        try:
            value = self._ask(body)
        except Exception as exc:  # a probe: no failure of it may reach the sync
            self.failure = self.failure or failure_cause(exc)
            return
        if 0 <= value <= ABSURD_COUNT:
            self.values[n] = value
        else:
            self.failure = self.failure or f"the API counted {value} records, which cannot be"

    def done(self) -> bool:
        """Whether every count is back (or failed)."""
        return not any(thread.is_alive() for thread in self._threads)

    def wait(self, seconds: float) -> list[tuple[bool, int | None]]:
        """Each walk's view and count, as back within ``seconds`` (None for one still under
        way: the sync's end never waits on a slow count, which only the total would gain by),
        as :func:`walks_total` takes them."""
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return list(zip(self.views, self.values, strict=True))
